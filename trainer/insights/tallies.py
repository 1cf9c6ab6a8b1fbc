"""The statistics' tallies rebuilt from the review log when they were built on another basis.

Every answer keeps the tallies in step (`trainer.storage.tallies`), bucketed by the learner's day
and with the recall predicted by the current forgetting curve. A change of time zone, rollover
hour or curve (or a database upgraded from before the tallies) changes the basis, and the next
statistic read rebuilds them from the log once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import case, select

from trainer.insights import forecast
from trainer.model import CardState, Rating
from trainer.storage import store
from trainer.storage.database import read_transaction, write_transaction
from trainer.storage.drill_tallies import drill_rows_from_log
from trainer.storage.tallies import BINS, hold_answers, replace_tallies, tally_basis

if TYPE_CHECKING:
    from trainer.collection import Collection


def basis_of(col: Collection) -> str:
    """The learner's current basis: time zone, rollover hour and forgetting-curve decay."""
    settings = col.settings
    return f"{settings.timezone}|{settings.rollover_hour}|{settings.parameters[20]!r}"


def ensure_tallies(col: Collection, now: datetime) -> None:
    """Rebuild the learner's tallies from the review log unless they are on the current basis."""
    basis = basis_of(col)
    with read_transaction(col.engine) as conn:
        if tally_basis(conn, col.learner_id) == basis:
            return
    with write_transaction(col.engine) as conn:
        hold_answers(conn)
        if tally_basis(conn, col.learner_id) == basis:
            return
        replace_tallies(conn, col.learner_id, basis, now, _tallies_from_log(col, conn))


def _log(col: Collection, conn: Any) -> pd.DataFrame:
    logs, cards = store.logs, store.cards
    drill = logs.c.points_total.is_not(None)
    studied = logs.c.state_before != int(CardState.NEW)
    query = (
        select(
            logs.c.card_id,
            cards.c.deck,
            logs.c.reviewed_at,
            logs.c.rating,
            logs.c.state_before,
            logs.c.duration_ms,
            case((drill, logs.c.points_ticked)),
            logs.c.points_total,
            case((studied, logs.c.before["stability"].as_float())),
            case((studied, logs.c.before["last_review"].as_string())),
        )
        .join(cards, cards.c.id == logs.c.card_id)
        .where(logs.c.learner_id == col.learner_id)
    )
    columns = ["card_id", "deck", "at", "rating", "before", "duration", "ticked", "total", "s", "last"]
    return pd.DataFrame([tuple(r) for r in conn.execute(query)], columns=columns)


def _tallies_from_log(col: Collection, conn: Any) -> dict[str, list[dict[str, Any]]]:
    log = _log(col, conn)
    if log.empty:
        return {}
    settings = col.settings
    at = pd.to_datetime(log["at"], utc=True)
    local = at.dt.tz_convert(settings.timezone).dt.tz_localize(None)
    log["day"] = (local - pd.Timedelta(hours=settings.rollover_hour)).dt.strftime("%Y-%m-%d")
    again = log["rating"] == int(Rating.Again)
    review = log["before"] == int(CardState.REVIEW)
    drill = log["total"].notna()
    log["failed"] = again.astype(int)
    log["graded"] = review.astype(int)
    log["passed"] = (review & ~again).astype(int)
    seen = log["before"] != int(CardState.NEW)
    log["attempts"] = seen.astype(int)
    log["recalled"] = (seen & ~again).astype(int)
    log["introduced"] = (log["before"] == int(CardState.NEW)).astype(int)
    log["ticked_n"] = [len(t) if d else 0 for t, d in zip(log["ticked"], drill, strict=True)]
    log["possible"] = log["total"].fillna(0).astype(int)
    log["duration_ms"] = log["duration"].fillna(0).astype(int)
    days = log.groupby(["day", "deck"], as_index=False).agg(
        reviews=("rating", "size"),
        failed=("failed", "sum"),
        graded=("graded", "sum"),
        passed=("passed", "sum"),
        attempts=("attempts", "sum"),
        recalled=("recalled", "sum"),
        introduced=("introduced", "sum"),
        ticked=("ticked_n", "sum"),
        possible=("possible", "sum"),
        duration_ms=("duration_ms", "sum"),
    )
    totals = log.groupby("card_id", as_index=False).agg(
        reviews=("rating", "size"),
        failed=("failed", "sum"),
        graded=("graded", "sum"),
        passed=("passed", "sum"),
    )
    return {
        "deck_days": _rows(days),
        "card_totals": _rows(totals),
        "calibration_bins": _calibration_rows(col, log, at),
        "rubric_tallies": _rubric_rows(log[drill]),
        **drill_rows_from_log(conn, col.learner_id),
    }


def _calibration_rows(col: Collection, log: pd.DataFrame, at: pd.Series) -> list[dict[str, Any]]:
    known = log["s"].notna() & log["last"].notna()
    if not known.any():
        return []
    last = pd.to_datetime(log.loc[known, "last"], utc=True, format="ISO8601")
    elapsed = (at[known] - last).dt.total_seconds().to_numpy() / 86400
    predicted = forecast.retrievability(
        log.loc[known, "s"].to_numpy(dtype=float), elapsed, col.settings.parameters
    )
    frame = pd.DataFrame(
        {
            "deck": log.loc[known, "deck"].to_numpy(),
            "bin": np.clip((predicted * BINS).astype(int), 0, BINS - 1),
            "predicted": predicted,
            "recalled": (log.loc[known, "rating"] != int(Rating.Again)).astype(int).to_numpy(),
        }
    )
    grouped = frame.groupby(["deck", "bin"], as_index=False).agg(
        reviews=("predicted", "size"), predicted=("predicted", "sum"), recalled=("recalled", "sum")
    )
    return _rows(grouped)


def _rubric_rows(drills: pd.DataFrame) -> list[dict[str, Any]]:
    counts: dict[tuple[str, int, int], list[int]] = {}
    for card_id, total, ticked in zip(drills["card_id"], drills["total"], drills["ticked"], strict=True):
        hits = set(ticked or ())
        for point in range(int(total)):
            entry = counts.setdefault((card_id, int(total), point), [0, 0])
            entry[0] += 1
            entry[1] += point in hits
    return [
        {"card_id": card_id, "total": total, "point": point, "shown": shown, "ticked": ticked}
        for (card_id, total, point), (shown, ticked) in counts.items()
    ]


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {key: value.item() if hasattr(value, "item") else value for key, value in row.items()}
        for row in frame.to_dict(orient="records")
    ]
