"""Calibration: predicted recall at each review against what actually happened, in bins.

The prediction for a review is the FSRS retrievability of the card's memory just before it
(stored in the log, and read out of its JSON by the database) at the moment of the review, with
the learner's current parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import select

from trainer.insights import forecast
from trainer.insights.stats import driver_value, utc_times
from trainer.model import CardState, Rating
from trainer.storage import store
from trainer.storage.database import read_transaction

if TYPE_CHECKING:
    from trainer.collection import Collection

BIN_EDGES = np.linspace(0.0, 1.0, 11)
COLUMNS = ["domain", "bin_low", "bin_high", "reviews", "predicted", "actual", "gap"]


def predictions(col: Collection) -> pd.DataFrame:
    """One row per review of a card that had a memory: domain, predicted recall, recalled (bool)."""
    logs, cards = store.logs, store.cards
    query = (
        select(
            cards.c.deck,
            logs.c.rating,
            driver_value(logs.c.reviewed_at),
            logs.c.before["stability"].as_float(),
            logs.c.before["last_review"].as_string(),
        )
        .join(cards, cards.c.id == logs.c.card_id)
        .where(logs.c.learner_id == col.learner_id, logs.c.state_before != int(CardState.NEW))
    )
    with read_transaction(col.engine) as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(
        [tuple(r) for r in rows], columns=["domain", "rating", "reviewed_at", "stability", "last"]
    )
    frame = frame[frame["stability"].notna() & frame["last"].notna()]
    elapsed = utc_times(frame["reviewed_at"]) - utc_times(frame["last"])
    frame = frame.assign(
        stability=frame["stability"].astype(float),
        elapsed=elapsed.dt.total_seconds() / 86400,
        recalled=frame["rating"] != int(Rating.Again),
    )
    frame["predicted"] = forecast.retrievability(
        frame["stability"].to_numpy(dtype=float),
        frame["elapsed"].to_numpy(dtype=float),
        col.settings.parameters,
    )
    return frame[["domain", "predicted", "recalled"]].reset_index(drop=True)


def calibration_report(col: Collection) -> pd.DataFrame:
    """Per domain and tenth of predicted recall: reviews, mean predicted, actual recall rate and
    gap (actual minus predicted; negative where the model is too optimistic). Empty bins are left out."""
    frame = predictions(col)
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    index = np.clip(np.digitize(frame["predicted"], BIN_EDGES[1:-1]), 0, len(BIN_EDGES) - 2)
    frame["bin_low"] = BIN_EDGES[index]
    frame["bin_high"] = BIN_EDGES[index + 1]
    grouped = frame.groupby(["domain", "bin_low", "bin_high"], as_index=False).agg(
        reviews=("recalled", "size"), predicted=("predicted", "mean"), actual=("recalled", "mean")
    )
    grouped["gap"] = grouped["actual"] - grouped["predicted"]
    return grouped[COLUMNS]
