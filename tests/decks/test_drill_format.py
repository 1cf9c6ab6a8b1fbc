"""The drill fields of a deck file: styles, time targets, weighted rubrics, variants and
follow-ups, validated with a file and line for every problem, stored by the sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer import Collection
from trainer.decks.deckfile import STORY_POINTS, load_decks
from trainer.errors import DeckError
from trainer.model import Card, CardKind, DrillStyle, FollowUp, Variant

GOOD_DRILLS = """\
deck: drills
title: Drills
cards:
  - id: d-framing
    kind: drill
    style: framing
    time_target_s: 75
    prompt: Which metric matters more in patient alerts, and why?
    answer: Recall at a bounded alert rate.
    points:
      - Names recall as the priority
      - Bounds the alert rate
    optional: [Mentions alarm fatigue]
    red_flags: [Leads with accuracy]
    variants:
      - prompt: The ward has one nurse per 30 beds. Which metric now?
        answer: Precision at the top of the list.
        points: [Names precision at k, Ties k to nurse capacity]
      - prompt: Missed sepsis costs a life; a false alert costs a minute. Which metric?
        answer: Recall, with the alert rate watched.
    follow_ups:
      - prompt: The alert rate doubles overnight. What do you check?
        answer: Drift in the inputs first.
    concepts: [class-imbalance]
  - id: d-story
    kind: drill
    style: story
    prompt: Tell me about a model you shipped.
    answer: An example story.
    concepts: [class-imbalance]
  - id: d-old
    kind: drill
    prompt: Design fraud detection.
    answer: Model answer.
    points: [One, Two, Three]
    concepts: [class-imbalance]
"""


def test_drill_fields_load_with_defaults_for_old_files(decks_dir: Path) -> None:
    (decks_dir / "drills.yaml").write_text(GOOD_DRILLS)
    cards = {card.id: card for card in load_decks([decks_dir]).cards}
    framing = cards["d-framing"]
    assert framing.style == DrillStyle.FRAMING and framing.time_target_s == 75
    assert framing.optional == ("Mentions alarm fatigue",)
    assert framing.red_flags == ("Leads with accuracy",)
    assert framing.variants[0].points == ("Names precision at k", "Ties k to nurse capacity")
    assert framing.variants[1].points is None
    assert framing.follow_ups == (
        FollowUp("The alert rate doubles overnight. What do you check?", "Drift in the inputs first."),
    )
    assert cards["d-story"].points == STORY_POINTS and cards["d-story"].time_target_s == 180
    old = cards["d-old"]
    assert old.style == DrillStyle.DESIGN and old.time_target_s == 240
    assert old.variants == () and old.red_flags == ()


def test_a_variant_overrides_only_the_lists_it_gives(decks_dir: Path) -> None:
    (decks_dir / "drills.yaml").write_text(GOOD_DRILLS)
    framing = next(card for card in load_decks([decks_dir]).cards if card.id == "d-framing")
    first, second = framing.drill_text(1), framing.drill_text(2)
    assert first.points == ("Names precision at k", "Ties k to nurse capacity")
    assert first.red_flags == ("Leads with accuracy",)
    assert second.points == framing.points and second.answer.startswith("Recall, with")
    with pytest.raises(ValueError):
        framing.drill_text(3)


BAD_DRILLS = """\
deck: bad
title: Bad
cards:
  - id: b-style
    kind: drill
    style: essay
    time_target_s: 5
    prompt: P
    answer: A
    points: [One, Two, Three]
    concepts: [class-imbalance]
  - id: b-lists
    kind: drill
    prompt: P
    answer: A
    points: [One, Two, Three]
    optional: [a, b, c, d, e, f]
    red_flags: not a list
    concepts: [class-imbalance]
  - id: b-variant
    kind: drill
    style: framing
    prompt: P
    answer: A
    points: [One, Two]
    variants:
      - prompt: Only a prompt
      - prompt: P2
        answer: A2
        points: [Only one]
        colour: red
    follow_ups:
      - just text
    concepts: [class-imbalance]
  - id: b-fact
    kind: fact
    prompt: P
    answer: A
    red_flags: [Not on a fact]
    concepts: [class-imbalance]
"""


def test_every_drill_problem_is_reported_with_its_line(decks_dir: Path) -> None:
    bad = decks_dir / "bad.yaml"
    bad.write_text(BAD_DRILLS)
    with pytest.raises(DeckError) as caught:
        load_decks([decks_dir])
    messages = {str(p) for p in caught.value.problems}
    expected = {
        f"{bad}:4: card 'b-style': unknown style 'essay' (expected framing, design or story)",
        f"{bad}:4: card 'b-style': `time_target_s` must be 20 to 900 seconds",
        f"{bad}:12: card 'b-lists': `optional` takes 0 to 5 optional, found 6",
        f"{bad}:12: card 'b-lists': `red_flags` must be a list of non-empty strings",
        f"{bad}:27: card 'b-variant' variant 1: `answer` must be non-empty text",
        f"{bad}:28: card 'b-variant' variant 2: field `colour` is not used here",
        f"{bad}:28: card 'b-variant' variant 2: a drill needs 2 to 7 points, found 1",
        f"{bad}:20: card 'b-variant' follow-up 1: must be a mapping with `prompt` and `answer`",
        f"{bad}:35: card 'b-fact': field `red_flags` is not used by a fact card",
    }
    assert messages == expected


@pytest.mark.parametrize(
    "card",
    [
        Card(
            id="x",
            deck="d",
            kind=CardKind.DRILL,
            prompt="P",
            answer="A",
            points=("a", "b"),
            style=DrillStyle.STORY,
            time_target_s=100,
            optional=("o",),
            red_flags=("r",),
            variants=(Variant("P1", "A1", points=("c", "d"), red_flags=()),),
            follow_ups=(FollowUp("F", "G"),),
        ),
        Card(id="y", deck="d", kind=CardKind.FACT, prompt="P", answer="A"),
    ],
)
def test_card_dict_round_trip(card: Card) -> None:
    assert Card.from_dict(card.to_dict()) == card


def test_a_fact_dict_has_no_drill_fields() -> None:
    fact = Card(id="y", deck="d", kind=CardKind.FACT, prompt="P", answer="A")
    assert "style" not in fact.to_dict() and "variants" not in fact.to_dict()


def test_sync_stores_the_drill_fields(tmp_path: Path, decks_dir: Path) -> None:
    (decks_dir / "drills.yaml").write_text(GOOD_DRILLS)
    col = Collection.open(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        col.sync_decks([decks_dir])
        stored = {study.card.id: study.card for study in col.cards()}
        loaded = {card.id: card for card in load_decks([decks_dir]).cards}
        assert stored["d-framing"] == loaded["d-framing"]
        assert stored["d-old"].style == DrillStyle.DESIGN
        assert stored["d-framing"].html is not None
        assert stored["d-framing"].html["variants"][0]["points"][0] == "Names precision at k"
        assert stored["d-framing"].html["red_flags"] == ["Leads with accuracy"]
        report = col.sync_decks([decks_dir])
        assert report.updated == 0 and report.added == 0
    finally:
        col.close()
