"""Clozes as Anki makes them: one card per cloze number, same number hidden together, hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import NOW
from trainer import Collection, Rating
from trainer.decks.deckfile import load_decks
from trainer.decks.render import back_html, cloze_back, cloze_front, front_html
from trainer.errors import DeckError
from trainer.model import CardKind

MULTI_GAP = """\
deck: gamma
title: Gamma
cards:
  - id: g-multi
    kind: cloze
    text: "{{c1::Precision}} and {{c2::recall::a rate}} trade off; {{c1::precision}} drops first."
    concepts: [class-imbalance]
  - id: g-late
    kind: cloze
    text: Only {{c2::two}} and {{c3::three}}.
    concepts: [class-imbalance]
"""


@pytest.fixture
def gamma(decks_dir: Path) -> Path:
    (decks_dir / "gamma.yaml").write_text(MULTI_GAP)
    return decks_dir


def test_one_card_per_cloze_number_with_stable_ids(gamma: Path) -> None:
    cards = [c for c in load_decks([gamma]).cards if c.deck == "gamma"]
    assert [(c.id, c.note_id, c.cloze) for c in cards] == [
        ("g-multi", "g-multi", 1),
        ("g-multi-c2", "g-multi", 2),
        ("g-late-c2", "g-late", 2),
        ("g-late-c3", "g-late", 3),
    ]
    assert {c.kind for c in cards} == {CardKind.CLOZE}


def test_same_number_hidden_together_others_shown_and_hints(gamma: Path) -> None:
    first, second = [c for c in load_decks([gamma]).cards if c.note_id == "g-multi"]
    front = front_html(first)
    assert front.count('<span class="cloze">[...]</span>') == 2  # both c1 gaps hidden
    assert "recall" in front and "[a rate]" not in front  # the c2 gap is shown as text
    back = back_html(first)
    assert '<span class="cloze">Precision</span>' in back and '<span class="cloze">precision</span>' in back
    assert '<span class="cloze">recall</span>' not in back
    assert '<span class="cloze">[a rate]</span>' in front_html(second)
    assert '<span class="cloze-inactive">precision</span> drops' in front_html(second)
    terminal_front = cloze_front(second.text, second.cloze, html_output=False)
    assert terminal_front == "Precision and [a rate] trade off; precision drops first."
    assert cloze_back(second.text, second.cloze, html_output=False).startswith("Precision and [recall] trade")


def test_a_gap_id_colliding_with_another_card_is_an_error(gamma: Path) -> None:
    (gamma / "delta.yaml").write_text(
        "deck: delta\ntitle: Delta\ncards:\n  - id: g-multi-c2\n    kind: fact\n"
        "    prompt: Q?\n    answer: A.\n    concepts: [class-imbalance]\n"
    )
    with pytest.raises(DeckError) as raised:
        load_decks([gamma])
    assert any("g-multi-c2" in p.message and p.line for p in raised.value.problems)


def test_cloze_number_zero_is_refused(decks_dir: Path) -> None:
    (decks_dir / "gamma.yaml").write_text(MULTI_GAP.replace("{{c2::two}}", "{{c0::two}}"))
    with pytest.raises(DeckError, match="problem") as raised:
        load_decks([decks_dir])
    assert any("c1 to c500" in p.message for p in raised.value.problems)


def test_adding_a_gap_adds_a_card_and_keeps_progress(sqlite_col: Collection, decks_dir: Path) -> None:
    sqlite_col.answer("a-cloze", Rating.Good, now=NOW)
    alpha = decks_dir / "alpha.yaml"
    alpha.write_text(alpha.read_text().replace("within {{c1", "for {{c2::fraud}} within {{c1"))
    report = sqlite_col.sync_decks([decks_dir], now=NOW)
    assert (report.added, report.updated) == (1, 1)
    assert sqlite_col.card("a-cloze").memory.reps == 1
    assert sqlite_col.card("a-cloze-c2").memory.reps == 0
    assert "fraud" in front_html(sqlite_col.card("a-cloze").card)
    assert "[...]" in front_html(sqlite_col.card("a-cloze-c2").card)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("The {{c1::ROC curve {{c2::plots TPR}} against FPR", "is never closed"),
        ("{{c1::uses {{ a template }} here}}", "opens no gap"),
        ("{{c1:typo}} and {{c2::fine}}", "opens no gap"),
        ("{{c::no number}} and {{c1::fine}}", "has no cloze number"),
        ("{{c1::::only a hint}}", "is empty"),
        ("".join(f"{{{{c{n}::" for n in range(1, 12)) + "x" + "}}" * 11, "nest more than 10 deep"),
    ],
    ids=["unclosed", "stray-braces", "one-colon", "no-number", "empty", "too-deep"],
)
def test_a_malformed_cloze_is_an_error_with_file_and_line(decks_dir: Path, text: str, message: str) -> None:
    deck = MULTI_GAP.replace("Only {{c2::two}} and {{c3::three}}.", repr(text))
    (decks_dir / "gamma.yaml").write_text(deck)
    with pytest.raises(DeckError) as raised:
        load_decks([decks_dir])
    found = [p for p in raised.value.problems if message in p.message]
    assert found, raised.value.problems
    assert found[0].file == str(decks_dir / "gamma.yaml") and found[0].line == 8
    assert "card 'g-late'" in found[0].message


def test_nested_and_shared_gaps_load_as_anki_numbers_them(decks_dir: Path) -> None:
    deck = MULTI_GAP.replace("Only {{c2::two}} and {{c3::three}}.", "'{{c2,4::a {{c3::b {{c5::c}}}}}} d'")
    (decks_dir / "gamma.yaml").write_text(deck)
    cards = [c for c in load_decks([decks_dir]).cards if c.note_id == "g-late"]
    assert [c.id for c in cards] == ["g-late-c2", "g-late-c3", "g-late-c4", "g-late-c5"]
