"""The drill tallies and card totals' graded answers: filled from the review log by migrations
0017 and 0019, the drill tallies checked against the log by `trainer check` and counted afresh by
its repair, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from sqlalchemy import text

from tests.conftest import NOW
from trainer import Collection, DrillAnswer, Rating
from trainer.check import check_database
from trainer.insights.drills import knowing_and_framing
from trainer.storage.database import (
    alembic_config,
    current_revision,
    head_revision,
    migrate,
    write_transaction,
)
from trainer.storage.drill_tallies import drill_rows_from_log, same_rows, stored_drill_rows


def _answer_drills(col: Collection) -> None:
    """Graded answers to two drills, with variants, red flags, answers without a time, an undo;
    then a fact answered into review state and on."""
    for minute in range(7):
        col.answer(
            "d-framing",
            Rating.Good if minute % 3 else Rating.Hard,
            now=NOW + timedelta(minutes=minute),
            duration_ms=None if minute == 4 else 20_000 * (minute + 1),
            drill=DrillAnswer.of([0] if minute % 2 else [0, 1], flags_raised=[0] if minute % 3 == 0 else []),
        )
        col.answer(
            "d-design",
            Rating.Good,
            now=NOW + timedelta(minutes=minute, seconds=30),
            duration_ms=90_000,
            drill=DrillAnswer.of([2] if minute < 5 else [0, 1, 2]),
        )
    col.undo()
    moment = NOW
    for rating in (Rating.Easy, Rating.Good, Rating.Again, Rating.Good, Rating.Good):
        col.answer("a-fact", rating, now=moment)
        moment = col.card("a-fact").memory.due or moment


def _stored(col: Collection) -> dict[str, list[dict[str, object]]]:
    with col.engine.connect() as conn:
        return stored_drill_rows(conn, col.learner_id)


def _counted(col: Collection) -> dict[str, list[dict[str, object]]]:
    with col.engine.connect() as conn:
        return drill_rows_from_log(conn, col.learner_id)


def test_the_migration_fills_the_tallies_from_the_answers_already_logged(drill_col: Collection) -> None:
    _answer_drills(drill_col)
    kept = _stored(drill_col)
    assert len(kept["drill_tallies"]) == 4 and len(kept["drill_times"]) == 7
    report = knowing_and_framing(drill_col)
    assert report.report.set_index("domain").loc["alpha", "recall_reviews"] == 3
    config = alembic_config()
    with write_transaction(drill_col.engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0016")
    assert current_revision(drill_col.engine) == "0016"
    assert migrate(drill_col.engine) is True
    assert current_revision(drill_col.engine) == head_revision()
    assert same_rows(_stored(drill_col), kept)
    assert check_database(drill_col.engine).ok
    again = knowing_and_framing(drill_col)
    assert again.report.equals(report.report) and (again.missed, again.flagged) == (
        report.missed,
        report.flagged,
    )


def test_check_finds_tallies_that_left_the_log_and_counts_them_afresh(drill_col: Collection) -> None:
    _answer_drills(drill_col)
    assert check_database(drill_col.engine).ok
    with drill_col.engine.begin() as conn:
        conn.execute(text("UPDATE drill_marks SET times = times + 1 WHERE kind = 'flag'"))
        conn.execute(text("DELETE FROM drill_times WHERE duration_ms = 90000"))
    report = check_database(drill_col.engine)
    assert [(p.kind, p.learner_id, p.repairable) for p in report.problems] == [
        ("tallies", drill_col.learner_id, True)
    ]
    repaired = check_database(drill_col.engine, repair=True, now=NOW + timedelta(days=1))
    assert repaired.repairs == [
        f"learner {drill_col.learner_id}: drill tallies counted afresh from the review log"
    ]
    assert same_rows(_stored(drill_col), _counted(drill_col))
    assert check_database(drill_col.engine).ok
