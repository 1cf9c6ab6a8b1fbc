"""The trainer to Anki and back again, checked with Anki's own engine.

Anki computes retrievability and compares note times against the wall clock, so the learner's
answers here are placed relative to it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from anki.collection import Collection as AnkiCollection
from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

from exporters.anki_export import export_anki
from exporters.notetypes import DECK_PREFIX, TAG_ROOT
from tests.conftest import FIXTURE_DECKS
from trainer import Collection, Rating

GAMMA = """\
deck: gamma
title: "Gamma: multi-gap clozes, for tests"
description: Clozes with **several** gaps. <script>alert(1)</script>
cards:
  - id: g-multi
    kind: cloze
    text: "{{c1::Precision}} and {{c2::recall::a rate}} trade off; {{c1::precision}} drops first."
    concepts: [class-imbalance]
    tags: [metrics]
  - id: g-three
    kind: cloze
    text: "{{c1::One}}, {{c2::two}} and {{c3::three}}."
    concepts: [class-imbalance]
  - id: g-curve
    kind: fact
    prompt: "What does this curve show? ![PR curve](media/pr-curve.png)"
    answer: Precision against recall as the threshold moves.
    concepts: [class-imbalance]
"""
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def import_into(target: AnkiCollection, package: Path) -> object:
    request = ImportAnkiPackageRequest(
        package_path=str(package),
        options=ImportAnkiPackageOptions(with_scheduling=True, with_deck_configs=True),
    )
    return target.import_anki_package(request).log


@pytest.fixture
def anki(tmp_path: Path) -> Iterator[AnkiCollection]:
    (tmp_path / "anki").mkdir()
    collection = AnkiCollection(str(tmp_path / "anki" / "collection.anki2"))
    yield collection
    collection.close()


def anki_card_id(target: AnkiCollection, note: str, cloze: int) -> int:
    found = target.find_cards(f'"Card ID:{note}" card:{max(cloze, 1)}')
    assert len(found) == 1, (note, cloze)
    return found[0]


def note_mtimes(target: AnkiCollection) -> dict[str, int]:
    return {target.get_note(nid)["Card ID"]: target.get_note(nid).mod for nid in target.find_notes("")}


def test_export_import_twice_with_an_edit_in_anki_between(
    tmp_path: Path, open_collection: object, anki: AnkiCollection
) -> None:
    decks = tmp_path / "decks"
    shutil.copytree(FIXTURE_DECKS, decks)
    (decks / "gamma.yaml").write_text(GAMMA)
    (decks / "media").mkdir()
    (decks / "media" / "pr-curve.png").write_bytes(PNG)
    wall = datetime.now(UTC)
    start = wall - timedelta(days=40)
    col = open_collection(f"sqlite:///{tmp_path / 'trainer.db'}")  # type: ignore[operator]
    assert isinstance(col, Collection)
    col.sync_decks([decks], now=start)
    moment = start
    plan = {"a-fact": [3, 3, 3], "g-multi-c2": [3, 1, 3], "b-one": [4], "a-drill": [2, 3], "g-three-c3": [3]}
    for card_id, ratings in plan.items():
        for rating in ratings:
            col.answer(card_id, Rating(rating), now=moment, duration_ms=3000)
            moment += timedelta(days=2, hours=5)
    col.bury("b-two", now=moment)

    export_anki(col, tmp_path / "first.apkg", with_progress=True, now=moment)
    import_into(anki, tmp_path / "first.apkg")
    anki.set_config("fsrs", True)

    studied = col.cards()
    # One Anki card per trainer card, each with its own progress.
    assert anki.card_count() == len(studied)
    assert anki.note_count() == len({s.card.note_id for s in studied}) < len(studied)
    now = datetime.now(UTC)
    for study in studied:
        card = anki.get_card(anki_card_id(anki, study.card.note_id, study.card.cloze))
        assert card.reps == study.memory.reps, study.id
        if study.memory.stability is not None:
            anki_r = anki.card_stats_data(card.id).fsrs_retrievability
            assert abs(anki_r - col.retrievability(study.id, now=now)) < 0.01, study.id
    assert anki.get_card(anki_card_id(anki, "g-multi", 1)).reps == 0  # only c2 was studied
    assert anki.get_card(anki_card_id(anki, "b-two", 0)).queue == -3  # buried by the learner
    # New cards come in this trainer's order.
    new = [s for s in studied if s.memory.reps == 0 and s.id != "b-two"]
    positions = [anki.get_card(anki_card_id(anki, s.card.note_id, s.card.cloze)).due for s in new]
    assert positions == sorted(positions)
    # Short deck names, the subtitle in the description; every tag of ours under one root.
    gamma = anki.decks.by_name(f"{DECK_PREFIX}::Gamma")
    assert gamma is not None and "Multi-gap clozes, for tests" in gamma["desc"]
    assert "<strong>several</strong>" in gamma["desc"] and "<script" not in gamma["desc"]
    tags = {tag for nid in anki.find_notes("") for tag in anki.get_note(nid).tags}
    assert tags and all(tag.startswith(TAG_ROOT) for tag in tags)
    # The image arrives as Anki media, shown by the note.
    curve = anki.get_note(anki.find_notes('"Card ID:g-curve"')[0])
    assert '<img src="pr-curve.png" alt="PR curve">' in curve["Prompt"]
    assert (Path(anki.media.dir()) / "pr-curve.png").read_bytes() == PNG
    # The learner's preset arrives as the decks' options.
    options = anki.decks.config_dict_for_deck_id(gamma["id"])
    assert options["desiredRetention"] == col.settings.desired_retention
    assert options["fsrsParams6"] == pytest.approx(list(col.settings.parameters), abs=1e-4)

    # The learner edits one note in Anki; the author edits another card here.
    edited = anki.get_note(anki.find_notes('"Card ID:a-fact"')[0])
    edited["Why"] = "My own words, added in Anki."
    anki.update_note(edited)
    before = note_mtimes(anki)
    export_anki(col, tmp_path / "unchanged.apkg", with_progress=True, now=moment + timedelta(days=1))
    log = import_into(anki, tmp_path / "unchanged.apkg")
    assert list(log.updated) == [] and note_mtimes(anki) == before  # type: ignore[attr-defined]

    beta = decks / "beta.yaml"
    beta.write_text(beta.read_text().replace("First beta answer.", "First beta answer, revised."))
    col.sync_decks([decks], now=moment + timedelta(days=2))
    export_anki(col, tmp_path / "edited.apkg", with_progress=True, now=moment + timedelta(days=2))
    log = import_into(anki, tmp_path / "edited.apkg")
    assert [entry.fields[-1] for entry in log.updated] == ["b-one"]  # type: ignore[attr-defined]
    assert "revised" in anki.get_note(anki.find_notes('"Card ID:b-one"')[0])["Answer"]
    assert anki.get_note(edited.id)["Why"] == "My own words, added in Anki."
    assert anki.card_count() == len(studied)
