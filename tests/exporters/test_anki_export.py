"""Anki export, checked by importing every package into a fresh collection of Anki's own engine."""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from anki.collection import Collection as AnkiCollection
from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
from hypothesis import given
from hypothesis import strategies as st

from exporters.anki_export import export_anki
from exporters.anki_progress import interval_days
from exporters.notetypes import CLOZE_MODEL_ID, DRILL_MODEL_ID, FACT_MODEL_ID, PARENT_DECK_ID, deck_id
from tests.conftest import NOW
from trainer import Collection
from trainer.clock import learner_day
from trainer.errors import NotFound
from trainer.model import CardState

MODEL_NAMES = {"ML Interview: fact", "ML Interview: cloze", "ML Interview: drill"}


@pytest.fixture
def anki(tmp_path: Path) -> Iterator[Callable[[], AnkiCollection]]:
    """Fresh collections of Anki's own engine, closed at teardown."""
    opened: list[AnkiCollection] = []

    def opener() -> AnkiCollection:
        folder = tmp_path / f"anki{len(opened)}"
        folder.mkdir()
        collection = AnkiCollection(str(folder / "collection.anki2"))
        opened.append(collection)
        return collection

    yield opener
    for collection in opened:
        collection.close()


def import_package(target: AnkiCollection, package: Path, *, with_scheduling: bool = False) -> None:
    target.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(package), options=ImportAnkiPackageOptions(with_scheduling=with_scheduling)
        )
    )


def package_deck_ids(package: Path) -> set[int]:
    """The ids of the decks written into a package, other than Anki's default deck."""
    with zipfile.ZipFile(package) as archive:
        data = archive.read("collection.anki2")
    db_file = package.with_suffix(".db")
    db_file.write_bytes(data)
    conn = sqlite3.connect(db_file)
    try:
        (decks,) = conn.execute("SELECT decks FROM col").fetchone()
    finally:
        conn.close()
    return {int(key) for key in json.loads(decks)} - {1}


def notes_by_card_id(target: AnkiCollection) -> dict[str, object]:
    notes = [target.get_note(nid) for nid in target.find_notes("")]
    return {note["Card ID"]: note for note in notes}


def test_package_imports_with_decks_fields_tags_and_note_types(
    sqlite_col: Collection, anki: Callable[[], AnkiCollection], tmp_path: Path
) -> None:
    report = export_anki(sqlite_col, tmp_path / "ml.apkg", now=NOW)
    target = anki()
    import_package(target, tmp_path / "ml.apkg")

    assert report.notes == 6 and report.decks == 2
    assert target.note_count() == 6
    assert target.card_count() == 6
    names = {d.name for d in target.decks.all_names_and_ids()}
    assert {"ML Interview::Alpha", "ML Interview::Beta"} <= names
    assert package_deck_ids(tmp_path / "ml.apkg") == {deck_id("alpha"), deck_id("beta"), PARENT_DECK_ID}
    parent = target.decks.by_name("ML Interview")
    assert parent is not None and "interviews" in parent["desc"]
    alpha = target.decks.by_name("ML Interview::Alpha")
    assert alpha is not None and alpha["desc"] == "<p>A small deck for tests.</p>\n"
    models = {m["name"]: m for m in target.models.all()}
    assert set(models) >= MODEL_NAMES
    assert {models[n]["id"] for n in MODEL_NAMES} == {FACT_MODEL_ID, CLOZE_MODEL_ID, DRILL_MODEL_ID}
    assert models["ML Interview: cloze"]["type"] == 1
    assert ".nightMode" in models["ML Interview: fact"]["css"]

    notes = notes_by_card_id(target)
    fact = notes["a-fact"]
    assert fact["Prompt"] == "<p>How rare is fraud?</p>\n"  # type: ignore[index]
    assert "Accuracy misleads" in fact["Why"]  # type: ignore[index]
    assert fact["Domain"] == "Alpha"  # type: ignore[index]
    assert fact["Concepts"] == "class-imbalance"  # type: ignore[index]
    assert sorted(fact.tags) == [  # type: ignore[attr-defined]
        "ML_Interview::concept::class-imbalance",
        "ML_Interview::deck::alpha",
        "ML_Interview::kind::fact",
        "ML_Interview::tag::fraud",
    ]
    cloze = notes["a-cloze"]
    assert "{{c1::tens of milliseconds}}" in cloze["Text"]  # type: ignore[index]
    drill = notes["a-drill"]
    assert "<strong>Context.</strong>" in drill["Model answer"]  # type: ignore[index]
    assert drill["Points"].count("<li>") == 4  # type: ignore[index]
    question = target.get_card(target.find_cards('"Card ID:a-cloze"')[0]).question()
    assert "tens of milliseconds" not in question and "[...]" in question


def test_deck_option_limits_the_export(sqlite_col: Collection, tmp_path: Path) -> None:
    report = export_anki(sqlite_col, tmp_path / "beta.apkg", decks=["beta"], now=NOW)
    assert (report.decks, report.notes) == (1, 3)
    with pytest.raises(NotFound, match="gamma"):
        export_anki(sqlite_col, tmp_path / "x.apkg", decks=["gamma"], now=NOW)
    assert not (tmp_path / "x.apkg").exists()


def test_edited_export_updates_notes_in_place(
    sqlite_col: Collection, decks_dir: Path, anki: Callable[[], AnkiCollection], tmp_path: Path
) -> None:
    export_anki(sqlite_col, tmp_path / "first.apkg", now=NOW)
    target = anki()
    import_package(target, tmp_path / "first.apkg")
    alpha = decks_dir / "alpha.yaml"
    alpha.write_text(alpha.read_text().replace("How rare is fraud?", "How rare is card fraud?"))
    later = NOW + timedelta(days=1)
    sqlite_col.sync_decks([decks_dir], now=later)
    export_anki(sqlite_col, tmp_path / "second.apkg", now=later)

    import_package(target, tmp_path / "second.apkg")

    assert target.note_count() == 6 and target.card_count() == 6
    assert notes_by_card_id(target)["a-fact"]["Prompt"] == "<p>How rare is card fraud?</p>\n"  # type: ignore[index]


def study(col: Collection) -> datetime:
    """Answer a few cards at fixed times, suspend two, and return the time after the last answer."""
    moment = NOW
    plan = {"a-fact": [3, 3, 3], "a-drill": [4, 1], "b-one": [3], "b-two": [1, 3]}
    for card_id, ratings in plan.items():
        for rating in ratings:
            col.answer(card_id, rating, now=moment, duration_ms=4200)
            moment += timedelta(minutes=12)
    col.suspend("b-two")
    col.suspend("b-three")
    return moment


def test_progress_arrives_in_anki_with_due_dates_intervals_and_review_log(
    sqlite_col: Collection, anki: Callable[[], AnkiCollection], tmp_path: Path
) -> None:
    moment = study(sqlite_col)
    report = export_anki(sqlite_col, tmp_path / "progress.apkg", with_progress=True, now=moment)
    target = anki()
    import_package(target, tmp_path / "progress.apkg", with_scheduling=True)
    zone, rollover = sqlite_col.settings.zone, sqlite_col.settings.rollover_hour
    # Anki's "today" comes from its own clock, which cannot be set from here. It is read once
    # and everything below is measured from it and the collection's creation day, so a run that
    # crosses the learner's rollover cannot fail; the trainer's clock brackets that one reading.
    created = learner_day(
        datetime.fromtimestamp(target.db.scalar("SELECT crt FROM col"), UTC), zone, rollover
    )
    before = learner_day(datetime.now(UTC), zone, rollover)
    anki_today = created + timedelta(days=target.sched.today)
    after = learner_day(datetime.now(UTC), zone, rollover)
    assert before <= anki_today <= after

    assert report.reviewed_cards == 5 and report.review_rows == 8
    states = {s.id: s.memory for s in sqlite_col.cards()}
    assert {m.state for m in states.values()} >= {CardState.REVIEW, CardState.LEARNING, CardState.RELEARNING}
    for card_id, memory in states.items():
        card = target.get_card(target.find_cards(f'"Card ID:{card_id}"')[0])
        assert card.type == int(memory.state), card_id  # Anki's card types share the values
        assert card.reps == memory.reps and card.lapses == memory.lapses
        if memory.suspended:
            assert card.queue == -1, card_id
        elif memory.state == CardState.REVIEW:
            assert memory.due is not None
            assert card.queue == 2
            days_ahead = (learner_day(memory.due, zone, rollover) - anki_today).days
            assert card.due - (anki_today - created).days == days_ahead, card_id
            assert card.ivl == interval_days(memory) >= 1
        elif memory.state in (CardState.LEARNING, CardState.RELEARNING):
            assert memory.due is not None
            assert card.queue == 1 and card.due == int(memory.due.timestamp())
        else:
            assert card.queue == 0
        log = sqlite_col.history(card_id)
        rows = target.db.all("SELECT id, ease, time FROM revlog WHERE cid = ? ORDER BY id", card.id)
        assert [(r[1], r[2]) for r in rows] == [(int(e.rating), 4200) for e in log], card_id
        assert [r[0] // 1000 for r in rows] == [int(e.reviewed_at.timestamp()) for e in log]


def test_anki_with_fsrs_has_memory_states_matching_the_trainer(
    sqlite_col: Collection, anki: Callable[[], AnkiCollection], tmp_path: Path
) -> None:
    moment = study(sqlite_col)
    export_anki(sqlite_col, tmp_path / "progress.apkg", with_progress=True, now=moment)
    target = anki()
    import_package(target, tmp_path / "progress.apkg", with_scheduling=True)
    target.set_config("fsrs", True)

    for study_card in sqlite_col.cards():
        memory = study_card.memory
        card = target.get_card(target.find_cards(f'"Card ID:{study_card.id}"')[0])
        if memory.state == CardState.NEW:
            assert card.memory_state is None
            continue
        assert card.memory_state is not None, study_card.id
        assert memory.stability is not None and memory.difficulty is not None
        assert card.memory_state.stability == pytest.approx(memory.stability, rel=1e-3)
        recomputed = target.compute_memory_state(card.id)
        assert recomputed.stability == pytest.approx(memory.stability, rel=1e-2), study_card.id
        assert recomputed.difficulty == pytest.approx(memory.difficulty, rel=1e-2), study_card.id


def test_without_progress_every_card_arrives_new(
    sqlite_col: Collection, anki: Callable[[], AnkiCollection], tmp_path: Path
) -> None:
    moment = study(sqlite_col)
    export_anki(sqlite_col, tmp_path / "plain.apkg", now=moment)
    target = anki()
    import_package(target, tmp_path / "plain.apkg", with_scheduling=True)
    assert {target.get_card(cid).queue for cid in target.find_cards("")} == {0}
    assert target.db.scalar("SELECT count() FROM revlog") == 0


PICTURES = """\
deck: pictures
title: Pictures
cards:
  - id: p-drill
    kind: drill
    prompt: Which curve do you show?
    answer: The PR curve.
    points: ["Shows ![PR](media/pr-curve.png)", States the threshold, Names the base rate]
    follow_ups:
      - prompt: And the ROC curve?
        answer: "Misleading here: ![ROC](media/roc-curve.png)"
    concepts: [class-imbalance]
"""


def test_images_in_any_field_arrive_as_anki_media(
    col: Collection, decks_dir: Path, anki: Callable[[], AnkiCollection], tmp_path: Path
) -> None:
    (decks_dir / "pictures.yaml").write_text(PICTURES)
    (decks_dir / "media").mkdir()
    for name in ("pr-curve.png", "roc-curve.png"):
        (decks_dir / "media" / name).write_bytes(b"\x89PNG\r\n\x1a\n" + name.encode())
    col.sync_decks([decks_dir], now=NOW)
    export_anki(col, tmp_path / "pictures.apkg", decks=["pictures"], now=NOW)
    target = anki()
    import_package(target, tmp_path / "pictures.apkg")
    note = notes_by_card_id(target)["p-drill"]
    assert 'src="pr-curve.png"' in note["Points"]  # type: ignore[index]
    assert 'src="roc-curve.png"' in note["Follow-ups"]  # type: ignore[index]
    for name in ("pr-curve.png", "roc-curve.png"):
        assert (Path(target.media.dir()) / name).read_bytes().endswith(name.encode())


def test_note_mtimes_are_the_content_change_times_on_both_databases(
    col: Collection, decks_dir: Path, tmp_path: Path
) -> None:
    beta = decks_dir / "beta.yaml"
    beta.write_text(beta.read_text().replace("First beta answer.", "First beta answer, revised."))
    later = NOW + timedelta(days=3)
    col.sync_decks([decks_dir], now=later)
    changed = col.content_changed_at()
    assert col.changed_card_contents() == [(card, changed[card.id]) for card in col.card_contents()]
    export_anki(col, tmp_path / "ml.apkg", now=later + timedelta(hours=1))
    with zipfile.ZipFile(tmp_path / "ml.apkg") as archive:
        (tmp_path / "ml.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "ml.anki2") as conn:
        rows = conn.execute("SELECT flds, mod FROM notes").fetchall()
    mtimes = {fields.split("\x1f")[-1]: mod for fields, mod in rows}  # Card ID is the last field
    by_note: dict[str, int] = {}
    for card in col.card_contents():
        by_note[card.note_id] = max(by_note.get(card.note_id, 0), int(changed[card.id].timestamp()))
    assert len(set(by_note.values())) == 2 and by_note["b-one"] == int(later.timestamp())
    assert {note: mtimes.get(note) for note in by_note} == by_note


def test_real_decks_export_and_import(
    open_collection: Callable[..., Collection], anki: Callable[[], AnkiCollection], tmp_path: Path
) -> None:
    decks = tmp_path / "repo-decks"
    shutil.copytree(Path(__file__).resolve().parents[2] / "decks", decks)
    col = open_collection(f"sqlite:///{tmp_path / 'real.db'}")
    col.sync_decks([decks], now=NOW)
    report = export_anki(col, tmp_path / "all.apkg", now=NOW)
    target = anki()
    import_package(target, tmp_path / "all.apkg")
    cards = col.cards()
    assert target.note_count() == report.notes == len({c.card.note_id for c in cards})
    assert target.card_count() == len(cards) > report.notes  # one Anki card per trainer card


def _package_rows(db: Path) -> dict[str, object]:
    with sqlite3.connect(db) as conn:
        models, decks = conn.execute("SELECT models, decks FROM col").fetchone()
        return {
            "notes": conn.execute("SELECT * FROM notes ORDER BY id").fetchall(),
            "cards": conn.execute("SELECT * FROM cards ORDER BY id").fetchall(),
            "models": json.loads(models),
            "decks": json.loads(decks),
        }


def test_bulk_written_notes_equal_what_genanki_writes_note_by_note(tmp_path: Path) -> None:
    """The exporter's bulk insert against genanki's own `Note.write_to_db`, on the bundled decks."""
    import genanki

    from exporters.anki_export import insert_notes, package_notes
    from exporters.notetypes import make_note

    decks = tmp_path / "repo-decks"
    shutil.copytree(Path(__file__).resolve().parents[2] / "decks", decks)
    col = Collection.open(f"sqlite:///{tmp_path / 'real.db'}")
    try:
        col.sync_decks([decks], now=NOW)
        cards = col.card_contents()
        anki_decks, notes = package_notes(col, cards, frozenset({cards[0].id}))
        titles = {d.slug: d.title for d in col.decks()}
    finally:
        col.close()
    stamp = NOW.timestamp()

    ours = tmp_path / "ours.anki2"
    with sqlite3.connect(ours) as conn:
        ids = iter(range(1_000, 10**9))
        genanki.Package(anki_decks).write_to_db(conn.cursor(), stamp, ids)
        insert_notes(conn, notes, ids)

    theirs = tmp_path / "theirs.anki2"
    reference = {d.deck_id: genanki.Deck(d.deck_id, d.name, d.description) for d in anki_decks}
    entries = {card.note_id: card for card in reversed(cards)}  # a cloze's cards make one note
    for card in cards:
        if entries[card.note_id] is card:
            extra = ("leech",) if card.id == cards[0].id else ()
            reference[deck_id(card.deck)].add_note(make_note(card, titles[card.deck], extra))
    with sqlite3.connect(theirs) as conn:
        genanki.Package(list(reference.values())).write_to_db(conn.cursor(), stamp, iter(range(1_000, 10**9)))

    expected, written = _package_rows(theirs), _package_rows(ours)
    assert len(expected["notes"]) == len(entries) < len(cards)  # type: ignore[arg-type]
    assert len(expected["cards"]) == len(cards)  # type: ignore[arg-type]
    # Where the two differ by design: a note's mtime is its last content change (the sync at
    # NOW), not the export's, and new cards are numbered in deck order instead of all 0.
    synced = int(NOW.timestamp())
    assert {row[3] for row in written["notes"]} == {synced}  # type: ignore[attr-defined]
    assert {row[4] for row in written["cards"]} == {synced}  # type: ignore[attr-defined]
    positions = [row[8] for row in written["cards"]]  # type: ignore[attr-defined]
    assert positions == sorted(positions) and positions[-1] == len(entries)

    def by_design(rows: dict[str, object]) -> dict[str, object]:
        notes = [row[:3] + row[4:] for row in rows["notes"]]  # type: ignore[attr-defined]
        cards = [row[:4] + row[5:8] + row[9:] for row in rows["cards"]]  # type: ignore[attr-defined]
        return {**rows, "notes": notes, "cards": cards}

    assert by_design(written) == by_design(expected)


def test_package_keeps_genankis_tables_and_indexes_and_the_collector_state(
    sqlite_col: Collection, tmp_path: Path
) -> None:
    import gc

    import genanki

    def schema(db: Path) -> list[tuple[str, ...]]:
        with sqlite3.connect(db) as conn:
            return conn.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
            ).fetchall()

    export_anki(sqlite_col, tmp_path / "ml.apkg", now=NOW)
    with zipfile.ZipFile(tmp_path / "ml.apkg") as archive:
        (tmp_path / "ml.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "genanki.anki2") as conn:
        genanki.Package([]).write_to_db(conn.cursor(), NOW.timestamp(), iter(range(1, 10**6)))
    written = schema(tmp_path / "ml.anki2")
    assert written == schema(tmp_path / "genanki.anki2") and any(row[0] == "index" for row in written)
    # The export pauses the cyclic collector only while it runs, also when it fails.
    assert gc.isenabled()
    with pytest.raises(NotFound):
        export_anki(sqlite_col, tmp_path / "x.apkg", decks=["gamma"], now=NOW)
    assert gc.isenabled()
    gc.disable()
    try:
        export_anki(sqlite_col, tmp_path / "y.apkg", now=NOW)
        assert not gc.isenabled()
    finally:
        gc.enable()


@given(st.text(min_size=1, max_size=80))
def test_note_guids_equal_genankis_guid_for(card_id: str) -> None:
    import genanki

    from exporters.notetypes import note_guid

    assert note_guid(card_id) == genanki.guid_for(card_id)
