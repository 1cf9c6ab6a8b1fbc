"""The `trainer` command through click's runner: help, errors, sync and a scripted review."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.conftest import assert_clean_error
from trainer import Collection
from trainer.cli import cli
from trainer.cli.base import friendly_errors


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def all_commands(group=cli, prefix=()):  # type: ignore[no-untyped-def]
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [p for p, _ in all_commands()], ids=" ".join)
def test_every_command_has_help_with_an_example(runner: CliRunner, path: tuple[str, ...]) -> None:
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command = dict(all_commands())[path]
    if not hasattr(command, "commands"):
        assert "Example:" in result.output


def test_sync_check_reports_ok(runner: CliRunner, decks_dir: Path) -> None:
    result = runner.invoke(cli, ["sync", "--check", str(decks_dir)])
    assert result.exit_code == 0
    assert "OK: 2 decks, 6 cards, 3 concepts" in result.output


def test_sync_errors_are_clean_lines_not_tracebacks(
    runner: CliRunner, decks_dir: Path, sqlite_url: str
) -> None:
    (decks_dir / "bad.yaml").write_text("deck: bad\ntitle: Bad\ncards:\n  - id: x\n    kind: essay\n")
    result = runner.invoke(cli, ["--db", sqlite_url, "sync", str(decks_dir)])
    assert_clean_error(result)
    assert f"{decks_dir / 'bad.yaml'}:4: card 'x': unknown kind 'essay'" in result.output


def test_sync_then_stats(runner: CliRunner, decks_dir: Path, sqlite_url: str) -> None:
    result = runner.invoke(cli, ["--db", sqlite_url, "sync", str(decks_dir)])
    assert result.exit_code == 0, result.output
    assert "6 added" in result.output
    result = runner.invoke(cli, ["--db", sqlite_url, "stats"])
    assert result.exit_code == 0, result.output
    assert "alpha" in result.output and "beta" in result.output


def test_database_url_from_environment(runner: CliRunner, decks_dir: Path, sqlite_url: str) -> None:
    result = runner.invoke(cli, ["sync", str(decks_dir)], env={"TRAINER_DATABASE_URL": sqlite_url})
    assert result.exit_code == 0, result.output
    with Collection.open(sqlite_url) as col:
        assert len(col.cards()) == 6


def test_bad_database_url_is_a_clean_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--db", "nosuchdb://x", "stats"])
    assert_clean_error(result)
    assert "database URL" in result.output and "nosuchdb" in result.output


def test_a_new_collection_is_announced_with_its_path(runner: CliRunner, tmp_path: Path) -> None:
    typo = tmp_path / "tpyo" / "trainer.db"
    first = runner.invoke(cli, ["--db", f"sqlite:///{typo}", "stats"])
    assert first.exit_code == 0, first.output
    assert f"Created a new collection at {typo.resolve()}" in first.stderr
    again = runner.invoke(cli, ["--db", f"sqlite:///{typo}", "stats"])
    assert "Created a new collection" not in again.output


def test_review_driven_by_keystrokes(runner: CliRunner, decks_dir: Path, sqlite_url: str) -> None:
    # Reveal and rate Good, reveal and rate Easy, undo from the front of the next card,
    # then reveal a card and quit.
    keys = " 3" + " 4" + "u" + " q"
    result = runner.invoke(cli, ["--db", sqlite_url, "review", "--decks", str(decks_dir)], input=keys)
    assert result.exit_code == 0, result.output
    assert "How rare is fraud?" in result.output
    assert "Well under 1% of transactions." in result.output
    assert "3 Good (10m)" in result.output
    assert "Good: back in 10 minutes." in result.output and "Easy: back in " in result.output
    assert "Undid your last answer." in result.output and "b-one" not in result.output
    with Collection.open(sqlite_url) as col:
        history = col.history()
    assert [(e.card_id, int(e.rating)) for e in history] == [("a-fact", 3)]


def test_review_undo_brings_the_card_back_and_uncounts_it(
    runner: CliRunner, decks_dir: Path, sqlite_url: str
) -> None:
    # Rate Good, undo from the front of the next card: the same card is shown again; quit.
    result = runner.invoke(
        cli, ["--db", sqlite_url, "review", "--decks", str(decks_dir)], input=" 3" + "u" + "q"
    )
    assert result.exit_code == 0, result.output
    assert "Undid your last answer." in result.output
    after_undo = result.output.split("Undid your last answer.")[1]
    assert "[alpha] fact" in after_undo and "How rare is fraud?" in after_undo
    assert "Answered 0 card(s)." in result.output


def test_review_undo_touches_only_this_session(runner: CliRunner, decks_dir: Path, sqlite_url: str) -> None:
    with Collection.open(sqlite_url) as col:
        col.sync_decks([decks_dir])
        col.answer("b-three", 3)
    # `u` first: nothing of this session to undo. Then suspend a card and undo that.
    result = runner.invoke(
        cli, ["--db", sqlite_url, "review", "--decks", str(decks_dir)], input="u" + " s" + "u" + "q"
    )
    assert result.exit_code == 0, result.output
    assert "Nothing to undo in this session." in result.output
    assert "Suspended: this card stays out of your reviews until you unsuspend it." in result.output
    assert "Undid the suspend: the card is back in your reviews." in result.output
    with Collection.open(sqlite_url) as col:
        assert [e.card_id for e in col.history()] == ["b-three"]
        assert not col.card("a-fact").memory.suspended


def test_review_grades_a_drill_with_the_rubric(runner: CliRunner, decks_dir: Path, sqlite_url: str) -> None:
    # New cards come with drills mixed in: the alpha drill is the third card.
    keys = " 4" + " 4" + " " + "1 2 4\n" + "\n" + "q"
    result = runner.invoke(cli, ["--db", sqlite_url, "review", "--decks", str(decks_dir)], input=keys)
    assert result.exit_code == 0, result.output
    assert "Suggested: Good: 3 of 4 core points" in result.output
    with Collection.open(sqlite_url) as col:
        (entry,) = col.history("a-drill")
    assert int(entry.rating) == 3
    assert entry.points_ticked == (0, 1, 3)


def test_review_stops_when_nothing_is_due(runner: CliRunner, decks_dir: Path, sqlite_url: str) -> None:
    result = runner.invoke(
        cli, ["--db", sqlite_url, "review", "--decks", str(decks_dir)], input=" 4" * 2 + " \n4" + " 4" * 3
    )
    assert result.exit_code == 0, result.output
    assert "Nothing more is due today" in result.output
    assert "Answered 6 card(s)." in result.output


def test_unknown_domain_is_a_clean_error(runner: CliRunner, decks_dir: Path, sqlite_url: str) -> None:
    result = runner.invoke(
        cli, ["--db", sqlite_url, "review", "--decks", str(decks_dir), "--domain", "astrology"]
    )
    assert result.exit_code == 1
    assert "no deck named 'astrology'" in result.output


def test_a_database_error_raised_by_the_driver_itself_is_a_clean_message() -> None:
    """The study loop runs on the DBAPI driver, so its errors are not SQLAlchemy's."""

    @friendly_errors
    def answer() -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(click.ClickException, match="database error: database or disk is full"):
        answer()

    @friendly_errors
    def buggy() -> None:
        raise ValueError("a bug, not a database problem")

    with pytest.raises(ValueError):
        buggy()
