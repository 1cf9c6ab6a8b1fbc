"""Deck sync: atomic, counted, history-preserving, and silent when nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select

from tests.conftest import NOW
from trainer import Collection, DeckError, Rating
from trainer.decks.sync import (
    concepts_table,
    decks_table,
    merge_sources,
    remember_sources,
    remembered_sources,
)
from trainer.errors import NeedsConfirmation
from trainer.model import CardState
from trainer.storage.paths import bundled_decks
from trainer.storage.store import cards as cards_table


def test_first_sync_adds_and_resync_changes_nothing(col: Collection, decks_dir: Path) -> None:
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement.split()[0].upper())

    event.listen(col.engine, "before_cursor_execute", record)
    report = col.sync_decks([decks_dir], now=NOW)
    event.remove(col.engine, "before_cursor_execute", record)
    assert (report.added, report.updated, report.retired, report.unchanged) == (0, 0, 0, 6)
    assert not {"INSERT", "UPDATE", "DELETE"} & set(statements)


def test_text_edit_keeps_scheduling_and_history(col: Collection, decks_dir: Path) -> None:
    col.answer("a-fact", Rating.Good, NOW)
    before = col.card("a-fact").memory
    path = decks_dir / "alpha.yaml"
    path.write_text(path.read_text().replace("How rare is fraud?", "How rare is card fraud?"))
    report = col.sync_decks([decks_dir], now=NOW)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 5)
    study = col.card("a-fact")
    assert study.card.prompt == "How rare is card fraud?"
    assert study.memory == before
    assert len(col.history("a-fact")) == 1


def test_removed_card_is_retired_and_restored_with_history(col: Collection, decks_dir: Path) -> None:
    col.answer("b-two", Rating.Good, NOW)
    memory = col.card("b-two").memory
    path = decks_dir / "beta.yaml"
    original = path.read_text()
    start = original.index("  - id: b-two")
    end = original.index("  - id: b-three")
    path.write_text(original[:start] + original[end:])
    assert col.sync_decks([decks_dir], now=NOW).retired == 1
    assert "b-two" not in {c.id for c in col.cards()}
    for _ in range(10):
        card = col.next_card(NOW)
        assert card is None or card.id != "b-two"
        if card is None:
            break
        col.answer(card.id, Rating.Easy, NOW)
    path.write_text(original)
    report = col.sync_decks([decks_dir], now=NOW)
    assert report.restored == 1
    assert col.card("b-two").memory == memory
    assert len(col.history("b-two")) == 1
    assert "b-two" in {c.id for c in col.cards()}
    # Every other card was answered Easy; the restored one, still learning, is the one served.
    served = col.next_card(NOW + timedelta(hours=1))
    assert served is not None and served.id == "b-two"


def test_invalid_deck_leaves_database_untouched(col: Collection, decks_dir: Path) -> None:
    path = decks_dir / "alpha.yaml"
    path.write_text(path.read_text().replace("How rare is fraud?", "Changed?"))
    (decks_dir / "beta.yaml").write_text("deck: beta\ntitle: Beta\ncards:\n  - id: b-one\n    kind: essay\n")
    with pytest.raises(DeckError):
        col.sync_decks([decks_dir], now=NOW)
    assert col.card("a-fact").card.prompt == "How rare is fraud?"
    assert len(col.cards()) == 6


def test_new_card_is_added_for_every_learner(
    db_url: str, decks_dir: Path, open_collection: Callable[..., Collection]
) -> None:
    alice = open_collection(db_url, user="alice")
    bob = open_collection(db_url, user="bob")
    alice.sync_decks([decks_dir], now=NOW)
    assert len(bob.cards()) == 6
    assert bob.card("a-fact").memory.state == CardState.NEW
    alice.answer("a-fact", Rating.Good, NOW)
    assert bob.card("a-fact").memory.reps == 0
    carol = open_collection(db_url, user="carol")
    assert len(carol.cards()) == 6


def test_sources_given_again_are_remembered_once_and_read_oldest_first(
    col: Collection, decks_dir: Path, tmp_path: Path
) -> None:
    # "x-early" sorts after the later paths, so only the time can put it first.
    early, late, gone = tmp_path / "x-early", tmp_path / "late", tmp_path / "gone"
    early.mkdir()
    late.mkdir()
    inside = late / "more.yaml"
    inside.touch()
    with col.engine.begin() as conn:
        remember_sources(conn, [early, early / "."], NOW + timedelta(hours=1))
        remember_sources(conn, [late, gone, inside], NOW + timedelta(hours=2))
        remember_sources(conn, [decks_dir, early], NOW + timedelta(hours=3))
    with col.engine.connect() as conn:
        remembered = remembered_sources(conn)
    # The fixture synced decks_dir at NOW; a path given again keeps its first time; paths of
    # the same time come in name order.
    assert remembered == [
        decks_dir.resolve(),
        early.resolve(),
        gone.resolve(),
        late.resolve(),
        inside.resolve(),
    ]
    assert col.sync_paths() == [
        bundled_decks().resolve(),
        decks_dir.resolve(),
        early.resolve(),
        late.resolve(),
    ]


def test_merged_sources_keep_their_first_order_without_repeats_or_files_inside_a_folder(
    tmp_path: Path,
) -> None:
    folder, other = tmp_path / "folder", tmp_path / "other.yaml"
    folder.mkdir()
    inside = folder / "deck.yaml"
    inside.touch()
    other.touch()
    given = [other, inside, folder, tmp_path / "folder" / ".", tmp_path / "missing", other]
    assert merge_sources(given) == [other.resolve(), folder.resolve()]


def _drop_cards(path: Path, *card_ids: str) -> None:
    text = path.read_text()
    for card_id in card_ids:
        start = text.index(f"  - id: {card_id}")
        following = text.find("  - id: ", start + 1)
        text = text[:start] + (text[following:] if following != -1 else "")
    path.write_text(text)


def test_a_sync_retiring_more_than_its_limit_asks_first_naming_each_deck(
    col: Collection, decks_dir: Path
) -> None:
    _drop_cards(decks_dir / "alpha.yaml", "a-cloze", "a-drill")
    _drop_cards(decks_dir / "beta.yaml", "b-three")
    with pytest.raises(NeedsConfirmation) as asked:
        col.sync_decks([decks_dir], now=NOW, retire_limit=2)
    assert str(asked.value) == "this sync would retire 3 cards (alpha: 2, beta: 1)"
    assert asked.value.count == 3
    assert len(col.cards()) == 6
    assert col.sync_decks([decks_dir], now=NOW, retire_limit=3).retired == 3


def test_cards_moved_within_their_deck_are_unchanged_and_keep_their_memory(
    col: Collection, decks_dir: Path
) -> None:
    col.answer("b-one", Rating.Good, NOW)
    memory = col.card("b-one").memory
    path = decks_dir / "beta.yaml"
    text = path.read_text()
    first, second = text.index("  - id: b-one"), text.index("  - id: b-two")
    path.write_text(text[:first] + text[second:] + text[first:second])
    report = col.sync_decks([decks_dir], now=NOW)
    assert (report.added, report.updated, report.retired, report.restored, report.unchanged) == (
        0,
        0,
        0,
        0,
        6,
    )
    assert col.card("b-one").memory == memory
    assert [c.id for c in col.cards() if c.card.deck == "beta"][-1] == "b-one"


def test_changed_concept_descriptions_and_deck_titles_are_stored(col: Collection, decks_dir: Path) -> None:
    concepts = decks_dir / "concepts.yaml"
    concepts.write_text(concepts.read_text().replace("The positive class is rare.", "Positives are rare."))
    beta = decks_dir / "beta.yaml"
    beta.write_text(beta.read_text().replace("title: Beta", "title: Beta two"))
    col.sync_decks([decks_dir], now=NOW + timedelta(hours=1))
    with col.engine.connect() as conn:
        described = dict(conn.execute(select(concepts_table.c.id, concepts_table.c.description)).all())
        titles = dict(conn.execute(select(decks_table.c.slug, decks_table.c.title)).all())
        touched = dict(conn.execute(select(cards_table.c.id, cards_table.c.updated_at)).all())
    assert described["class-imbalance"] == "Positives are rare."
    assert described["cost-asymmetry"] == "Errors cost different amounts."
    assert titles == {"alpha": "Alpha", "beta": "Beta two"}
    # Every card shows its deck's title, so only the renamed deck's cards count as changed.
    assert {card for card, at in touched.items() if at == NOW + timedelta(hours=1)} == {
        "b-one",
        "b-two",
        "b-three",
    }
