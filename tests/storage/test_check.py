"""`trainer check`: every kind of damage is reported, safe repairs are made after a backup."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from tests.conftest import NOW
from trainer import Collection, Rating
from trainer.check import check_database
from trainer.cli import cli
from trainer.model import Queue
from trainer.storage import backup


def _study(col: Collection, answers: int) -> None:
    for i in range(answers):
        moment = NOW + timedelta(minutes=15 * i)
        card = col.next_card(now=moment)
        assert card is not None
        col.answer(card.id, Rating.Good if i % 3 else Rating.Again, now=moment)


def _tamper(col: Collection, sql: str) -> None:
    with col.engine.begin() as conn:
        conn.execute(text(sql))


def _kinds(col: Collection) -> list[str]:
    return sorted(problem.kind for problem in check_database(col.engine).problems)


def test_a_studied_collection_is_clean(col: Collection) -> None:
    _study(col, 12)
    report = check_database(col.engine)
    assert report.ok, [str(p) for p in report.problems]
    assert report.integrity in ("ok", "left to the PostgreSQL server")


def test_a_state_that_left_its_log_is_found_and_repaired(col: Collection) -> None:
    _study(col, 6)
    card_id = col.history()[-1].card_id
    expected = col.card(card_id).memory
    _tamper(col, f"UPDATE card_states SET reps = reps + 5, stability = 99 WHERE card_id = '{card_id}'")
    report = check_database(col.engine)
    assert [(p.kind, p.card_id) for p in report.problems] == [("state", card_id)]
    assert "reps" in report.problems[0].message and "stability" in report.problems[0].message

    repaired = check_database(col.engine, repair=True, now=NOW + timedelta(days=1))
    assert any("last logged review" in line for line in repaired.repairs)
    assert col.card(card_id).memory == expected
    assert check_database(col.engine).ok
    if col.engine.dialect.name == "sqlite":
        assert repaired.backup is not None and repaired.backup.exists()
        assert backup.verify(repaired.backup)


def test_a_wrong_queue_is_recomputed(col: Collection) -> None:
    _study(col, 3)
    col.suspend("b-three")
    _tamper(col, "UPDATE card_states SET queue = 0 WHERE card_id = 'b-three'")
    assert _kinds(col) == ["derived"]
    report = check_database(col.engine, repair=True, now=NOW)
    assert report.repairs
    assert check_database(col.engine).ok
    with col.engine.connect() as conn:
        queues = conn.execute(text("SELECT queue FROM card_states WHERE card_id = 'b-three'")).scalars().all()
    assert queues == [int(Queue.SUSPENDED)]
    later = NOW + timedelta(days=30)
    served = []
    while (card := col.next_card(now=later)) is not None and len(served) < 20:
        served.append(card.id)
        col.answer(card.id, Rating.Easy, now=later)
    assert served and "b-three" not in served


def test_a_broken_log_chain_is_reported_not_repaired(col: Collection) -> None:
    _study(col, 8)
    by_card: dict[str, list[int]] = {}
    for entry in col.history():
        by_card.setdefault(entry.card_id, []).append(entry.id)
    card_id, ids = next((c, ids) for c, ids in by_card.items() if len(ids) >= 2)
    # Drop a review from the middle of the card's history: the next one no longer follows on.
    _tamper(col, f"DELETE FROM review_logs WHERE id = {ids[0]}")
    report = check_database(col.engine, repair=True, now=NOW)
    broken = [p for p in report.problems if p.kind == "log"]
    assert [p.card_id for p in broken] == [card_id]
    assert not broken[0].repairable


def test_a_replay_mismatch_is_reported(col: Collection) -> None:
    _study(col, 4)
    entry = col.history()[-1]
    _tamper(col, f"UPDATE review_logs SET rating = {5 - int(entry.rating)} WHERE id = {entry.id}")
    kinds = [(p.kind, p.card_id) for p in check_database(col.engine).problems]
    assert ("replay", entry.card_id) in kinds


def test_impossible_values_are_reported(col: Collection) -> None:
    _tamper(col, "UPDATE card_states SET reps = -1, lapses = 0 WHERE card_id = 'a-fact'")
    _tamper(col, "UPDATE card_states SET state = 2, stability = 0, difficulty = 12 WHERE card_id = 'a-cloze'")
    messages = [str(p) for p in check_database(col.engine).problems if p.kind == "value"]
    text_ = "\n".join(messages)
    assert "negative review or lapse count" in text_
    assert "stability 0.0 is not positive" in text_
    assert "difficulty 12.0 is outside 1 to 10" in text_
    assert "no due date" in text_


def test_orphans_and_missing_states_are_found(col: Collection) -> None:
    _study(col, 2)
    card_id = col.history()[0].card_id
    _tamper(col, f"DELETE FROM card_states WHERE card_id = '{card_id}'")
    report = check_database(col.engine)
    assert [(p.kind, p.card_id, p.repairable) for p in report.problems] == [("orphan", card_id, True)]
    check_database(col.engine, repair=True, now=NOW)
    assert col.card(card_id).memory == col.history(card_id)[-1].after
    assert check_database(col.engine).ok


def test_cli_check_reports_repairs_and_exit_status(col: Collection, db_url: str) -> None:
    runner = CliRunner()
    clean = runner.invoke(cli, ["--db", db_url, "check"])
    assert clean.exit_code == 0, clean.output
    assert "No problems found." in clean.output
    _tamper(col, "UPDATE card_states SET queue = 1 WHERE card_id = 'a-fact'")
    found = runner.invoke(cli, ["--db", db_url, "check"])
    assert found.exit_code == 1
    assert "[derived]" in found.output and "a-fact" in found.output
    fixed = runner.invoke(cli, ["--db", db_url, "check", "--repair"])
    assert fixed.exit_code == 0, fixed.output
    assert "repair(s):" in fixed.output
    if db_url.startswith("sqlite"):
        assert "Backup taken first:" in fixed.output
    assert runner.invoke(cli, ["--db", db_url, "check"]).exit_code == 0


@pytest.mark.parametrize("command", ["backup", "restore", "check"])
def test_commands_have_help_with_an_example(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


def test_check_on_a_damaged_file_reports_it_cleanly(tmp_path: Path, open_collection) -> None:
    url = f"sqlite:///{tmp_path / 'trainer.db'}"
    col = open_collection(url)
    _tamper(col, "CREATE TABLE filler (x TEXT)")
    _tamper(
        col,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)"
        " INSERT INTO filler SELECT hex(randomblob(500)) FROM n",
    )
    col.close()
    database = tmp_path / "trainer.db"
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(database.read_bytes())
    for page in range(len(data) // 4096 - 10, len(data) // 4096):
        data[page * 4096 : page * 4096 + 8] = b"\x0d\x00\x00\x00\x09\x00\x00\x00"
    database.write_bytes(bytes(data))
    result = CliRunner().invoke(cli, ["--db", url, "check"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Integrity check: failed" in result.output
