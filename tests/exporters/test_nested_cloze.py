"""Nested clozes (`{{c1::outer {{c2::inner}} text}}`) and gaps on several cards (`{{c1,2::...}}`)
as Anki's engine reads them: the same cards, and the fronts and backs Anki renders from an export
are the ones this trainer shows, in the web UI and in the terminal; they come back on import."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from anki.collection import Collection as AnkiCollection
from anki.collection import ExportAnkiPackageOptions, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.scheduler.v3 import CardAnswer
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from exporters.anki_export import export_anki
from exporters.anki_import import import_anki
from tests.conftest import NOW, REPO_DECKS
from trainer import Collection
from trainer.cli import cli
from trainer.decks.cloze import cloze_numbers, cloze_syntax_problems
from trainer.decks.deckfile import load_decks
from trainer.decks.render import back_html, cloze_back, cloze_front, cloze_marked_html, front_html, plain_text

TEXTS = {
    "n-nested": "The {{c1::ROC curve {{c2::plots TPR}} against FPR::a curve}} for **every** threshold.",
    "n-deep": "{{c1::A {{c2::B {{c3::C::third}} b}} a}} and {{c3::again}} then `code`.",
    "n-shared": "{{c1,2::Recall}} needs {{c1::TP}} over {{c2::TP + FN}}; 1 < 2 & {{c3::x::h::y}}.",
    "n-same": "{{c1::outer {{c1::inner}} tail}} and a stray }} brace.",
    "n-hint-after": "Loss is {{c2::log {{c1::p}}::a log}}, {{c1::empty hint::}}",
}
DECK = "deck: nested\ntitle: Nested\ncards:\n" + "".join(
    f"  - id: {card_id}\n    kind: cloze\n    text: {text!r}\n    concepts: [class-imbalance]\n"
    for card_id, text in TEXTS.items()
)
PROMPT = re.compile(r'<div class="prompt">(.*?)</div>', re.DOTALL)
ANKI_ATTRIBUTES = re.compile(r' data-(?:cloze|ordinal)="[^"]*"')


def words(rendered: str) -> str:
    """Rendered HTML as the text a reader sees."""
    return html.unescape(re.sub(r"<[^>]*>", "", rendered)).strip()


@pytest.fixture
def anki(tmp_path: Path) -> Iterator[AnkiCollection]:
    (tmp_path / "anki").mkdir()
    collection = AnkiCollection(str(tmp_path / "anki" / "collection.anki2"))
    yield collection
    collection.close()


@pytest.fixture
def nested(decks_dir: Path, tmp_path: Path, open_collection: Callable[..., Collection]) -> Collection:
    (decks_dir / "nested.yaml").write_text(DECK)
    col = open_collection(f"sqlite:///{tmp_path / 'trainer.db'}")
    col.sync_decks([decks_dir], now=NOW)
    return col


def anki_prompt(rendered: str) -> str:
    """The cloze field as Anki rendered it, without the data attributes this trainer does not write."""
    found = PROMPT.search(rendered)
    assert found, rendered
    return ANKI_ATTRIBUTES.sub("", found.group(1)).strip()


def test_one_card_per_number_as_anki_makes_them(nested: Collection) -> None:
    numbers = {note: sorted(c.card.cloze for c in nested.cards() if c.card.note_id == note) for note in TEXTS}
    assert numbers == {
        "n-nested": [1, 2],
        "n-deep": [1, 2, 3],
        "n-shared": [1, 2, 3],
        "n-same": [1],
        "n-hint-after": [1, 2],
    }


def test_fronts_and_backs_are_the_ones_anki_renders(
    nested: Collection, anki: AnkiCollection, tmp_path: Path
) -> None:
    export_anki(nested, tmp_path / "nested.apkg", decks=["nested"], now=NOW)
    anki.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(tmp_path / "nested.apkg"), options=ImportAnkiPackageOptions()
        )
    )
    ours = {(c.card.note_id, c.card.cloze): c.card for c in nested.cards(decks=["nested"])}
    theirs = {}
    for card_id in anki.find_cards(""):
        card = anki.get_card(card_id)
        theirs[(card.note()["Card ID"], card.ord + 1)] = card
    assert sorted(theirs) == sorted(ours)  # one Anki card per trainer card
    for key, card in ours.items():
        question, answer = anki_prompt(theirs[key].question()), anki_prompt(theirs[key].answer())
        assert front_html(card).strip() == question, key
        assert back_html(card).strip() == answer, key
        if "**" not in card.text and "`" not in card.text:
            # The terminal shows the same words: the front exactly, the back with its gaps bracketed.
            terminal_front = plain_text(cloze_front(card.text, card.cloze, html_output=False))
            terminal_back = plain_text(cloze_back(card.text, card.cloze, html_output=False))
            assert terminal_front == words(question), key
            assert words(answer) == re.sub(r"[\[\]]", "", terminal_back), key


def test_the_hidden_gap_hides_everything_inside_it(nested: Collection) -> None:
    first = nested.card("n-nested").card
    assert front_html(first).count("plots TPR") == 0 and "[a curve]" in front_html(first)
    second = nested.card("n-nested-c2").card
    assert '<span class="cloze-inactive">ROC curve <span class="cloze">[...]</span> against FPR</span>' in (
        front_html(second)
    )
    assert cloze_front(second.text, 2, html_output=False) == (
        "The ROC curve [...] against FPR for **every** threshold."
    )
    assert cloze_back(second.text, 2, html_output=False) == (
        "The ROC curve [plots TPR] against FPR for **every** threshold."
    )


def test_nested_clozes_come_back_from_anki(nested: Collection, tmp_path: Path) -> None:
    export_anki(nested, tmp_path / "nested.apkg", decks=["nested"], now=NOW)
    folder = tmp_path / "imported"
    folder.mkdir()
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "decks" / "concepts.yaml", folder)
    report = import_anki(tmp_path / "nested.apkg", "back", folder)
    back = {card.note_id: card for card in load_decks([folder]).cards}
    assert {note: back[note].text for note in TEXTS} == TEXTS
    assert report.cards == len(nested.cards(decks=["nested"])) == 11


def test_the_terminal_review_shows_each_card_as_anki_does(tmp_path: Path) -> None:
    folder = tmp_path / "review"
    folder.mkdir()
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "decks" / "concepts.yaml", folder)
    (folder / "nested.yaml").write_text(DECK.split("  - id: n-deep")[0])  # n-nested only
    result = CliRunner().invoke(
        cli,
        ["--db", f"sqlite:///{tmp_path / 't.db'}", "review", "--decks", str(folder)],
        input=" 3  q",
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # Anki's fronts of the two cards, "The [a curve] for every threshold." and "The ROC curve
    # [...] against FPR for every threshold." (emphasis aside), and the second card's back.
    assert "The [a curve] for every threshold." in lines
    assert "The ROC curve [...] against FPR for every threshold." in lines
    assert "The ROC curve [plots TPR] against FPR for every threshold." in lines
    assert not any("{{" in line for line in lines)


def test_a_nested_cloze_built_by_anki_imports_with_its_cards_history(
    tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    (tmp_path / "source").mkdir()
    source = AnkiCollection(str(tmp_path / "source" / "collection.anki2"))
    try:
        note = source.new_note(source.models.by_name("Cloze"))
        note["Text"] = "{{c1::Bagging {{c2::averages}} many trees::a method}} and {{c3::boosting}}"
        source.add_note(note, source.decks.id("Ensembles"))
        source.set_config("fsrs", True)
        second = next(card for card in note.cards() if card.ord == 1)
        second.start_timer()
        states = source._backend.get_scheduling_states(second.id)
        source.sched.answer_card(
            source.sched.build_answer(card=second, states=states, rating=CardAnswer.GOOD)
        )
        out = tmp_path / "anki.apkg"
        source.export_anki_package(
            out_path=str(out),
            options=ExportAnkiPackageOptions(with_scheduling=True, with_deck_configs=False, with_media=False),
            limit=None,
        )
    finally:
        source.close()
    folder = tmp_path / "decks"
    folder.mkdir()
    shutil.copy(REPO_DECKS / "concepts.yaml", folder)
    col = open_collection(f"sqlite:///{tmp_path / 'trainer.db'}")

    report = import_anki(out, "ensembles", folder, collection=col)

    (entry,) = {card.note_id for card in load_decks([folder]).cards}
    assert [c.card.cloze for c in col.cards()] == [1, 2, 3]
    assert report.answers == 1 and [e.card_id for e in col.history()] == [f"{entry}-c2"]
    assert front_html(col.card(f"{entry}-c2").card).count('<span class="cloze">[...]</span>') == 1


WORDS = st.sampled_from(["a", "b c", " ", "<", "&", "*", "`", "x_y"])
STYLE = re.compile(r"<style>.*?</style>", re.DOTALL)


def gap(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """One gap: one or several numbers, text and gaps inside, maybe a hint."""
    return st.builds(
        lambda numbers, parts, hint: f"{{{{c{numbers}::{''.join(parts)}{hint}}}}}",
        st.sampled_from(["1", "2", "3", "1,2", "2,3"]),
        st.lists(st.one_of(WORDS, inner), min_size=1, max_size=3),
        st.sampled_from(["", "", "::h", "::a hint", "::<i>", "::x::y", "::"]),
    )


CLOZE_TEXTS = st.lists(
    st.one_of(WORDS, st.just("}}"), st.just("::"), st.recursive(gap(WORDS), gap, max_leaves=6)),
    min_size=1,
    max_size=6,
).map("".join)


def test_any_cloze_the_validator_accepts_reads_and_renders_as_in_anki(tmp_path: Path) -> None:
    """Texts of nested gaps with several numbers, hints, stray `}}` and `::`, and Markdown: whenever
    the deck validator accepts one, Anki's engine makes the same cards from the exported field
    and renders each card's front and back as this trainer does."""
    anki = AnkiCollection(str(tmp_path / "collection.anki2"))
    model = anki.models.by_name("Cloze")

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(CLOZE_TEXTS)
    def check(text: str) -> None:
        numbers = cloze_numbers(text)
        assume(not cloze_syntax_problems(text) and numbers and numbers[0] >= 1 and text.strip())
        note = anki.new_note(model)
        note["Text"] = cloze_marked_html(text)
        anki.add_note(note, 1)
        cards = {card.ord + 1: card for card in note.cards()}
        assert sorted(cards) == numbers, text
        for number, card in cards.items():
            question = ANKI_ATTRIBUTES.sub("", STYLE.sub("", card.question()))
            answer = ANKI_ATTRIBUTES.sub("", STYLE.sub("", card.answer())).removesuffix("<br>\n")
            assert cloze_front(text, number).strip() == question.strip(), (text, number)
            assert cloze_back(text, number).strip() == answer.strip(), (text, number)

    try:
        check()
    finally:
        anki.close()
