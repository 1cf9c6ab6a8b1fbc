"""A card's one-line snippet for lists: clozes show their gaps filled, long text is cut."""

from __future__ import annotations

import pytest

from trainer.decks import render
from trainer.decks.deckfile import load_decks
from trainer.decks.render import card_snippet, cloze_back, cloze_front, markdown_html
from trainer.model import Card, CardKind
from trainer.storage.paths import bundled_decks


def test_a_cloze_snippet_fills_its_gaps_in_brackets() -> None:
    card = Card(
        id="c",
        deck="d",
        kind=CardKind.CLOZE,
        text="Fraud scoring answers within {{c1::tens of **milliseconds**}} at {{c2::p99::a percentile}}.",
        concepts=("x",),
    )
    assert card_snippet(card) == "Fraud scoring answers within [tens of milliseconds] at [p99]."


def test_a_long_prompt_is_cut_at_a_word() -> None:
    card = Card(id="f", deck="d", kind=CardKind.FACT, prompt="word " * 40, answer="a", concepts=("x",))
    snippet = card_snippet(card, limit=30)
    assert snippet.endswith("…") and len(snippet) <= 30 and "wor…" not in snippet


# Texts on which markdown-it-pyrs 0.4 panics inside its Rust parser.
PANICKING_TEXTS = ["[`", "See [`code", "a [`b` c"]


@pytest.mark.parametrize("text", PANICKING_TEXTS)
def test_text_the_fast_parser_cannot_read_still_renders(text: str) -> None:
    html = markdown_html(text)
    assert html.startswith("<p>") and "[" in html


@pytest.mark.parametrize("text", PANICKING_TEXTS)
def test_a_cloze_with_such_text_renders_on_both_sides(text: str) -> None:
    cloze = f"{text} {{{{c1::gap}}}}"
    assert "[...]" in cloze_front(cloze, 1) and "gap" in cloze_back(cloze, 1)


def test_the_fallback_parser_renders_every_bundled_field_as_the_fast_one_does() -> None:
    fields = [
        text
        for card in load_decks([bundled_decks()]).cards
        for text in (card.prompt, card.answer, card.why, card.text, *card.points)
        if text
    ]
    assert len(fields) > 1000
    for text in fields:
        assert render._reference_markdown.render(text) == render._markdown.render(text), text
