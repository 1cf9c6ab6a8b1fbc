"""One undo stack for answers, suspend and bury; the undone card is served again at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import NOW
from trainer import Collection, NothingToUndo, Rating


def test_undone_answer_comes_back_at_once(col: Collection) -> None:
    for _ in range(4):
        card = col.next_card(NOW)
        assert card is not None
        col.answer(card.id, Rating.Easy, NOW)
    # Drills are mixed into new cards: a domain's second new card is a drill.
    assert [e.card_id for e in col.history()] == ["a-fact", "b-one", "a-drill", "b-two"]
    assert col.undo() == "b-two"
    again = col.next_card(NOW)
    assert again is not None and again.id == "b-two"
    # Answered once more, the queue goes on where it was.
    col.answer("b-two", Rating.Good, NOW)
    following = col.next_card(NOW)
    assert following is not None and following.id == "a-cloze"


def test_undone_card_comes_back_in_its_domain_only(col: Collection) -> None:
    col.answer("b-one", Rating.Easy, NOW)
    col.undo()
    only_alpha = col.next_card(NOW, domain="alpha")
    assert only_alpha is not None and only_alpha.card.deck == "alpha"


def test_answer_and_next_serves_the_undone_card(col: Collection) -> None:
    col.answer("b-two", Rating.Easy, NOW)
    col.undo()
    _, following = col.answer_and_next("a-fact", Rating.Good, NOW)
    assert following is not None and following.id == "b-two"


def test_suspend_and_bury_are_undone_before_older_answers(col: Collection) -> None:
    col.answer("a-fact", Rating.Good, NOW)
    col.suspend("b-one", now=NOW)
    col.bury("a-cloze", now=NOW)
    assert col.undo_last().action == "bury"
    assert col.card("a-cloze").memory.buried_until is None
    served = col.next_card(NOW)
    assert served is not None and served.id == "a-cloze"
    assert col.undo_last().action == "suspend"
    assert not col.card("b-one").memory.suspended
    assert [e.card_id for e in col.history()] == ["a-fact"]
    served = col.next_card(NOW)
    assert served is not None and served.id == "b-one"
    assert col.undo_last().action == "answer"
    assert col.history() == []
    with pytest.raises(NothingToUndo):
        col.undo()


def test_answers_after_a_suspend_are_undone_first(col: Collection) -> None:
    col.suspend("b-three", now=NOW)
    col.answer("a-fact", Rating.Good, NOW)
    col.answer("b-one", Rating.Good, NOW + timedelta(minutes=1))
    assert [col.undo_last().action for _ in range(3)] == ["answer", "answer", "suspend"]
    assert not col.card("b-three").memory.suspended


def test_unsuspend_is_undoable(col: Collection) -> None:
    col.suspend("a-fact", now=NOW)
    col.suspend("a-fact", suspended=False, now=NOW)
    undone = col.undo_last()
    assert (undone.card_id, undone.action) == ("a-fact", "unsuspend")
    assert col.card("a-fact").memory.suspended


def test_the_undo_stack_is_per_learner(db_url: str, col: Collection, open_collection) -> None:  # type: ignore[no-untyped-def]
    other = open_collection(db_url, user="bob")
    col.answer("a-fact", Rating.Good, NOW)
    other.suspend("b-one", now=NOW)
    assert col.undo_last().action == "answer"
    assert other.undo_last().action == "suspend"
    assert col.card("b-one").memory.suspended is False
