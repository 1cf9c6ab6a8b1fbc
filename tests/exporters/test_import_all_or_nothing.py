"""`trainer import anki --with-progress` is one step: a failure at any stage after the deck files
are written (an image, a deck file, the sync, the history replay, Ctrl-C) leaves the database,
the deck folder and its media folder exactly as they were."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, create_engine, select

import trainer.collection
import trainer.decks.writer
from exporters.anki_import import import_anki
from tests.conftest import NOW, REPO_DECKS, assert_clean_error
from tests.exporters.test_anki_native_import import anki_package
from trainer import Collection
from trainer.cli import cli
from trainer.decks.writer import DeckDraft
from trainer.errors import Conflict, NotFound, TrainerError
from trainer.model import Card, CardKind

OWN_DECK = """deck: own
title: Own
description: Written by hand.
cards:
  - id: own-precision
    kind: fact
    prompt: What is precision?
    answer: TP / (TP + FP)
    concepts: [problem-framing]
"""


class Injected(Exception):
    """A failure the test causes on purpose."""


def folder_files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def database_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted, to compare a database with itself before and after."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {
                name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                for name, table in meta.tables.items()
            }
    finally:
        engine.dispose()


@pytest.fixture
def setup(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> tuple[Path, Path, Collection]:
    """A package from Anki's engine, and a deck folder with one deck of its own, synced into a
    collection with one answer, so "as before" is not "empty"."""
    package, _ = anki_package(tmp_path / "anki", legacy=False)
    decks = tmp_path / "decks"
    decks.mkdir()
    shutil.copy(REPO_DECKS / "concepts.yaml", decks / "concepts.yaml")
    (decks / "own.yaml").write_text(OWN_DECK)
    col = open_collection(db_url)
    col.sync_decks([decks], now=NOW)
    col.answer("own-precision", 3, now=NOW)
    return package, decks, col


def snapshot(url: str, decks: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    return database_rows(url), folder_files(decks)


def test_a_failing_image_write_changes_nothing(
    setup: tuple[Path, Path, Collection], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    package, decks, col = setup
    before = snapshot(db_url, decks)
    real = trainer.decks.writer.write_atomically

    def failing(path: Path, data: bytes) -> None:
        if path.suffix == ".png":
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(trainer.decks.writer, "write_atomically", failing)
    with pytest.raises(TrainerError, match="No space left on device; nothing was written"):
        import_anki(package, "mine", decks, collection=col)
    assert snapshot(db_url, decks) == before
    assert not (decks / "media").exists()


def test_a_failing_second_deck_file_takes_the_first_and_the_images_back(
    setup: tuple[Path, Path, Collection], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    package, decks, col = setup
    before = snapshot(db_url, decks)
    real = trainer.decks.writer._move
    moved: list[str] = []

    def failing(staged: Path, target: Path) -> None:
        if target.name == "mine-metrics.yaml":
            raise OSError(5, "Input/output error")
        real(staged, target)
        moved.append(target.name)

    monkeypatch.setattr(trainer.decks.writer, "_move", failing)
    with pytest.raises(TrainerError, match="Input/output error"):
        import_anki(package, "mine", decks, collection=col)
    assert moved == ["mine.yaml"]  # in place, with the image, before the failure
    assert (decks / "media").is_dir() is False
    assert snapshot(db_url, decks) == before


@pytest.mark.parametrize(
    "failure", [Injected("the sync broke"), KeyboardInterrupt()], ids=["error", "ctrl-c"]
)
def test_a_failing_sync_changes_nothing(
    setup: tuple[Path, Path, Collection], db_url: str, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    package, decks, col = setup
    before = snapshot(db_url, decks)
    real = trainer.collection.apply_decks

    def failing(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)  # the cards are in the transaction when it fails
        raise failure

    monkeypatch.setattr(trainer.collection, "apply_decks", failing)
    with pytest.raises(type(failure)):
        import_anki(package, "mine", decks, collection=col)
    assert snapshot(db_url, decks) == before
    assert [d.slug for d in col.decks()] == ["own"]


def test_a_review_that_cannot_be_replayed_changes_nothing(
    setup: tuple[Path, Path, Collection], db_url: str
) -> None:
    package, decks, col = setup
    first = import_anki(package, "mine", decks, collection=col)
    assert first.answers == 4 and len(col.history()) == 5
    # Edited by hand since; a second import of the same history meets the answers already here.
    (decks / "mine.yaml").write_text((decks / "mine.yaml").read_text().replace("title: ", "title: Edited "))
    before = snapshot(db_url, decks)
    with pytest.raises(Conflict, match="already have answers here"):
        import_anki(package, "mine", decks, collection=col, replace=True)
    assert snapshot(db_url, decks) == before
    assert "title: Edited" in (decks / "mine.yaml").read_text()


def test_an_answer_for_a_card_not_in_the_decks_is_refused_after_the_sync(
    setup: tuple[Path, Path, Collection], db_url: str
) -> None:
    _, decks, col = setup
    before = snapshot(db_url, decks)
    card = Card(
        id="new-fact", deck="new", kind=CardKind.FACT, prompt="Q?", answer="A.", concepts=("problem-framing",)
    )
    reviews = [("new-fact", 3, NOW, 1000), ("no-such-card", 3, NOW, 1000)]
    with pytest.raises(NotFound, match="no-such-card"):
        col.import_decks(decks, [DeckDraft("new", "New", "", (card,))], reviews=reviews, now=NOW)
    assert snapshot(db_url, decks) == before


def test_ctrl_c_during_the_replay_leaves_everything_and_says_so(
    setup: tuple[Path, Path, Collection], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    package, decks, col = setup
    col.close()
    before = snapshot(db_url, decks)
    real = Collection._replay

    def interrupted(self: Collection, *args: Any) -> None:
        real(self, *args)
        raise KeyboardInterrupt

    monkeypatch.setattr(Collection, "_replay", interrupted)
    args = ["--db", db_url, "import", "anki", str(package), "--deck", "mine", "--decks-dir", str(decks)]
    result = CliRunner().invoke(cli, [*args, "--with-progress"])
    assert_clean_error(result)
    assert "import interrupted: nothing was imported" in result.output
    assert snapshot(db_url, decks) == before


def test_a_conflict_in_the_cli_is_a_clean_error(setup: tuple[Path, Path, Collection], db_url: str) -> None:
    package, decks, col = setup
    col.close()
    args = ["--db", db_url, "import", "anki", str(package), "--deck", "mine", "--decks-dir", str(decks)]
    assert CliRunner().invoke(cli, [*args, "--with-progress"]).exit_code == 0
    before = snapshot(db_url, decks)
    result = CliRunner().invoke(cli, [*args, "--with-progress", "--replace"])
    assert_clean_error(result)
    assert "already have answers here" in result.output
    assert snapshot(db_url, decks) == before
