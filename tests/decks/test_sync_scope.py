"""Which decks a sync speaks for, and what it reports: a sync of one folder or file retires cards
of its own decks only (and of a deck whose file was deleted from that folder); a sync given no
sources speaks for every deck; thousands of cards are all added and retired; a card moved to
another deck is studied there; each added, updated and restored card is counted; a card's content
time moves only when its content does; no card moves between a shared deck and a learner's own,
and a shared file cannot take a learner's deck, each refusal naming the file; kept places keep a
deck's place and put new decks last; deck order follows the files, and every collection on the
database sees each change of decks, decks sharing a place (synced from separate folders) are listed
by name; cards stored by an earlier release are unchanged by the same files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_DECKS, NOW
from tests.insights.test_stats import write_decks
from trainer import Collection, DeckError
from trainer.decks.deckfile import load_decks
from trainer.decks.sync import apply_decks

Opener = Callable[..., Collection]


def folder_of(root: Path, decks: dict[str, list[str]]) -> Path:
    """A deck folder: per deck slug, its fact cards' ids in file order."""
    return write_decks(root, {slug: [(card_id, ["x"]) for card_id in ids] for slug, ids in decks.items()})


def live(col: Collection) -> set[str]:
    return {card.id for card in col.cards()}


def test_a_sync_of_one_folder_or_file_retires_cards_of_its_own_decks_only(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = open_collection(db_url)
    first = folder_of(tmp_path / "first", {"x": ["x-1", "x-2"]})
    second = folder_of(tmp_path / "second", {"y": ["y-1", "y-2"]})
    col.sync_decks([first], now=NOW)
    col.sync_decks([second], now=NOW)
    folder_of(first, {"x": ["x-1"]})
    assert col.sync_decks([first], now=NOW).retired == 1
    assert live(col) == {"x-1", "y-1", "y-2"}
    folder_of(second, {"y": ["y-2"]})
    assert col.sync_decks([second / "y.yaml"], now=NOW).retired == 1
    assert live(col) == {"x-1", "y-2"}


def test_a_deck_file_deleted_from_a_synced_folder_retires_its_cards(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = open_collection(db_url)
    decks = folder_of(tmp_path / "decks", {"x": ["x-1"], "z": ["z-1", "z-2"]})
    col.sync_decks([decks], now=NOW)
    (decks / "z.yaml").unlink()
    assert col.sync_decks([decks], now=NOW).retired == 2
    assert live(col) == {"x-1"}


def test_a_sync_given_no_sources_speaks_for_every_deck(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = open_collection(db_url)
    col.sync_decks([folder_of(tmp_path / "first", {"x": ["x-1"]})], now=NOW)
    col.sync_decks([folder_of(tmp_path / "second", {"y": ["y-1"]})], now=NOW)
    with col.engine.begin() as conn:
        report = apply_decks(conn, load_decks([tmp_path / "first"]), NOW)
    assert report.retired == 1
    assert live(col) == {"x-1"}


def test_a_card_moved_to_another_deck_is_studied_there(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = open_collection(db_url)
    decks = folder_of(tmp_path / "decks", {"x": ["x-1", "x-2"], "y": ["y-1", "y-2"]})
    col.sync_decks([decks], now=NOW)
    # x-2 keeps its place (the second card) in its new deck.
    folder_of(decks, {"x": ["x-1"], "y": ["y-1", "x-2", "y-2"]})
    col.sync_decks([decks], now=NOW)
    assert {deck: counts.new for deck, counts in col.due_counts(NOW).items()} == {"x": 1, "y": 3}
    served = []
    while (card := col.next_card(NOW, "y")) is not None:
        served.append(card.id)
        col.bury(card.id, NOW)
    assert served == ["y-1", "x-2", "y-2"]


def test_the_report_counts_every_card_added_updated_and_restored(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = open_collection(db_url)
    decks = folder_of(tmp_path / "decks", {"x": ["x-1", "x-2", "x-3"], "y": ["y-1"]})
    report = col.sync_decks([decks], now=NOW)
    assert (report.added, report.decks) == (4, ["x", "y"])
    folder_of(decks, {"x": ["x-1"], "y": ["y-1"]})
    assert col.sync_decks([decks], now=NOW).retired == 2
    folder_of(decks, {"x": ["x-1", "x-2", "x-3", "x-4", "x-5"], "y": ["y-1"]})
    report = col.sync_decks([decks], now=NOW)
    assert (report.added, report.restored, report.unchanged) == (2, 2, 2)
    for name in ("x.yaml", "y.yaml"):
        path = decks / name
        path.write_text(path.read_text().replace("Answer x-1.", "Edited.").replace("Answer y-1.", "Edited."))
    report = col.sync_decks([decks], now=NOW)
    assert (report.updated, report.unchanged, report.decks) == (2, 4, ["x", "y"])


def test_a_cards_content_time_moves_only_when_its_content_changes(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = open_collection(db_url)
    decks = folder_of(tmp_path / "decks", {"x": ["x-1", "x-2", "x-3"]})
    col.sync_decks([decks], now=NOW)
    folder_of(decks, {"x": ["x-1", "x-3"]})  # x-3 moves up a place; x-2 is retired
    col.sync_decks([decks], now=NOW + timedelta(days=1))
    folder_of(decks, {"x": ["x-2", "x-1", "x-3"]})  # x-2 restored unchanged, in a new place
    col.sync_decks([decks], now=NOW + timedelta(days=2))
    assert col.content_changed_at() == {"x-1": NOW, "x-2": NOW, "x-3": NOW}
    path = decks / "x.yaml"
    path.write_text(path.read_text().replace("Answer x-3.", "Edited."))
    col.sync_decks([decks], now=NOW + timedelta(days=3))
    assert col.content_changed_at()["x-3"] == NOW + timedelta(days=3)


def test_a_sync_of_thousands_of_cards_adds_and_retires_every_one(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = open_collection(db_url)
    ids = [f"x-{i}" for i in range(2001)]  # more than one statement's worth of each
    decks = folder_of(tmp_path / "decks", {"x": ids})
    assert col.sync_decks([decks], now=NOW).added == 2001
    assert live(col) == set(ids)
    folder_of(decks, {"x": ids[:1500]})
    assert col.sync_decks([decks], now=NOW).retired == 501
    assert live(col) == set(ids[:1500])


def own_deck(root: Path, slug: str, ids: list[str]) -> Path:
    """A learner's own deck file, `slug`.yaml in a folder of its own; returns the file."""
    folder_of(root, {slug: ids})
    return root / f"{slug}.yaml"


def test_a_learners_new_deck_cannot_take_the_id_of_a_shared_card(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = open_collection(db_url)
    col.sync_decks([folder_of(tmp_path / "shared", {"x": ["x-1", "x-2"]})], now=NOW)
    mine = own_deck(tmp_path / "own", "mine", ["x-2"])
    with col.engine.begin() as conn, pytest.raises(DeckError) as refused:
        apply_decks(conn, load_decks([mine.parent]), NOW, sources=[mine], owner=col.learner_id)
    [problem] = refused.value.problems
    assert "card 'x-2': the id is taken" in problem.message and problem.file == str(mine)
    assert col.card("x-2").card.deck == "x"


def test_a_shared_card_cannot_move_into_a_learners_own_deck(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = open_collection(db_url)
    shared = folder_of(tmp_path / "shared", {"x": ["x-1", "x-2"]})
    col.sync_decks([shared], now=NOW)
    mine = own_deck(tmp_path / "own", "mine", ["mine-1"])
    with col.engine.begin() as conn:
        apply_decks(
            conn, load_decks([mine.parent]), NOW, sources=[mine], owner=col.learner_id, keep_places=True
        )
    # x-2 leaves the shared file for the learner's own, and both are synced as shared decks are.
    folder_of(shared, {"x": ["x-1"]})
    own_deck(mine.parent, "mine", ["mine-1", "x-2"])
    with pytest.raises(DeckError) as refused:
        col.sync_decks([shared, mine], now=NOW)
    [problem] = refused.value.problems
    assert "card 'x-2': the id is taken" in problem.message and problem.file == str(mine)
    assert col.card("x-2").card.deck == "x"


def test_a_shared_file_named_like_a_learners_own_deck_is_refused_naming_the_file(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = open_collection(db_url)
    mine = own_deck(tmp_path / "own", "mine", ["mine-1"])
    with col.engine.begin() as conn:
        apply_decks(
            conn, load_decks([mine.parent]), NOW, sources=[mine], owner=col.learner_id, keep_places=True
        )
    shared = folder_of(tmp_path / "shared", {"mine": ["other-1"]})
    with pytest.raises(DeckError) as refused:
        col.sync_decks([shared], now=NOW)
    [problem] = refused.value.problems
    assert "is a learner's own deck" in problem.message and problem.file == str(shared / "mine.yaml")
    assert col.decks()[0].slug == "mine" and live(col) == {"mine-1"}


def test_kept_places_keep_a_stored_decks_place_and_put_new_decks_last(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = open_collection(db_url)

    def keep_places(folder: Path) -> None:
        with col.engine.begin() as conn:
            apply_decks(
                conn, load_decks([folder]), NOW, sources=[folder], owner=col.learner_id, keep_places=True
            )

    keep_places(folder_of(tmp_path / "first", {"a": ["a-1"]}))  # the first deck of an empty collection
    keep_places(folder_of(tmp_path / "more", {"b": ["b-1"], "c": ["c-1"]}))
    keep_places(folder_of(tmp_path / "again", {"b": ["b-1"]}))
    keep_places(folder_of(tmp_path / "new", {"d": ["d-1"], "e": ["e-1"]}))
    assert [deck.slug for deck in col.decks()] == ["a", "b", "c", "d", "e"]


def test_decks_follow_the_order_of_the_files_and_every_collection_sees_each_change(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    first = folder_of(tmp_path / "first", {"x": ["x-1", "x-2"]})
    second = folder_of(tmp_path / "second", {"y": ["y-1", "y-2"]})
    reader, writer = open_collection(db_url), open_collection(db_url)
    writer.sync_decks([first], now=NOW)
    assert served(reader, NOW) == "x-1"
    writer.sync_decks([first, second], now=NOW)  # a deck added
    assert served(reader, NOW, "y") == "y-1"
    writer.sync_decks([second, first], now=NOW)  # the same decks in another order
    assert [deck.slug for deck in writer.decks()] == ["y", "x"]
    assert served(reader, NOW) == "y-1"


def test_cards_stored_by_an_earlier_release_are_unchanged_when_synced_from_the_same_files(
    tmp_path: Path, open_collection: Opener
) -> None:
    """The content digest is kept in the database, so it must not change between releases: a
    change would count every card as edited on the first sync after an upgrade."""
    database = tmp_path / "trainer.db"
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "schema" / "0015.db", database)
    col = open_collection(f"sqlite:///{database}")
    before = col.content_changed_at()
    report = col.sync_decks([FIXTURE_DECKS], now=NOW + timedelta(days=1))
    assert (report.added, report.updated, report.unchanged) == (0, 0, 6)
    assert col.content_changed_at() == before


def served(col: Collection, now: datetime, domain: str | None = None) -> str | None:
    card = col.next_card(now, domain)
    return None if card is None else card.id


def test_decks_synced_from_separate_folders_are_listed_in_one_defined_order(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = open_collection(db_url)
    col.sync_decks([folder_of(tmp_path / "later", {"zeta": ["z-1"]})], now=NOW)
    col.sync_decks([folder_of(tmp_path / "earlier", {"alpha": ["a-1"]})], now=NOW)
    # Each folder alone numbers its decks from the first place: decks sharing a place are
    # listed by name, on every database and in every collection.
    assert [deck.slug for deck in col.decks()] == ["alpha", "zeta"]
    assert [deck.slug for deck in open_collection(db_url).decks()] == ["alpha", "zeta"]
