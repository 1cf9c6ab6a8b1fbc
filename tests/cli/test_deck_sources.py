"""Deck syncs never lose the learner's own cards: remembered deck folders, syncs scoped to the
decks they name, and a question before retiring more than a few cards."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import FIXTURE_DECKS
from trainer import Collection
from trainer.cli import cli


def _own_folder(tmp_path: Path, cards: int = 8) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(FIXTURE_DECKS / "concepts.yaml", folder / "concepts.yaml")
    _write_own(folder, cards)
    return folder


def _write_own(folder: Path, cards: int) -> None:
    lines = ["deck: mycsv", "title: My cards", "cards:"]
    for i in range(cards):
        lines += [
            f"  - id: my-{i}",
            "    kind: fact",
            f"    prompt: My question {i}?",
            f"    answer: My answer {i}.",
            "    concepts: [class-imbalance]",
        ]
    (folder / "mycsv.yaml").write_text("\n".join(lines) + "\n")


def _live(url: str, deck: str) -> list[str]:
    with Collection.open(url) as col:
        return [c.id for c in col.cards(decks=[deck])]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_review_elsewhere_keeps_and_resyncs_the_learners_own_decks(
    runner: CliRunner, tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = _own_folder(tmp_path)
    assert runner.invoke(cli, ["--db", sqlite_url, "sync", str(own)]).exit_code == 0
    _write_own(own, 9)  # the learner adds a card
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(cli, ["--db", sqlite_url, "review"], input="q")
    assert result.exit_code == 0, result.output
    assert len(_live(sqlite_url, "mycsv")) == 9
    with Collection.open(sqlite_url) as col:
        assert own.resolve() in col.sync_paths()
        assert len(col.cards()) > 9  # the bundled decks were synced beside them


def test_syncing_one_file_touches_only_its_decks(runner: CliRunner, decks_dir: Path, sqlite_url: str) -> None:
    assert runner.invoke(cli, ["--db", sqlite_url, "sync", str(decks_dir)]).exit_code == 0
    result = runner.invoke(cli, ["--db", sqlite_url, "sync", str(decks_dir / "alpha.yaml")])
    assert result.exit_code == 0, result.output
    assert "0 retired" in result.output or "retired" not in result.output
    assert len(_live(sqlite_url, "beta")) == 3


def test_a_deck_file_deleted_from_a_synced_folder_retires_its_cards(
    runner: CliRunner, decks_dir: Path, sqlite_url: str
) -> None:
    assert runner.invoke(cli, ["--db", sqlite_url, "sync", str(decks_dir)]).exit_code == 0
    (decks_dir / "beta.yaml").unlink()
    result = runner.invoke(cli, ["--db", sqlite_url, "sync", str(decks_dir)])
    assert result.exit_code == 0, result.output
    assert _live(sqlite_url, "beta") == []


def test_retiring_more_than_a_few_cards_asks_first(
    runner: CliRunner, tmp_path: Path, sqlite_url: str
) -> None:
    own = _own_folder(tmp_path)
    assert runner.invoke(cli, ["--db", sqlite_url, "sync", str(own)]).exit_code == 0
    _write_own(own, 1)
    refused = runner.invoke(cli, ["--db", sqlite_url, "sync", str(own)])
    assert refused.exit_code == 1
    assert "this sync would retire 7 cards (mycsv: 7); nothing was changed" in refused.output
    assert "Traceback" not in refused.output
    assert len(_live(sqlite_url, "mycsv")) == 8
    # A study session starting with that sync says so and goes on with the decks as they were.
    studied = runner.invoke(cli, ["--db", sqlite_url, "review", "--decks", str(own)], input="q")
    assert studied.exit_code == 0
    assert "Decks not synced: this sync would retire 7 cards" in studied.output
    assert len(_live(sqlite_url, "mycsv")) == 8
    accepted = runner.invoke(cli, ["--db", sqlite_url, "sync", "--yes", str(own)])
    assert accepted.exit_code == 0, accepted.output
    assert _live(sqlite_url, "mycsv") == ["my-0"]


def test_a_remembered_folder_that_clashes_is_named_and_can_be_forgotten(
    runner: CliRunner, tmp_path: Path, sqlite_url: str
) -> None:
    # Two copies of one deck folder (a second clone, say), each synced once (a sync of named
    # paths reads only them): every later sync reads both, meets each card twice and refuses,
    # so review and serve would not start.
    own = _own_folder(tmp_path)
    copy = tmp_path / "old-clone"
    shutil.copytree(own, copy)
    assert runner.invoke(cli, ["--db", sqlite_url, "sync", str(copy)]).exit_code == 0
    assert runner.invoke(cli, ["--db", sqlite_url, "sync", str(own)]).exit_code == 0
    for command in (["sync"], ["review"]):
        refused = runner.invoke(cli, ["--db", sqlite_url, *command], input="q")
        assert refused.exit_code == 1 and "duplicate card id 'my-0'" in refused.output
        assert f"deck folders and files synced before: {copy.resolve()}" in refused.stderr
        assert "`trainer sync --forget PATH`" in refused.stderr
    unknown = runner.invoke(cli, ["--db", sqlite_url, "sync", "--forget", str(tmp_path / "nowhere")])
    assert unknown.exit_code == 1
    assert f"not a deck folder or file synced before: {(tmp_path / 'nowhere').resolve()}" in unknown.output
    assert f"(remembered: {copy.resolve()}, {own.resolve()})" in unknown.output
    forgot = runner.invoke(cli, ["--db", sqlite_url, "sync", "--forget", str(copy)])
    assert forgot.exit_code == 0 and f"No longer synced: {copy.resolve()}" in forgot.output
    assert len(_live(sqlite_url, "mycsv")) == 8  # its cards stay as they were
    assert runner.invoke(cli, ["--db", sqlite_url, "sync"]).exit_code == 0
    with Collection.open(sqlite_url) as col:
        remembered = col.remembered_deck_sources()
    assert own.resolve() in remembered and copy.resolve() not in remembered
