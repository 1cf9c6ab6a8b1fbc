"""Today's per-domain counts are what each domain will really give under the daily limits, so
the rows add up to the day's totals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import NOW
from trainer import Collection, Rating


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
