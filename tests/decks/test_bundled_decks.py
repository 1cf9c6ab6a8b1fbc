"""The bundled decks: they load, meet the counts the product promises, and render safely.

The promises: five domain decks of at least 40 cards with at least 12 drills each; six
cross-cutting decks of at least 25 cards; at least 400 cards in all; every deck uses all
three kinds; at least 25 transfer drills; at least 25 concepts, each used in three or more
decks; no near-duplicate prompts.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from difflib import SequenceMatcher
from html.parser import HTMLParser
from itertools import combinations

import pytest

from trainer.decks.deckfile import DeckSet, load_decks
from trainer.decks.render import cloze_back, cloze_front, markdown_html
from trainer.model import Card, CardKind, DrillStyle
from trainer.storage.paths import bundled_decks

DOMAIN_DECKS = ("finance", "healthcare", "ecommerce", "logistics", "cybersecurity")
CROSS_DECKS = ("narrative", "metrics", "data-labels", "modeling", "production", "responsible-ml")
MAX_FACT_ANSWER_WORDS = 40
NEAR_DUPLICATE = 0.85


@pytest.fixture(scope="module")
def deck_set() -> DeckSet:
    return load_decks([bundled_decks()])


def by_deck(deck_set: DeckSet) -> dict[str, list[Card]]:
    return {deck.slug: list(deck.cards) for deck in deck_set.decks}


def test_every_promised_deck_is_there(deck_set: DeckSet) -> None:
    assert set(by_deck(deck_set)) == set(DOMAIN_DECKS) | set(CROSS_DECKS)


@pytest.mark.parametrize("slug", DOMAIN_DECKS)
def test_domain_deck_counts(deck_set: DeckSet, slug: str) -> None:
    cards = by_deck(deck_set)[slug]
    drills = [c for c in cards if c.kind == CardKind.DRILL]
    assert len(cards) >= 40
    assert len(drills) >= 12


@pytest.mark.parametrize("slug", CROSS_DECKS)
def test_cross_cutting_deck_counts(deck_set: DeckSet, slug: str) -> None:
    assert len(by_deck(deck_set)[slug]) >= 25


def test_totals_and_kinds(deck_set: DeckSet) -> None:
    assert len(deck_set.cards) >= 400
    for slug, cards in by_deck(deck_set).items():
        assert {c.kind for c in cards} == set(CardKind), slug
    transfers = [c for c in deck_set.cards if c.kind == CardKind.DRILL and "transfer" in c.tags]
    assert len(transfers) >= 25


def test_concepts_are_defined_and_used_across_decks(deck_set: DeckSet) -> None:
    assert len(deck_set.concepts) >= 25
    decks_using: dict[str, set[str]] = defaultdict(set)
    for card in deck_set.cards:
        assert card.concepts, card.id
        for concept in card.concepts:
            decks_using[concept].add(card.deck)
    thin = {c: sorted(decks_using[c]) for c in deck_set.concepts if len(decks_using[c]) < 3}
    assert not thin, f"concepts used in fewer than three decks: {thin}"


def test_fact_answers_are_short(deck_set: DeckSet) -> None:
    long = [
        c.id
        for c in deck_set.cards
        if c.kind == CardKind.FACT and len(c.answer.split()) > MAX_FACT_ANSWER_WORDS
    ]
    assert not long


def test_design_drills_walk_the_five_layers(deck_set: DeckSet) -> None:
    layers = ("context", "constraints", "data", "model", "impact")
    design = [c for c in deck_set.cards if c.kind == CardKind.DRILL and c.style == DrillStyle.DESIGN]
    assert design
    for card in design:
        text = card.answer.lower()
        missing = [layer for layer in layers if layer not in text]
        assert not missing, (card.id, missing)
        assert 3 <= len(card.points) <= 7


def normalise(text: str) -> str:
    text = re.sub(r"\{\{c\d+::(.*?)(::.*?)?\}\}", r"\1", text.lower())
    return re.sub(r"[^a-z0-9 ]+", " ", text).strip()


def test_no_near_duplicate_prompts(deck_set: DeckSet) -> None:
    entries = {c.note_id: c for c in deck_set.cards}  # a cloze's cards share their entry's text
    prompts = [(c.id, normalise(c.prompt or c.text)) for c in entries.values()]
    exact = [p for p, n in Counter(text for _, text in prompts).items() if n > 1]
    assert not exact
    similar = []
    for (id_a, a), (id_b, b) in combinations(prompts, 2):
        matcher = SequenceMatcher(None, a, b, autojunk=False)
        if matcher.real_quick_ratio() >= NEAR_DUPLICATE and matcher.quick_ratio() >= NEAR_DUPLICATE:
            ratio = matcher.ratio()
            if ratio >= NEAR_DUPLICATE:
                similar.append((id_a, id_b, round(ratio, 2)))
    assert not similar


class TagCollector(HTMLParser):
    """Collects every real element and attribute in a piece of HTML (escaped text is not one)."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "style", "object", "embed", "img", "svg", "form"):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag}[{name}]")
            if value and value.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                self.problems.append(f"{tag}[{name}={value}]")


def unsafe_parts(html: str) -> list[str]:
    collector = TagCollector()
    collector.feed(html)
    collector.close()
    return collector.problems


def test_every_markdown_field_renders_to_safe_html(deck_set: DeckSet) -> None:
    for card in deck_set.cards:
        rendered = [markdown_html(card.prompt), markdown_html(card.answer), markdown_html(card.why)]
        rendered += [markdown_html(point) for point in card.points]
        if card.kind == CardKind.CLOZE:
            rendered += [cloze_front(card.text), cloze_back(card.text)]
            assert "{{c" not in cloze_front(card.text), card.id
        for html in rendered:
            assert not unsafe_parts(html), card.id


def test_markdown_rendering_neutralises_injection() -> None:
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3)) **ok**"
    html = markdown_html(payload)
    assert unsafe_parts(html) == []
    assert "<strong>ok</strong>" in html
    assert "&lt;script&gt;" in html
    cloze = cloze_back("Before {{c1::<b onmouseover=alert(1)>gap</b>}} after")
    assert unsafe_parts(cloze) == []
    assert "&lt;b onmouseover=alert(1)&gt;gap" in cloze
    assert unsafe_parts('<img src=x onerror="alert(1)">') == ["<img>", "img[onerror]"]
