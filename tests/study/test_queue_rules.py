"""The queue's order and today's counts at their edges: a learning card due now comes first, and
only from the domains studied; domains take turns in deck order; a bury ends when the next day
starts, whatever queue the card is in; a card due at the day's end is the next day's; a used
limit leaves nothing in any domain; a day's limits stay used when its rollover hour moves."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.conftest import NOW
from tests.insights.test_stats import write_decks
from trainer import Collection, Rating
from trainer.study import queue
from trainer.study.queue import Counts

Opener = Callable[..., Collection]


def collection(
    db_url: str, folder: Path, open_collection: Opener, decks: dict[str, int], **settings: object
) -> Collection:
    """A learner on `decks` (domain: number of fact cards, ids like a-1), fuzz off."""
    spec = {slug: [(f"{slug}-{i}", ["x"]) for i in range(1, count + 1)] for slug, count in decks.items()}
    col = open_collection(db_url)
    col.sync_decks([write_decks(folder, spec)], now=NOW)
    col.configure(enable_fuzzing=False, **settings)
    return col


def served(col: Collection, now: datetime, domain: str | None = None) -> str | None:
    card = col.next_card(now, domain)
    return None if card is None else card.id


def test_a_learning_card_due_now_comes_before_reviews_and_new_cards(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = collection(db_url, tmp_path, open_collection, {"a": 3, "b": 1})
    col.answer("b-1", Rating.Easy, NOW - timedelta(days=400))  # a review due long ago
    col.answer("a-1", Rating.Again, NOW)
    due = col.card("a-1").memory.due
    assert due == NOW + timedelta(minutes=1)
    # A second and a half before it is due, it is not due: the review comes first.
    assert served(col, due - timedelta(seconds=1.5)) == "b-1"
    assert served(col, due) == "a-1"


def test_only_the_domains_studied_give_learning_cards(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = collection(db_url, tmp_path, open_collection, {"a": 2, "b": 2, "c": 1})
    col.answer("c-1", Rating.Easy, NOW)  # c has nothing more today
    col.answer("b-1", Rating.Again, NOW)  # due in a minute
    # Within the learn-ahead window, but in another domain than the one studied.
    assert served(col, NOW + timedelta(seconds=30), "c") is None
    later = NOW + timedelta(minutes=2)
    assert served(col, later, "c") is None
    assert served(col, later, "a") == "a-1"
    assert served(col, later, "b") == "b-1"
    # Studying every domain, a learning card of any of them comes first.
    assert served(col, later) == "b-1"


def test_domains_take_turns_in_deck_order(db_url: str, tmp_path: Path, open_collection: Opener) -> None:
    col = collection(db_url, tmp_path, open_collection, {"a": 2, "b": 2, "c": 2})
    order = []
    while (card := col.next_card(NOW)) is not None:
        order.append(card.id)
        col.answer(card.id, Rating.Easy, NOW)
    assert order == ["a-1", "b-1", "c-1", "a-2", "b-2", "c-2"]


def test_a_domain_studied_alone_after_another_starts_with_its_own_cards(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = collection(db_url, tmp_path, open_collection, {"a": 2, "b": 2})
    col.answer("b-1", Rating.Easy, NOW)  # the domain just shown is not among those studied next
    assert served(col, NOW, "a") == "a-1"


def test_a_bury_ends_when_the_next_day_starts_for_review_and_learning_cards(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = collection(db_url, tmp_path, open_collection, {"a": 3})
    col.answer("a-1", Rating.Easy, NOW)
    moment = col.card("a-1").memory.due
    assert moment is not None
    col.answer("a-2", Rating.Again, moment)
    col.bury("a-1", moment)
    col.bury("a-2", moment)
    assert served(col, moment + timedelta(minutes=5)) == "a-3"
    next_day = col.day(moment).end
    order = []
    while (card := col.next_card(next_day)) is not None:
        order.append(card.id)
        col.answer(card.id, Rating.Easy, next_day)
    assert order == ["a-2", "a-1", "a-3"]


def test_a_learning_card_whose_bury_ended_is_served_ahead(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = collection(db_url, tmp_path, open_collection, {"a": 1}, learning_steps=[60.0])
    end = col.day(NOW).end
    col.answer("a-1", Rating.Again, end - timedelta(minutes=10))  # due 50 minutes into the next day
    col.bury("a-1", end - timedelta(minutes=5))
    assert served(col, end + timedelta(minutes=31)) == "a-1"


def test_a_card_due_at_the_days_end_belongs_to_the_next_day(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = collection(db_url, tmp_path, open_collection, {"a": 1}, rollover_hour=NOW.hour)
    col.answer("a-1", Rating.Easy, NOW)
    due = col.card("a-1").memory.due
    assert due is not None and col.day(due - timedelta(hours=1)).end == due
    before = due - timedelta(hours=1)
    assert col.today_counts(before).review == 0
    assert served(col, before) is None
    assert col.due_counts(due)["a"].review == 1
    assert served(col, due) == "a-1"


def test_a_domain_with_nothing_waiting_today_is_not_listed(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = collection(db_url, tmp_path, open_collection, {"a": 1, "b": 1})
    col.answer("b-1", Rating.Easy, NOW)
    later = NOW + timedelta(days=400)
    col.suspend("b-1", now=later)  # due long ago, but suspended
    assert set(col.due_counts(later)) == {"a"}


def test_a_used_limit_leaves_nothing_in_any_domain(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = collection(db_url, tmp_path, open_collection, {"a": 3, "b": 3}, new_per_day=2, reviews_per_day=1)
    col.answer("a-1", Rating.Easy, NOW)
    col.answer("b-1", Rating.Easy, NOW)
    assert {deck: c.new for deck, c in col.due_counts(NOW).items()} == {"a": 0, "b": 0}
    later = NOW + timedelta(days=400)
    col.answer("a-1", Rating.Good, later)
    assert {deck: c.review for deck, c in col.due_counts(later).items()} == {"a": 0, "b": 0}


def test_the_days_total_takes_off_the_reviews_answered_today(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = collection(db_url, tmp_path, open_collection, {"a": 2})
    col.answer("a-1", Rating.Easy, NOW)
    later = NOW + timedelta(days=400)
    col.answer("a-1", Rating.Good, later)
    per_domain = {"a": Counts(new=1, learning=0, review=7)}
    with col.engine.connect() as conn:
        total = queue.total_counts(per_domain, conn, col.learner_id, col.day(later), limits=(20, 5))
    assert total == Counts(new=1, learning=0, review=4)


def test_moving_the_rollover_hour_within_a_day_does_not_give_its_limits_back(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = collection(db_url, tmp_path, open_collection, {"a": 4}, new_per_day=2)
    morning = NOW.replace(hour=9)  # the day began at 04:00
    col.answer("a-1", Rating.Easy, morning)
    col.answer("a-2", Rating.Easy, morning)
    # The same day (2 March) now began at 10:00, after those answers.
    col.configure(rollover_hour=10, now=NOW)
    assert col.day(NOW).start == NOW.replace(hour=10)
    assert col.today_counts(NOW).new == 0
    assert served(col, NOW) is None


@pytest.mark.parametrize(("drill_every", "second"), [(None, "a-2"), (0, "a-2"), (1, "a-drill")])
def test_drills_are_mixed_in_only_when_asked(
    db_url: str, tmp_path: Path, open_collection: Opener, drill_every: int | None, second: str
) -> None:
    col = open_collection(db_url)
    spec = {"a": [("a-1", ["x"]), ("a-2", ["x"]), ("a-3", ["x"])]}
    col.sync_decks([write_decks(tmp_path, spec, drill="a")], now=NOW)
    col.answer("a-1", Rating.Easy, NOW)
    chosen = {} if drill_every is None else {"drill_every": drill_every}
    with col.engine.connect() as conn:
        card = queue.next_card(
            conn, col.learner_id, col.day(NOW), decks=["a"], last_deck=None, limits=(20, 200), **chosen
        )
    assert card is not None and card.id == second


def test_reviews_take_turns_in_deck_order(db_url: str, tmp_path: Path, open_collection: Opener) -> None:
    col = collection(db_url, tmp_path, open_collection, {"a": 2, "b": 2, "c": 2})
    for card_id in ("a-1", "a-2", "b-1", "b-2", "c-1", "c-2"):
        col.answer(card_id, Rating.Easy, NOW - timedelta(days=400))  # reviews due long ago
    decks = []
    while (card := col.next_card(NOW)) is not None:
        decks.append(card.card.deck)
        col.answer(card.id, Rating.Good, NOW)
    assert len(decks) == 6
    # Each review comes from the domain after the one just shown.
    following = {"a": "b", "b": "c", "c": "a"}
    assert all(nxt == following[prev] for prev, nxt in itertools.pairwise(decks)), decks


def test_new_cards_go_first_to_the_domain_introduced_least_over_the_last_30_days(
    db_url: str, tmp_path: Path, open_collection: Opener
) -> None:
    col = collection(db_url, tmp_path, open_collection, {"a": 3, "b": 3}, new_per_day=1, reviews_per_day=0)
    day = NOW + timedelta(days=60)
    col.answer("a-1", Rating.Easy, day - timedelta(days=29))  # the first of the 30 days that count
    col.answer("b-1", Rating.Easy, day - timedelta(days=30))  # the day before them
    counts = col.due_counts(day)
    assert (counts["a"].new, counts["b"].new) == (0, 1)
    assert served(col, day) == "b-2"


def test_a_domain_with_nothing_introduced_counts_as_none_introduced() -> None:
    assert queue.new_card_order(["a", "b", "c"], {"a": (0, 1)}) == ["b", "c", "a"]
    assert queue.new_card_order(["a", "b", "c"], {"c": (1, 0)}) == ["a", "b", "c"]


def _one_at_a_time(
    available: dict[str, int], limit: int, order: list[str], introduced: dict[str, tuple[int, int]]
) -> dict[str, int]:
    """What a session serves when it asks `new_card_order` for each new card in turn."""
    decks = [d for d in order if d in available] + sorted(set(available) - set(order))
    left, seen, share = dict(available), dict(introduced), dict.fromkeys(available, 0)
    for _ in range(limit):
        waiting = [deck for deck in decks if left[deck] > 0]
        if not waiting:
            break
        deck = queue.new_card_order(waiting, seen)[0]
        share[deck] += 1
        left[deck] -= 1
        today, recent = seen.get(deck, (0, 0))
        seen[deck] = (today + 1, recent + 1)
    return share


DECK_NAMES = st.sampled_from(["a", "b", "c", "d"])


@given(
    available=st.dictionaries(DECK_NAMES, st.integers(0, 6), min_size=1),
    limit=st.integers(0, 20),
    order=st.lists(DECK_NAMES, unique=True),
    introduced=st.dictionaries(DECK_NAMES, st.tuples(st.integers(0, 4), st.integers(0, 30))),
)
# A card served adds one to its domain's count over the 30 days as well as today's: after "a"'s
# card, "a" is level with "b" today and, over the 30 days, one above it or level with it.
@example(available={"a": 2, "b": 2}, limit=2, order=["a", "b"], introduced={"a": (0, 5), "b": (1, 5)})
@example(available={"a": 2, "b": 2}, limit=2, order=["a", "b"], introduced={"a": (0, 5), "b": (1, 6)})
def test_todays_new_share_is_what_the_session_serves_one_card_at_a_time(
    available: dict[str, int], limit: int, order: list[str], introduced: dict[str, tuple[int, int]]
) -> None:
    introduced = {deck: (today, max(today, recent)) for deck, (today, recent) in introduced.items()}
    assert queue.share_new(available, limit, order, introduced) == _one_at_a_time(
        available, limit, order, introduced
    )
