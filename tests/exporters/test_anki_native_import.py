"""Importing what Anki's own engine writes: every note kind, images, subdecks, history,
suspension, and one summary of exactly what could not come along."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from anki.collection import Collection as AnkiCollection
from anki.collection import ExportAnkiPackageOptions
from anki.scheduler.v3 import CardAnswer
from click.testing import CliRunner

from exporters.anki_import import import_anki
from tests.conftest import REPO_DECKS
from trainer import Collection
from trainer.check import check_database
from trainer.cli import cli
from trainer.decks.deckfile import load_decks

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def anki_package(folder: Path, *, legacy: bool) -> tuple[Path, dict[str, list[int]]]:
    """A package from Anki's engine, and the ratings given to each note's first card by its front."""
    folder.mkdir()
    source = AnkiCollection(str(folder / "collection.anki2"))
    try:
        main = source.decks.id("Interview")
        sub = source.decks.id("Interview::Metrics")
        notes = {}

        def add(model: str, deck: int, tags: list[str] | None = None, **fields: str) -> None:
            note = source.new_note(source.models.by_name(model))
            for name, value in fields.items():
                note[name.replace("_", " ")] = value
            note.tags = tags or []
            source.add_note(note, deck)
            notes[next(iter(fields.values()))] = note

        source.media.write_data("pr curve.png", PNG)
        add("Basic", main, ["marked"], Front="What is <u>recall</u>?", Back="TP / (TP + FN)")
        add("Basic (and reversed card)", sub, Front="AUC", Back="Area under the ROC curve")
        add("Cloze", main, Text="{{c1::Precision::a rate}} and {{c3::recall::another rate}} trade off")
        add("Basic", sub, Front='<img src="pr curve.png">', Back="A precision-recall curve")
        add("Basic (type in the answer)", main, Front="Log-odds of p?", Back="log(p / (1 - p))")
        source.set_config("fsrs", True)
        answered: dict[str, list[int]] = {}
        for front, ratings in {"What is <u>recall</u>?": [3, 3], "AUC": [1, 3]}.items():
            card = notes[front].cards()[0]
            for rating in ratings:
                card = source.get_card(card.id)
                states = source._backend.get_scheduling_states(card.id)
                card.start_timer()
                answer = {1: CardAnswer.AGAIN, 3: CardAnswer.GOOD}[rating]
                source.sched.answer_card(source.sched.build_answer(card=card, states=states, rating=answer))
            answered[front] = ratings
        source.sched.suspend_cards([notes["Log-odds of p?"].cards()[0].id])
        source.set_user_flag_for_cards(1, [notes["AUC"].cards()[1].id])
        out = folder / "native.apkg"
        options = ExportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=False, with_media=True, legacy=legacy
        )
        source.export_anki_package(out_path=str(out), options=options, limit=None)
    finally:
        source.close()
    return out, answered


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy"])
def test_native_package_imports_with_history_and_an_exact_summary(
    legacy: bool, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    package, answered = anki_package(tmp_path / "anki", legacy=legacy)
    decks = tmp_path / "decks"
    decks.mkdir()
    shutil.copy(REPO_DECKS / "concepts.yaml", decks / "concepts.yaml")

    report = import_anki(package, "mine", decks)

    assert report.summary() == (
        "dropped: 1 card flags, 1 marked tags, 1 type-in answers (shown as plain facts), 1 underline"
    )
    assert sorted(p.name for p in report.paths) == ["mine-metrics.yaml", "mine.yaml"]
    assert (decks / "media" / "pr-curve.png").read_bytes() == PNG
    loaded = {deck.slug: deck for deck in load_decks([decks]).decks}
    assert loaded["mine-metrics"].title == "Metrics"
    by_prompt = {card.prompt or card.text: card for deck in loaded.values() for card in deck.cards}
    assert by_prompt["Area under the ROC curve"].answer == "AUC"  # the reverse card, its own fact
    assert by_prompt["![](media/pr-curve.png)"].answer == "A precision-recall curve"
    assert by_prompt["What is recall?"].answer == "TP / (TP + FN)"
    clozes = [c for c in loaded["mine"].cards if c.kind.value == "cloze"]
    assert [c.cloze for c in clozes] == [1, 3]
    assert report.cards == sum(len(d.cards) for d in loaded.values()) == 7

    col = open_collection(f"sqlite:///{tmp_path / 'trainer.db'}")
    col.sync_decks([decks])
    assert col.import_history(report.reviews, report.suspended) == 4
    for front, ratings in answered.items():
        card_id = by_prompt[front.replace("<u>", "").replace("</u>", "")].id
        assert [int(e.rating) for e in col.history(card_id)] == ratings
    assert col.card(by_prompt["Log-odds of p?"].id).memory.suspended
    assert check_database(col.engine).ok


def test_cli_imports_with_progress_and_prints_the_summary(tmp_path: Path) -> None:
    package, _ = anki_package(tmp_path / "anki", legacy=False)
    decks = tmp_path / "decks"
    decks.mkdir()
    shutil.copy(REPO_DECKS / "concepts.yaml", decks / "concepts.yaml")
    db = f"sqlite:///{tmp_path / 'trainer.db'}"
    args = ["--db", db, "import", "anki", str(package), "--deck", "mine", "--decks-dir", str(decks)]
    result = CliRunner().invoke(cli, [*args, "--with-progress", "--one-deck"])
    assert result.exit_code == 0, result.output
    assert (
        "dropped: 1 card flags, 1 marked tags, 1 type-in answers (shown as plain facts), 1 underline"
        in result.output
    )
    assert "Progress: 4 answers replayed, 1 cards suspended" in result.output
    assert sorted(p.name for p in decks.glob("*.yaml")) == ["concepts.yaml", "mine.yaml"]


PLAIN_TEXT = (
    "#separator:tab\n#html:true\n#notetype column:1\n#deck column:2\n#tags column:5\n"
    "Basic\tInterview\tWhat is <b>recall</b>?\tTP / (TP + FN)\tmetrics\n"
    "Cloze\tInterview\t{{c1::Precision}} and {{c2::recall}}\t\t\n"
)


def test_anki_plain_text_notes_are_imported(tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text(PLAIN_TEXT)
    decks = tmp_path / "decks"
    decks.mkdir()
    shutil.copy(REPO_DECKS / "concepts.yaml", decks / "concepts.yaml")
    report = import_anki(source, "plain", decks)
    cards = load_decks([decks]).cards
    assert report.cards == len(cards) == 3
    assert (cards[0].prompt, cards[0].answer, cards[0].tags) == (
        "What is **recall**?",
        "TP / (TP + FN)",
        ("metrics",),
    )
    assert [c.cloze for c in cards[1:]] == [1, 2]
