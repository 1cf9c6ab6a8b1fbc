"""Tallies of answers that every answer and undo keep in step, so statistics read a few rows
instead of the review log: per deck and learner-day, per card, per calibration bin and per
drill rubric point (and the drill tallies of `trainer.storage.drill_tallies`). `replace_tallies`
writes a learner's tallies anew (after a rebuild from the log).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select

from trainer.model import CardState, Rating
from trainer.storage.drill_tallies import DRILL_TABLES
from trainer.storage.driver import Driver
from trainer.storage.schema import CalibrationBin, CardTotal, DeckDay, RubricTally, TallyBasis

deck_days: Table = DeckDay.__table__  # type: ignore[assignment]
card_totals: Table = CardTotal.__table__  # type: ignore[assignment]
calibration_bins: Table = CalibrationBin.__table__  # type: ignore[assignment]
rubric_tallies: Table = RubricTally.__table__  # type: ignore[assignment]
tally_bases: Table = TallyBasis.__table__  # type: ignore[assignment]
TABLES = (deck_days, card_totals, calibration_bins, rubric_tallies, *DRILL_TABLES)
BINS = 10


@dataclass(frozen=True)
class AnswerTally:
    """What one answer adds to the tallies. `predicted` is the recall the model predicted for
    a studied card at the moment of the answer (None for a new card); `ticked` and `total` are
    a drill's ticked rubric indexes and rubric length (None otherwise)."""

    card_id: str
    deck: str
    day: date
    rating: int
    state_before: int
    duration_ms: int | None
    predicted: float | None
    ticked: Sequence[int] | None
    total: int | None


def calibration_bin(predicted: float) -> int:
    """The tenth of predicted recall (0 to 9) that `predicted` falls in; 1.0 is in the top one."""
    return min(max(int(predicted * BINS), 0), BINS - 1)


def _upsert(table: str, keys: Sequence[str], values: Sequence[str]) -> str:
    columns = [*keys, *values]
    updates = ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in values)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
        f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


DECK_DAY_COUNTS = [
    "reviews",
    "failed",
    "graded",
    "passed",
    "attempts",
    "recalled",
    "introduced",
    "ticked",
    "possible",
    "duration_ms",
]
"""The counts kept per learner, deck and day (the columns of `deck_days` beside its key)."""

_DECK_DAY_SQL = _upsert("deck_days", ["learner_id", "day", "deck"], DECK_DAY_COUNTS)
_CARD_TOTAL_SQL = _upsert("card_totals", ["learner_id", "card_id"], ["reviews", "failed", "graded", "passed"])
_CALIBRATION_SQL = _upsert(
    "calibration_bins", ["learner_id", "deck", "bin"], ["reviews", "predicted", "recalled"]
)
_RUBRIC_SQL = _upsert("rubric_tallies", ["learner_id", "card_id", "total", "point"], ["shown", "ticked"])


def tally_answer(conn: Connection | Driver, learner_id: int, tally: AnswerTally, step: int) -> None:
    """Add one answer to the learner's tallies (`step` 1), or take it away again (`step` -1, on undo)."""
    driver = Driver.of(conn)
    failed = step if tally.rating == Rating.Again else 0
    graded = step if tally.state_before == CardState.REVIEW else 0
    seen = step if tally.state_before != CardState.NEW else 0
    ticked = len(tally.ticked) if tally.ticked is not None else 0
    driver.execute(
        _DECK_DAY_SQL,
        {
            "learner_id": learner_id,
            "day": tally.day.isoformat(),
            "deck": tally.deck,
            "reviews": step,
            "failed": failed,
            "graded": graded,
            "passed": graded if tally.rating != Rating.Again else 0,
            "attempts": seen,
            "recalled": seen if tally.rating != Rating.Again else 0,
            "introduced": step if tally.state_before == CardState.NEW else 0,
            "ticked": step * ticked,
            "possible": step * (tally.total or 0),
            "duration_ms": step * (tally.duration_ms or 0),
        },
    )
    driver.execute(
        _CARD_TOTAL_SQL,
        {
            "learner_id": learner_id,
            "card_id": tally.card_id,
            "reviews": step,
            "failed": failed,
            "graded": graded,
            "passed": graded if tally.rating != Rating.Again else 0,
        },
    )
    if tally.predicted is not None:
        driver.execute(
            _CALIBRATION_SQL,
            {
                "learner_id": learner_id,
                "deck": tally.deck,
                "bin": calibration_bin(tally.predicted),
                "reviews": step,
                "predicted": step * tally.predicted,
                "recalled": step if tally.rating != Rating.Again else 0,
            },
        )
    if tally.total:
        hits = set(tally.ticked or ())
        for point in range(tally.total):
            driver.execute(
                _RUBRIC_SQL,
                {
                    "learner_id": learner_id,
                    "card_id": tally.card_id,
                    "total": tally.total,
                    "point": point,
                    "shown": step,
                    "ticked": step if point in hits else 0,
                },
            )


def tally_basis(conn: Connection, learner_id: int) -> str | None:
    """What the learner's tallies were last rebuilt with, or None if they never were."""
    return conn.execute(
        select(tally_bases.c.basis).where(tally_bases.c.learner_id == learner_id)
    ).scalar_one_or_none()


def hold_answers(conn: Connection) -> None:
    """Make answers wait until this transaction ends (on PostgreSQL; a SQLite write transaction
    already excludes them), so that none is lost between reading the log and replacing tallies."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE review_logs IN SHARE MODE")


def replace_tallies(
    conn: Connection,
    learner_id: int,
    basis: str,
    now: datetime,
    rows: Mapping[str, Iterable[dict[str, Any]]],
) -> None:
    """Replace every tally of the learner by `rows` (table name to rows without `learner_id`)
    and record `basis`. Call `hold_answers` in the same transaction before reading the log."""
    for table in (*TABLES, tally_bases):
        conn.execute(delete(table).where(table.c.learner_id == learner_id))
    for table in TABLES:
        values = [{"learner_id": learner_id, **row} for row in rows.get(table.name, ())]
        if values:
            conn.execute(insert(table), values)
    conn.execute(insert(tally_bases).values(learner_id=learner_id, basis=basis, built_at=now))
