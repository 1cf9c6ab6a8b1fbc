"""Calibration: predicted recall at each review against what actually happened, in bins.

The prediction for a review is the FSRS retrievability of the card's memory just before it at
the moment of the review, with the learner's current forgetting curve; each answer adds it to
its bin's tally (`trainer.storage.tallies`), which is rebuilt from the log when the curve changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import select

from trainer.insights.tallies import ensure_tallies
from trainer.storage import tallies
from trainer.storage.database import read_transaction

if TYPE_CHECKING:
    from trainer.collection import Collection

BIN_EDGES = np.linspace(0.0, 1.0, 11)
COLUMNS = ["domain", "bin_low", "bin_high", "reviews", "predicted", "actual", "gap"]


def calibration_report(col: Collection, now: datetime | None = None) -> pd.DataFrame:
    """Per domain and tenth of predicted recall: reviews, mean predicted, actual recall rate and
    gap (actual minus predicted; negative where the model is too optimistic), from the tallies.
    Empty bins are left out."""
    ensure_tallies(col, now or datetime.now(UTC))
    b = tallies.calibration_bins
    query = (
        select(b.c.deck, b.c.bin, b.c.reviews, b.c.predicted, b.c.recalled)
        .where(b.c.learner_id == col.learner_id, b.c.reviews > 0)
        .order_by(b.c.deck, b.c.bin)
    )
    with read_transaction(col.engine) as conn:
        rows = [tuple(r) for r in conn.execute(query).all()]
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.DataFrame(rows, columns=["domain", "bin", "reviews", "predicted", "recalled"])
    frame["bin_low"] = BIN_EDGES[frame["bin"]]
    frame["bin_high"] = BIN_EDGES[frame["bin"] + 1]
    frame["reviews"] = frame["reviews"].astype("int64")
    frame["predicted"] = frame["predicted"] / frame["reviews"]
    frame["actual"] = frame["recalled"] / frame["reviews"]
    frame["gap"] = frame["actual"] - frame["predicted"]
    return frame[COLUMNS].reset_index(drop=True)
