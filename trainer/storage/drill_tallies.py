"""Tallies of graded drill answers that every answer and undo keep in step, so knowing beside
framing reads a few rows instead of every drill answer and its JSON.

Per drill, variant shown and rubric length (`total`): how many answers, core points ticked, answers
with a red flag, and the review-log id of the first answer (which orders a drill's habits as its
answers first showed them). Per rubric item of those: how often a core point was ticked or a red
flag raised. Per drill and answer time: how many answers took that long.

An undo always takes back the learner's newest answer, so a group's first answer stays the same
until its last answer is undone; the next answer to an emptied group becomes its first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    delete,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from trainer.storage.driver import Driver
from trainer.storage.schema import Base, ReviewLogRow

POINT = "point"
FLAG = "flag"


class DrillTally(Base):
    """A learner's graded answers to one drill's variant against a rubric of `total` core points:
    how many, core points ticked over all of them, answers with at least one red flag raised, and
    the review-log id of the first of them."""

    __tablename__ = "drill_tallies"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    card_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    variant: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    total: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    ticked: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    first_log_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class DrillMark(Base):
    """How many of those answers ticked the core point (`kind` "point") or raised the red flag
    (`kind` "flag") at `item`."""

    __tablename__ = "drill_marks"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    card_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    variant: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    total: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    item: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    times: Mapped[int] = mapped_column(Integer, default=0)


class DrillTime(Base):
    """How many of a learner's graded answers to one drill took `duration_ms` (answers without a
    time are not counted here)."""

    __tablename__ = "drill_times"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    card_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    duration_ms: Mapped[int] = mapped_column(Integer, primary_key=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)


drill_tallies: Table = DrillTally.__table__  # type: ignore[assignment]
drill_marks: Table = DrillMark.__table__  # type: ignore[assignment]
drill_times: Table = DrillTime.__table__  # type: ignore[assignment]
DRILL_TABLES = (drill_tallies, drill_marks, drill_times)
COUNTED = {"drill_tallies": "answers", "drill_marks": "times", "drill_times": "answers"}
"""Each table's count: a row whose count is 0 counts nothing (all its answers were undone)."""


@dataclass(frozen=True)
class GradedDrill:
    """One graded drill answer as its review-log row holds it: the row's id, the variant shown
    (0 for none logged), the rubric length, the core points ticked, the red flags raised and the
    answer time."""

    log_id: int
    card_id: str
    variant: int
    total: int
    ticked: Sequence[int]
    flags: Sequence[int]
    duration_ms: int | None

    @classmethod
    def of_log(cls, row: Any) -> GradedDrill:
        """From a review-log row of a graded drill answer (one with `points_total`)."""
        return cls(
            int(row.id),
            str(row.card_id),
            int(row.variant or 0),
            int(row.points_total),
            Driver.read_json(row.points_ticked) or (),
            Driver.read_json(row.flags_raised) or (),
            row.duration_ms,
        )


_TALLY_SQL = (
    "INSERT INTO drill_tallies (learner_id, card_id, variant, total, answers, ticked, flagged, first_log_id)"
    " VALUES (:learner_id, :card_id, :variant, :total, :answers, :ticked, :flagged, :first_log_id)"
    " ON CONFLICT (learner_id, card_id, variant, total) DO UPDATE SET"
    " first_log_id = CASE WHEN drill_tallies.answers = 0 THEN excluded.first_log_id"
    " ELSE drill_tallies.first_log_id END,"
    " answers = drill_tallies.answers + excluded.answers,"
    " ticked = drill_tallies.ticked + excluded.ticked,"
    " flagged = drill_tallies.flagged + excluded.flagged"
)
_MARK_SQL = (
    "INSERT INTO drill_marks (learner_id, card_id, variant, total, kind, item, times)"
    " VALUES (:learner_id, :card_id, :variant, :total, :kind, :item, :times)"
    " ON CONFLICT (learner_id, card_id, variant, total, kind, item) DO UPDATE SET"
    " times = drill_marks.times + excluded.times"
)
_TIME_SQL = (
    "INSERT INTO drill_times (learner_id, card_id, duration_ms, answers)"
    " VALUES (:learner_id, :card_id, :duration_ms, :answers)"
    " ON CONFLICT (learner_id, card_id, duration_ms) DO UPDATE SET"
    " answers = drill_times.answers + excluded.answers"
)


def tally_drill(conn: Connection | Driver, learner_id: int, answer: GradedDrill, step: int) -> None:
    """Add one graded drill answer to the learner's drill tallies (`step` 1), or take it away
    again (`step` -1, on undo)."""
    driver = Driver.of(conn)
    group = {
        "learner_id": learner_id,
        "card_id": answer.card_id,
        "variant": answer.variant,
        "total": answer.total,
    }
    driver.execute(
        _TALLY_SQL,
        {
            **group,
            "answers": step,
            "ticked": step * len(answer.ticked),
            "flagged": step if answer.flags else 0,
            "first_log_id": answer.log_id,
        },
    )
    for kind, items in ((POINT, answer.ticked), (FLAG, answer.flags)):
        for item in sorted(set(items)):
            driver.execute(_MARK_SQL, {**group, "kind": kind, "item": item, "times": step})
    if answer.duration_ms is not None:
        driver.execute(
            _TIME_SQL,
            {
                "learner_id": learner_id,
                "card_id": answer.card_id,
                "duration_ms": answer.duration_ms,
                "answers": step,
            },
        )


def drill_rows_from_log(conn: Connection, learner_id: int) -> dict[str, list[dict[str, Any]]]:
    """The learner's drill tallies counted afresh from their review log: table name to rows
    (without `learner_id`), as `tally_drill` would have left them after every answer."""
    logs = ReviewLogRow.__table__
    query = (
        select(
            logs.c.id,
            logs.c.card_id,
            logs.c.variant,
            logs.c.points_total,
            logs.c.points_ticked,
            logs.c.flags_raised,
            logs.c.duration_ms,
        )
        .where(logs.c.learner_id == learner_id, logs.c.points_total.is_not(None))
        .order_by(logs.c.id)
    )
    groups: dict[tuple[str, int, int], dict[str, Any]] = {}
    marks: dict[tuple[str, int, int, str, int], int] = {}
    times: dict[tuple[str, int], int] = {}
    for row in conn.execute(query):
        answer = GradedDrill.of_log(row)
        key = (answer.card_id, answer.variant, answer.total)
        group = groups.setdefault(
            key, {"answers": 0, "ticked": 0, "flagged": 0, "first_log_id": answer.log_id}
        )
        group["answers"] += 1
        group["ticked"] += len(answer.ticked)
        group["flagged"] += bool(answer.flags)
        for kind, items in ((POINT, answer.ticked), (FLAG, answer.flags)):
            for item in set(items):
                marks[(*key, kind, item)] = marks.get((*key, kind, item), 0) + 1
        if answer.duration_ms is not None:
            times[(answer.card_id, answer.duration_ms)] = (
                times.get((answer.card_id, answer.duration_ms), 0) + 1
            )
    return {
        "drill_tallies": [
            {"card_id": c, "variant": v, "total": t, **counts} for (c, v, t), counts in groups.items()
        ],
        "drill_marks": [
            {"card_id": c, "variant": v, "total": t, "kind": k, "item": i, "times": n}
            for (c, v, t, k, i), n in marks.items()
        ],
        "drill_times": [{"card_id": c, "duration_ms": d, "answers": n} for (c, d), n in times.items()],
    }


def stored_drill_rows(conn: Connection, learner_id: int) -> dict[str, list[dict[str, Any]]]:
    """The learner's drill tallies as stored, in the shape of `drill_rows_from_log` (rows that
    count nothing left out)."""
    found = {}
    for table in DRILL_TABLES:
        query = select(table).where(table.c.learner_id == learner_id, table.c[COUNTED[table.name]] != 0)
        found[table.name] = [
            {key: value for key, value in row._mapping.items() if key != "learner_id"}
            for row in conn.execute(query)
        ]
    return found


def same_rows(a: Mapping[str, Iterable[dict[str, Any]]], b: Mapping[str, Iterable[dict[str, Any]]]) -> bool:
    """Whether two sets of drill tally rows (as `drill_rows_from_log` gives them) hold the same counts."""

    def canonical(rows: Mapping[str, Iterable[dict[str, Any]]]) -> dict[str, list[tuple[Any, ...]]]:
        return {
            table.name: sorted(tuple(sorted(row.items())) for row in rows.get(table.name, ()))
            for table in DRILL_TABLES
        }

    return canonical(a) == canonical(b)


def replace_drill_rows(
    conn: Connection, learner_id: int, rows: Mapping[str, Iterable[dict[str, Any]]]
) -> None:
    """Replace every drill tally of the learner by `rows` (as `drill_rows_from_log` gives them)."""
    for table in DRILL_TABLES:
        conn.execute(delete(table).where(table.c.learner_id == learner_id))
        values = [{"learner_id": learner_id, **row} for row in rows.get(table.name, ())]
        if values:
            conn.execute(insert(table), values)
