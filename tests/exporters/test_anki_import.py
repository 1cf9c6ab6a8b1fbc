"""Anki import: round trips through a package, foreign note types, and every kind of bad package."""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import genanki
import pytest
from click.testing import CliRunner

from exporters.anki_export import export_anki
from exporters.anki_import import ImportProblems, import_anki
from exporters.anki_package import PackageError
from tests.conftest import FIXTURE_DECKS, NOW, assert_clean_error
from trainer import Collection
from trainer.cli import cli
from trainer.decks.deckfile import load_decks

REPO_CONCEPTS = Path(__file__).resolve().parents[2] / "decks" / "concepts.yaml"
CONTENT_FIELDS = ("kind", "prompt", "answer", "why", "text", "points", "concepts", "tags")


@pytest.fixture
def empty_decks(tmp_path: Path) -> Path:
    """A deck folder holding only the concept vocabulary."""
    folder = tmp_path / "imported"
    folder.mkdir()
    shutil.copy(FIXTURE_DECKS / "concepts.yaml", folder / "concepts.yaml")
    return folder


@pytest.fixture
def package(tmp_path: Path, decks_dir: Path, open_collection: Callable[..., Collection]) -> Path:
    """An export of the small test decks."""
    col = open_collection(f"sqlite:///{tmp_path / 'source.db'}")
    col.sync_decks([decks_dir], now=NOW)
    out = tmp_path / "export.apkg"
    export_anki(col, out, now=NOW)
    return out


def test_trainer_to_apkg_to_deck_file_gives_the_same_cards(package: Path, empty_decks: Path) -> None:
    report = import_anki(package, "alpha-again", empty_decks)

    original = {c.id: c for c in load_decks([FIXTURE_DECKS]).cards}
    imported = load_decks([empty_decks]).cards
    assert report.cards == len(imported) == len(original) == 6
    assert report.skipped == {} and report.default_concept_cards == 0
    for card in imported:
        source = original[card.id]
        assert {f: getattr(card, f) for f in CONTENT_FIELDS} == {
            f: getattr(source, f) for f in CONTENT_FIELDS
        }


def test_real_decks_survive_the_round_trip(
    tmp_path: Path, empty_decks: Path, open_collection: Callable[..., Collection]
) -> None:
    repo_decks = REPO_CONCEPTS.parent
    shutil.copy(REPO_CONCEPTS, empty_decks / "concepts.yaml")
    col = open_collection(f"sqlite:///{tmp_path / 'real.db'}")
    col.sync_decks([repo_decks], now=NOW)
    export_anki(col, tmp_path / "real.apkg", decks=["finance"], now=NOW)

    import_anki(tmp_path / "real.apkg", "finance", empty_decks)

    original = {c.id: c for c in load_decks([repo_decks]).cards}
    imported = load_decks([empty_decks]).cards
    assert len(imported) == sum(1 for c in original.values() if c.deck == "finance")
    for card in imported:
        assert {f: getattr(card, f) for f in CONTENT_FIELDS} == {
            f: getattr(original[card.id], f) for f in CONTENT_FIELDS
        }


def foreign_package(path: Path) -> Path:
    """A package as a user's own Anki would hold it: Basic, Cloze and an unsupported type."""
    basic = genanki.BASIC_MODEL
    odd = genanki.Model(
        1_111_222_333,
        "Vocabulary",
        fields=[{"name": "Word"}, {"name": "Meaning"}],
        templates=[{"name": "Card 1", "qfmt": "{{Word}}", "afmt": "{{Meaning}}"}],
    )
    deck = genanki.Deck(2_000_000_001, "Mine::ML basics")
    deck.add_note(
        genanki.Note(
            model=basic,
            fields=["What is <b>recall</b>?", "TP / (TP + FN)<br>also <i>sensitivity</i>"],
            tags=["metrics"],
            guid="abc123",
        )
    )
    deck.add_note(
        genanki.Note(
            model=genanki.CLOZE_MODEL,
            fields=["AUC is {{c1::threshold-free}}", "Extra note"],
            tags=["concept::precision-recall"],
            guid="def456",
        )
    )
    deck.add_note(genanki.Note(model=odd, fields=["logit", "log-odds"], guid="ghi789"))
    genanki.Package(deck).write_to_file(str(path), timestamp=NOW.timestamp())
    return path


def test_basic_and_cloze_convert_with_markdown_and_stable_ids(tmp_path: Path, empty_decks: Path) -> None:
    shutil.copy(REPO_CONCEPTS, empty_decks / "concepts.yaml")
    source = foreign_package(tmp_path / "mine.apkg")
    report = import_anki(source, "mine", empty_decks)

    assert report.skipped == {"Vocabulary": 1}
    assert report.default_concept_cards == 1
    deck = load_decks([empty_decks]).decks[0]
    assert deck.title == "ML basics"
    fact, cloze = deck.cards
    assert fact.prompt == "What is **recall**?"
    assert fact.answer == "TP / (TP + FN)\nalso *sensitivity*"
    assert fact.concepts == ("problem-framing",)
    assert cloze.concepts == ("precision-recall",)
    assert fact.tags == ("metrics",)
    assert cloze.text == "AUC is {{c1::threshold-free}}"
    assert cloze.why == "Extra note"
    again = tmp_path / "again"
    shutil.copytree(empty_decks, again)
    (again / "mine.yaml").unlink()
    import_anki(source, "mine", again)
    assert [c.id for c in load_decks([again]).cards] == [fact.id, cloze.id]


def test_cli_lists_skipped_note_types(tmp_path: Path, empty_decks: Path) -> None:
    shutil.copy(REPO_CONCEPTS, empty_decks / "concepts.yaml")
    source = foreign_package(tmp_path / "mine.apkg")
    result = CliRunner().invoke(
        cli, ["import", "anki", str(source), "--deck", "mine", "--decks-dir", str(empty_decks)]
    )
    assert result.exit_code == 0, result.output
    assert "dropped: 1 note(s) of unsupported type 'Vocabulary'" in result.output
    assert "problem-framing" in result.output


def rewrite_zip(source: Path, target: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(source) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    contents.update(entries)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return target


def corrupt_database(package: Path, target: Path) -> Path:
    with zipfile.ZipFile(package) as archive:
        data = bytearray(archive.read("collection.anki2"))
    page_size = int.from_bytes(data[16:18], "big")
    for start in range(page_size, len(data), page_size):
        data[start] = 0x0E  # not a valid b-tree page type
    return rewrite_zip(package, target, {"collection.anki2": bytes(data)})


BAD_PACKAGES: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "not a zip": (lambda p, t: (t.write_bytes(b"plain text, not a zip"), t)[1], "not an Anki package"),
    "truncated": (lambda p, t: (t.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), t)[1], "not an"),
    "not sqlite": (
        lambda p, t: rewrite_zip(p, t, {"collection.anki2": b"this is not a database" * 100}),
        "is not a SQLite database",
    ),
    "fails integrity": (corrupt_database, "collection.anki2"),
    "escaping entry": (lambda p, t: rewrite_zip(p, t, {"../evil.txt": b"x"}), "outside the package folder"),
    "escaping media": (
        lambda p, t: rewrite_zip(p, t, {"media": json.dumps({"0": "../../etc/x"}).encode(), "0": b"x"}),
        "would leave the media folder",
    ),
    "no collection": (lambda p, t: _only_media(t), "no Anki collection inside"),
}


def _only_media(target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("media", "{}")
    return target


@pytest.mark.parametrize("case", sorted(BAD_PACKAGES))
def test_bad_packages_are_refused_and_nothing_is_written(
    case: str, package: Path, tmp_path: Path, empty_decks: Path
) -> None:
    make, message = BAD_PACKAGES[case]
    bad = make(package, tmp_path / f"bad-{case.replace(' ', '-')}.apkg")
    before = sorted(p.name for p in empty_decks.iterdir())

    with pytest.raises(PackageError, match=message):
        import_anki(bad, "bad", empty_decks)

    assert sorted(p.name for p in empty_decks.iterdir()) == before
    result = CliRunner().invoke(
        cli, ["import", "anki", str(bad), "--deck", "bad", "--decks-dir", str(empty_decks)]
    )
    assert_clean_error(result)
    assert str(bad) in result.output


def test_an_unclosed_nested_cloze_names_the_note(tmp_path: Path, empty_decks: Path) -> None:
    deck = genanki.Deck(2_000_000_002, "Mine")
    text = "{{c1::Bagging {{c2::averages}} many trees"
    deck.add_note(genanki.Note(model=genanki.CLOZE_MODEL, fields=[text, ""], guid="unclosed"))
    genanki.Package(deck).write_to_file(str(tmp_path / "bad.apkg"), timestamp=NOW.timestamp())
    with pytest.raises(ImportProblems) as raised:
        import_anki(tmp_path / "bad.apkg", "mine", empty_decks)
    (problem,) = raised.value.problems
    assert "(Cloze (genanki)): gap '{{c1::Bagging {{c2::averag'... is never closed" in str(problem)
    assert sorted(p.name for p in empty_decks.iterdir()) == ["concepts.yaml"]


def test_a_drill_without_points_names_the_note(package: Path, tmp_path: Path, empty_decks: Path) -> None:
    with zipfile.ZipFile(package) as archive:
        db_bytes = archive.read("collection.anki2")
    db_file = tmp_path / "edit.anki2"
    db_file.write_bytes(db_bytes)
    conn = sqlite3.connect(db_file)
    try:
        rows = conn.execute("SELECT id, flds FROM notes").fetchall()
        for note_id, flds in rows:
            fields = flds.split("\x1f")
            if fields[-1] == "a-drill":
                fields[2] = "<ul></ul>"
                conn.execute("UPDATE notes SET flds = ? WHERE id = ?", ("\x1f".join(fields), note_id))
                drill_note = note_id
        conn.commit()
    finally:
        conn.close()
    edited = rewrite_zip(package, tmp_path / "edited.apkg", {"collection.anki2": db_file.read_bytes()})

    with pytest.raises(ImportProblems) as caught:
        import_anki(edited, "edited", empty_decks)
    assert f"note {drill_note}" in str(caught.value) and "rubric points" in str(caught.value)
    assert not (empty_decks / "edited.yaml").exists()


def test_current_anki_packages_are_read(tmp_path: Path, empty_decks: Path) -> None:
    """A package written by Anki's own engine in its current format (zstd, `collection.anki21b`)."""
    from anki.collection import Collection as AnkiCollection
    from anki.collection import ExportAnkiPackageOptions

    shutil.copy(REPO_CONCEPTS, empty_decks / "concepts.yaml")
    source = AnkiCollection(str(tmp_path / "anki.anki2"))
    try:
        basic = source.new_note(source.models.by_name("Basic"))
        basic["Front"], basic["Back"] = "What is <b>AUC</b>?", "Area under the ROC curve"
        basic.tags = ["metrics"]
        source.add_note(basic, source.decks.id("Default"))
        cloze = source.new_note(source.models.by_name("Cloze"))
        cloze["Text"] = "A {{c1::gap}} here"
        source.add_note(cloze, source.decks.id("Default"))
        out = str(tmp_path / "current.apkg")
        options = ExportAnkiPackageOptions(
            with_scheduling=False, with_deck_configs=False, with_media=True, legacy=False
        )
        source.export_anki_package(out_path=out, options=options, limit=None)
    finally:
        source.close()
    with zipfile.ZipFile(out) as archive:
        assert "collection.anki21b" in archive.namelist()

    report = import_anki(out, "native", empty_decks)

    fact, gap = load_decks([empty_decks]).cards
    assert report.cards == 2
    assert (fact.kind.value, fact.prompt, fact.tags) == ("fact", "What is **AUC**?", ("metrics",))
    assert (gap.kind.value, gap.text) == ("cloze", "A {{c1::gap}} here")


def test_drill_fields_reach_the_anki_note_and_come_back(
    tmp_path: Path, drill_decks_dir: Path, empty_decks: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(f"sqlite:///{tmp_path / 'drills.db'}")
    col.sync_decks([drill_decks_dir], now=NOW)
    out = tmp_path / "drills.apkg"
    export_anki(col, out, decks=["drills"], now=NOW)
    with zipfile.ZipFile(out) as archive:
        (tmp_path / "c.anki2").write_bytes(archive.read("collection.anki2"))
    conn = sqlite3.connect(tmp_path / "c.anki2")
    try:
        notes = {
            flds.split("\x1f")[-1]: flds.split("\x1f") for (flds,) in conn.execute("SELECT flds FROM notes")
        }
        models = conn.execute("SELECT models FROM col").fetchone()[0]
    finally:
        conn.close()
    framing = notes["d-framing"]
    assert "<li>Mentions alarm fatigue</li>" in framing[3] and "<li>Leads with accuracy</li>" in framing[4]
    assert "Drift in the inputs first." in framing[5] and framing[6] == "framing · aim for 1:00"
    # A story drill's example is said to be one, above the answer on the back (the front side).
    assert (
        notes["d-story"][6]
        == "story · aim for 3:00 · the back shows an example story, not the answer: tell your own"
    )
    assert "Red flags" in models and "{{#Red flags}}" in models
    import_anki(out, "drills", empty_decks)
    back = {card.id: card for card in load_decks([empty_decks]).cards}
    original = {card.id: card for card in load_decks([drill_decks_dir]).cards if card.deck == "drills"}
    for card_id, card in back.items():
        source = original[card_id]
        assert (card.style, card.time_target_s, card.optional, card.red_flags) == (
            source.style,
            source.time_target_s,
            source.optional,
            source.red_flags,
        )
        assert card.points == source.points
