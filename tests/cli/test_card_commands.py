"""`trainer cards add` and `trainer cards edit`: the web's Add card and Edit from the terminal."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tests.conftest import NOW, assert_clean_error
from trainer import Collection, Rating
from trainer.cli import cli


def test_a_card_is_added_then_edited_with_its_history_kept(
    decks_dir: Path, sqlite_url: str, tmp_path: Path
) -> None:
    runner = CliRunner(env={"TRAINER_HOME": str(tmp_path / "home")})
    assert runner.invoke(cli, ["--db", sqlite_url, "sync", str(decks_dir)]).exit_code == 0
    added = runner.invoke(
        cli,
        [
            "--db",
            sqlite_url,
            "cards",
            "add",
            "cloze",
            "--text",
            "Recall is {{c1::TP / (TP + FN)}}.",
            "--concept",
            "class-imbalance",
        ],
    )
    assert added.exit_code == 0, added.output
    assert added.output.strip() == "Added recall-is-tp-tp-fn to My cards."
    assert (tmp_path / "home" / "my-cards" / "my-cards.yaml").exists()
    with Collection.open(sqlite_url) as col:
        col.answer("recall-is-tp-tp-fn", Rating.Good, now=NOW)
    edited = runner.invoke(
        cli, ["--db", sqlite_url, "cards", "edit", "recall-is-tp-tp-fn", "--why", "Recall counts the misses."]
    )
    assert edited.exit_code == 0, edited.output
    with Collection.open(sqlite_url) as col:
        card = col.card("recall-is-tp-tp-fn")
        assert card.card.why == "Recall counts the misses." and "{{c1::TP / (TP + FN)}}" in card.card.text
        assert card.card.concepts == ("class-imbalance",) and len(col.history(card.id)) == 1


def test_an_invalid_card_is_refused_naming_each_field(
    decks_dir: Path, sqlite_url: str, tmp_path: Path
) -> None:
    runner = CliRunner(env={"TRAINER_HOME": str(tmp_path / "home")})
    runner.invoke(cli, ["--db", sqlite_url, "sync", str(decks_dir)])
    result = runner.invoke(
        cli, ["--db", sqlite_url, "cards", "add", "drill", "--prompt", "Design it.", "--point", "one"]
    )
    assert_clean_error(result)
    assert (
        "answer: This is required" in result.output and "points: A drill needs 3 to 7 points" in result.output
    )
    assert not (tmp_path / "home" / "my-cards").exists()


def test_an_option_the_kind_has_no_field_for_is_refused(
    decks_dir: Path, sqlite_url: str, tmp_path: Path
) -> None:
    """A fact has no time target or rubric: given one, the command says so instead of saving
    the card without it (an edit of a fact, too)."""
    runner = CliRunner(env={"TRAINER_HOME": str(tmp_path / "home")})
    runner.invoke(cli, ["--db", sqlite_url, "sync", str(decks_dir)])
    fact = ["--prompt", "What is AUC?", "--answer", "Ranking quality.", "--concept", "class-imbalance"]
    added = runner.invoke(
        cli, ["--db", sqlite_url, "cards", "add", "fact", *fact, "--point", "one", "--text", "x"]
    )
    assert_clean_error(added, exit_code=2)
    assert "a fact card has no --point, --text" in added.output
    assert not (tmp_path / "home" / "my-cards").exists()
    edited = runner.invoke(cli, ["--db", sqlite_url, "cards", "edit", "a-fact", "--time-target", "60"])
    assert_clean_error(edited, exit_code=2)
    assert "a fact card has no --time-target" in edited.output
    drill = runner.invoke(
        cli, ["--db", sqlite_url, "cards", "add", "cloze", "--text", "{{c1::x}}", "--style", "framing"]
    )
    assert_clean_error(drill, exit_code=2)
    assert "a cloze card has no --style" in drill.output
