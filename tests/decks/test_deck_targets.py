"""The second edition's targets for the bundled decks.

At least 600 cards; every domain deck has at least six framing drills; every design drill has
optional points, a red flag, a variant and a follow-up; no fact answer runs over 40 words or
three clauses; every concept is used by at least three decks; no cloze gap offers alternatives;
no two clozes hide the same term.

A clause, for this count, is a sentence or a part of one set off by a semicolon or colon; a
sentence with more than two commas counts one more clause for each comma beyond the second, so a
list of five or more things ("A, B, C, D and E") counts as several clauses. A list of four or more
items counts one clause per item: items set off by commas with "and" or "or" after the last comma
("A, B, C, and D"), or short items of at most four words with the last two joined by "and" or
"or" ("coverage, diversity, novelty and serendipity"). Parenthetical asides and commas inside
numbers do not count.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from trainer.decks.cloze import gaps, parse_cloze
from trainer.decks.deckfile import DeckSet, load_decks
from trainer.model import Card, CardKind, DrillStyle
from trainer.storage.paths import bundled_decks

DOMAIN_DECKS = ("finance", "healthcare", "ecommerce", "logistics", "cybersecurity")
MIN_CARDS = 600
MIN_FRAMING_PER_DOMAIN = 6
MAX_FACT_WORDS = 40
MAX_FACT_CLAUSES = 3
MIN_DECKS_PER_CONCEPT = 3

ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|al)\.")
PARENTHESIS = re.compile(r"\([^)]*\)")
CLAUSE_END = re.compile(r"[.;:!?](?:\s+|$)")
COMMA = re.compile(r",\s")
CONJUNCTION = re.compile(r"\b(?:and|or)\b")
SERIAL_CONJUNCTION = re.compile(r"(?:and|or)\s")
SHORT_ITEM_WORDS = 4


def list_items(part: str) -> int:
    """How many items the longest list in `part` has (0 when it holds no list of three or more)."""
    segments = [segment.strip() for segment in COMMA.split(part.strip())]
    if len(segments) >= 3 and SERIAL_CONJUNCTION.match(segments[-1]):
        return len(segments)
    longest, run = 0, 0
    for segment in segments:
        words = len(segment.split())
        if run >= 2 and CONJUNCTION.search(segment) and words <= 2 * SHORT_ITEM_WORDS:
            longest = max(longest, run + 2)
        run = run + 1 if words <= SHORT_ITEM_WORDS and not CONJUNCTION.search(segment) else 0
    return longest


def part_clauses(part: str) -> int:
    """The clauses of one sentence or part of one: its commas, or its list's items if four or more."""
    by_commas = 1 + max(0, len(COMMA.findall(part)) - 2)
    items = list_items(part)
    return max(by_commas, items) if items >= 4 else by_commas


def clause_count(text: str) -> int:
    """How many clauses `text` has, by the rule in this module's docstring."""
    text = ABBREVIATION.sub("", PARENTHESIS.sub("", text))
    return sum(part_clauses(part) for part in CLAUSE_END.split(text) if part.strip())


@pytest.fixture(scope="module")
def deck_set() -> DeckSet:
    return load_decks([bundled_decks()])


def drills(deck_set: DeckSet, style: DrillStyle) -> list[Card]:
    return [c for c in deck_set.cards if c.kind == CardKind.DRILL and c.style == style]


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("Usually well under 1% of transactions.", 1),
        ("It discounts chance agreement, given how often each rater uses each label.", 1),
        ("Recall falls; precision rises. Pick by cost.", 3),
        ("Risk management, data governance, logging and human oversight.", 4),
        ("An owner, a runbook, a tuned threshold, and a link to harm.", 4),
        ("Coverage, diversity, novelty and serendipity.", 4),
        ("Labels are late, noisy, and biased.", 1),
        ("It fits surrogates on samples, so results depend on the sample, the kernel and the features.", 1),
        ("Coverage, diversity, novelty, serendipity and fairness, which narrow exposure. Use them.", 6),
        ("A (one, two, three, four) rule, e.g. this one.", 1),
        ("About 2,000,000 tokens, or $2,000, a day.", 1),
    ],
)
def test_clause_count(text: str, clauses: int) -> None:
    assert clause_count(text) == clauses


def test_enough_cards(deck_set: DeckSet) -> None:
    assert len(deck_set.cards) >= MIN_CARDS


def test_every_domain_deck_has_framing_drills(deck_set: DeckSet) -> None:
    framing = defaultdict(list)
    for card in drills(deck_set, DrillStyle.FRAMING):
        framing[card.deck].append(card.id)
    short = {d: len(framing[d]) for d in DOMAIN_DECKS if len(framing[d]) < MIN_FRAMING_PER_DOMAIN}
    assert not short, f"domain decks with fewer than {MIN_FRAMING_PER_DOMAIN} framing drills: {short}"


def test_framing_drills_push_back(deck_set: DeckSet) -> None:
    silent = [c.id for c in drills(deck_set, DrillStyle.FRAMING) if not c.follow_ups]
    assert not silent, f"framing drills without a follow-up: {silent}"


def test_design_drills_are_complete(deck_set: DeckSet) -> None:
    incomplete = {
        card.id: [
            name
            for name, present in (
                ("optional point", card.optional),
                ("red flag", card.red_flags),
                ("variant", card.variants),
                ("follow-up", card.follow_ups),
            )
            if not present
        ]
        for card in drills(deck_set, DrillStyle.DESIGN)
    }
    incomplete = {card_id: missing for card_id, missing in incomplete.items() if missing}
    assert not incomplete


def test_facts_are_short_and_not_lists(deck_set: DeckSet) -> None:
    long = {
        c.id: (len(c.answer.split()), clause_count(c.answer))
        for c in deck_set.cards
        if c.kind == CardKind.FACT
        and (len(c.answer.split()) > MAX_FACT_WORDS or clause_count(c.answer) > MAX_FACT_CLAUSES)
    }
    limits = f"{MAX_FACT_WORDS} words or {MAX_FACT_CLAUSES} clauses"
    assert not long, f"facts over {limits} (words, clauses): {long}"


def test_every_concept_is_used_by_three_decks(deck_set: DeckSet) -> None:
    decks_using: dict[str, set[str]] = defaultdict(set)
    for card in deck_set.cards:
        for concept in card.concepts:
            decks_using[concept].add(card.deck)
    thin = {
        c: sorted(decks_using[c]) for c in deck_set.concepts if len(decks_using[c]) < MIN_DECKS_PER_CONCEPT
    }
    assert not thin, f"concepts used by fewer than {MIN_DECKS_PER_CONCEPT} decks: {thin}"


QUANTITY = re.compile(r"\d|\b(?:one|two|three|few)\b|\bor (?:more|less|fewer)\b")
ALTERNATIVE = re.compile(r"\bor\b")


def test_no_gap_offers_alternatives(deck_set: DeckSet) -> None:
    """A gap deletes one key term; "A or B" in a gap is an open phrase with two answers (a quantity
    such as "90 or more days" is still one answer)."""
    open_gaps = {
        card.id: gap.answer()
        for card in deck_set.cards
        if card.kind == CardKind.CLOZE
        for gap in gaps(parse_cloze(card.text))
        if ALTERNATIVE.search(gap.answer()) and not QUANTITY.search(gap.answer())
    }
    assert not open_gaps, f"gaps offering alternatives: {open_gaps}"


def test_no_two_clozes_hide_the_same_term(deck_set: DeckSet) -> None:
    """Two cloze entries hiding the same term (a quantity aside) teach one fact twice: keep one."""
    hiding: dict[str, set[str]] = defaultdict(set)
    for card in deck_set.cards:
        if card.kind == CardKind.CLOZE:
            for gap in gaps(parse_cloze(card.text)):
                if not QUANTITY.search(gap.answer()):
                    hiding[gap.answer().strip().lower()].add(card.note_id)
    twice = {term: sorted(ids) for term, ids in hiding.items() if len(ids) > 1}
    assert not twice, f"terms hidden by more than one cloze: {twice}"
