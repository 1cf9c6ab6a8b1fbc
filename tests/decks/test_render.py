"""A card's one-line snippet for lists: clozes show their gaps filled, long text is cut."""

from __future__ import annotations

from trainer.decks.render import card_snippet
from trainer.model import Card, CardKind


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
