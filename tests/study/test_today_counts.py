"""Today's per-domain counts are what each domain will really give under the daily limits, so
the rows add up to the day's totals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW
from tests.insights.test_stats import write_decks
from trainer import Collection, Rating
from trainer.model import Memory
from trainer.study.queue import Counts, can_study, share_limit, total_counts


@pytest.mark.parametrize(("new_per_day", "expected"), [(4, (2, 2)), (5, (3, 2)), (1, (1, 0)), (20, (3, 3))])
def test_new_cards_are_shared_across_domains_as_the_queue_serves_them(
    col: Collection, new_per_day: int, expected: tuple[int, int]
) -> None:
    col.configure(new_per_day=new_per_day)
    per_domain = col.due_counts(NOW)
    assert (per_domain["alpha"].new, per_domain["beta"].new) == expected
    assert sum(c.new for c in per_domain.values()) == col.today_counts(NOW).new


def test_shares_follow_the_cards_the_queue_actually_serves(col: Collection) -> None:
    col.configure(new_per_day=3)
    per_domain = col.due_counts(NOW)
    served = []
    while (card := col.next_card(NOW)) is not None and card.memory.reps == 0:
        served.append(card.card.deck)
        col.answer(card.id, Rating.Easy, NOW)
    assert {deck: served.count(deck) for deck in per_domain} == {d: c.new for d, c in per_domain.items()}


def test_review_cards_are_shared_under_the_review_limit(col: Collection) -> None:
    for card in col.cards():
        col.answer(card.id, Rating.Easy, NOW)
    col.configure(reviews_per_day=3)
    later = NOW + timedelta(days=400)
    per_domain = col.due_counts(later)
    assert sorted(c.review for c in per_domain.values()) == [1, 2]
    assert sum(c.review for c in per_domain.values()) == col.today_counts(later).review == 3


def _counts(per_domain: dict[str, Counts]) -> dict[str, tuple[int, int, int]]:
    return {deck: (c.new, c.learning, c.review) for deck, c in per_domain.items()}


def test_counts_leave_out_buried_suspended_later_and_other_learners_cards(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    decks = {
        "d1": [("d1-review", ["x"]), ("d1-buried", ["x"]), ("d1-suspended", ["x"]), ("d1-new", ["x"])],
        "d2": [("d2-review", ["x"]), ("d2-learning", ["x"]), ("d2-new", ["x"]), ("d2-new2", ["x"])],
        "d3": [("d3-review", ["x"]), ("d3-answered", ["x"])],
        "d4": [("d4-new", ["x"])],
    }
    alice = open_collection(db_url, user="alice")
    alice.sync_decks([write_decks(tmp_path / "decks", decks)], now=NOW)
    bob = open_collection(db_url, user="bob")
    for col in (alice, bob):
        col.configure(enable_fuzzing=False)
    for card in ("d1-review", "d1-buried", "d2-review", "d3-review", "d3-answered"):
        alice.answer(card, Rating.Easy, NOW)
    today = NOW + timedelta(days=400)
    alice.answer("d3-answered", Rating.Good, today - timedelta(hours=3))  # a review today, due later
    alice.answer("d2-learning", Rating.Again, today - timedelta(minutes=30))  # a new card today
    alice.bury("d1-buried", today - timedelta(hours=2))
    alice.suspend("d1-suspended", now=today - timedelta(hours=2))
    for card in ("d1-new", "d2-new", "d4-new"):  # bob's day uses none of alice's limits
        bob.answer(card, Rating.Easy, today - timedelta(hours=1))

    alice.configure(new_per_day=99, reviews_per_day=99)
    assert _counts(alice.due_counts(today)) == {
        "d1": (1, 0, 1),
        "d2": (2, 1, 1),
        "d3": (0, 0, 1),
        "d4": (1, 0, 0),
    }
    assert alice.today_counts(today) == Counts(new=4, learning=1, review=3)
    # One new card and one review were used today: a limit of two leaves one of each, served
    # from the first domain in deck order that has one.
    alice.configure(new_per_day=2, reviews_per_day=2)
    assert _counts(alice.due_counts(today)) == {
        "d1": (1, 0, 1),
        "d2": (0, 1, 0),
        "d3": (0, 0, 0),
        "d4": (0, 0, 0),
    }
    alice.configure(new_per_day=1, reviews_per_day=1)
    assert alice.today_counts(today) == Counts(new=0, learning=1, review=0)
    # A card buried until the next day is back the moment that day starts.
    next_day = alice.day(today).end
    alice.configure(new_per_day=99, reviews_per_day=99)
    assert alice.due_counts(next_day)["d1"].review == 2


def test_the_days_total_applies_the_limits_left_to_the_sum(col: Collection) -> None:
    col.answer("a-fact", Rating.Easy, NOW)
    col.answer("b-one", Rating.Easy, NOW)
    per_domain = {"alpha": Counts(new=5, learning=1, review=7), "beta": Counts(new=4, learning=2, review=0)}
    day = col.day(NOW + timedelta(hours=1))
    with col.engine.connect() as conn:
        assert total_counts(per_domain, conn, col.learner_id, day, limits=(6, 5)) == Counts(4, 3, 5)
        assert total_counts(per_domain, conn, col.learner_id, day, limits=(2, 0)) == Counts(0, 3, 0)
        assert total_counts(per_domain, conn, col.learner_id, day, limits=(20, 10)) == Counts(9, 3, 7)


@pytest.mark.parametrize(
    ("available", "limit", "order", "expected"),
    [
        ({"a": 5, "b": 5, "c": 5}, 4, ["a", "b", "c"], {"a": 2, "b": 1, "c": 1}),
        ({"a": 5, "b": 5, "c": 5}, 5, ["a", "b", "c"], {"a": 2, "b": 2, "c": 1}),
        ({"a": 6, "b": 20}, 30, ["a", "b"], {"a": 6, "b": 20}),
        ({"a": 6, "b": 20}, 30, ["b", "a"], {"a": 6, "b": 20}),
        ({"b": 3, "a": 3}, 3, [], {"a": 2, "b": 1}),
        ({"a": 2, "b": 2}, 0, ["a", "b"], {"a": 0, "b": 0}),
    ],
)
def test_a_limit_is_shared_a_card_a_domain_at_a_time(
    available: dict[str, int], limit: int, order: list[str], expected: dict[str, int]
) -> None:
    assert share_limit(available, limit, order) == expected


def test_only_a_card_neither_suspended_nor_buried_past_now_may_be_studied() -> None:
    assert can_study(Memory(), NOW)
    assert not can_study(Memory(suspended=True), NOW)
    assert not can_study(Memory(buried_until=NOW + timedelta(seconds=1)), NOW)
    assert not can_study(Memory(suspended=True, buried_until=NOW - timedelta(seconds=1)), NOW)
    assert can_study(Memory(buried_until=NOW), NOW)
    assert can_study(Memory(buried_until=NOW - timedelta(seconds=1)), NOW)


def test_reviews_come_by_due_time_and_from_the_next_domain_in_turn(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    decks = {"d1": [("d1-first", ["x"]), ("d1-second", ["x"])], "d2": [("d2-only", ["x"])]}
    col = open_collection(db_url)
    col.sync_decks([write_decks(tmp_path / "decks", decks)], now=NOW)
    col.configure(enable_fuzzing=False)
    # The card placed second in its deck is answered first, so it falls due first.
    col.answer("d1-second", Rating.Easy, NOW)
    col.answer("d1-first", Rating.Easy, NOW + timedelta(days=1))
    col.answer("d2-only", Rating.Easy, NOW + timedelta(days=2))
    later = NOW + timedelta(days=400)
    served = col.next_card(later)
    assert served is not None and served.id == "d1-second"
    col.answer(served.id, Rating.Good, later)
    served = col.next_card(later)
    assert served is not None and served.id == "d2-only"
