"""Deck file loading and validation: every problem reported, with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.decks.deckfile import load_decks
from trainer.errors import DeckError
from trainer.model import CardKind


def test_fixture_decks_load(decks_dir: Path) -> None:
    deck_set = load_decks([decks_dir])
    assert [d.slug for d in deck_set.decks] == ["alpha", "beta"]
    assert len(deck_set.cards) == 6
    drill = next(c for c in deck_set.cards if c.kind == CardKind.DRILL)
    assert drill.points[0] == "Prices both errors"
    assert drill.concepts == ("cost-asymmetry", "latency-budget")


BAD_DECK = """\
deck: bad
title: Bad
cards:
  - id: x-one
    kind: fact
    prompt: Q?
    answer: A.
    concepts: [class-imbalance]
  - id: x-one
    kind: fact
    prompt: Duplicate id?
    answer: Yes.
    concepts: [class-imbalance]
  - id: x-kind
    kind: essay
    prompt: Unknown kind
    concepts: [class-imbalance]
  - id: x-drill
    kind: drill
    prompt: A drill with no points
    answer: Model.
    concepts: [cost-asymmetry]
  - id: x-cloze
    kind: cloze
    text: No gap here.
    concepts: [class-imbalance]
  - id: x-concept
    kind: fact
    prompt: Unknown concept?
    answer: Yes.
    concepts: [not-a-concept]
  - id: x-missing
    kind: fact
    prompt: Missing answer?
    concepts: [class-imbalance]
"""


def test_every_problem_is_reported_with_file_and_line(decks_dir: Path) -> None:
    bad = decks_dir / "bad.yaml"
    bad.write_text(BAD_DECK)
    with pytest.raises(DeckError) as caught:
        load_decks([decks_dir])
    problems = {(p.line, p.message.split(":")[-1].strip()) for p in caught.value.problems}
    assert all(p.file == str(bad) for p in caught.value.problems)
    messages = "\n".join(str(p) for p in caught.value.problems)
    assert f"{bad}:9: duplicate card id 'x-one'" in messages
    assert f"{bad}:14: card 'x-kind': unknown kind 'essay'" in messages
    assert f"{bad}:18: card 'x-drill': missing field `points`" in messages
    assert f"{bad}:23: card 'x-cloze': a cloze needs at least one" in messages
    assert f"{bad}:27: card 'x-concept': unknown concept 'not-a-concept'" in messages
    assert f"{bad}:32: card 'x-missing': missing field `answer`" in messages
    assert len(problems) == 6


def test_bad_yaml_names_the_line(decks_dir: Path) -> None:
    (decks_dir / "broken.yaml").write_text("deck: broken\ntitle: B\ncards:\n  - id: [unclosed\n")
    with pytest.raises(DeckError) as caught:
        load_decks([decks_dir])
    (problem,) = caught.value.problems
    assert problem.file and problem.file.endswith("broken.yaml")
    assert problem.line is not None and "bad YAML" in problem.message


def test_drill_point_count_is_checked(decks_dir: Path) -> None:
    (decks_dir / "few.yaml").write_text(
        "deck: few\ntitle: Few\ncards:\n  - id: f-d\n    kind: drill\n    prompt: P\n"
        "    answer: A\n    points: [one, two]\n    concepts: [class-imbalance]\n"
    )
    with pytest.raises(DeckError, match="3 to 7 points, found 2"):
        load_decks([decks_dir])


def test_missing_concepts_file_is_an_error(tmp_path: Path, decks_dir: Path) -> None:
    (decks_dir / "concepts.yaml").unlink()
    with pytest.raises(DeckError, match=r"no concepts\.yaml"):
        load_decks([decks_dir])
