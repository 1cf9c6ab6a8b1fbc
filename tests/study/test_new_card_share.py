"""Every domain gets its share of new cards, day after day: a domain whose reviews keep failing,
and a domain late in the deck order, are not left behind, and Today's per-domain new counts are
the cards the session then serves."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from tests.conftest import NOW
from tests.insights.test_weak_domains import DOMAINS, write_domain_decks
from trainer import Collection, Rating


def _study_day(
    col: Collection, day: int, failing: str | None, introduced: Counter[str], passing: Rating = Rating.Good
) -> None:
    """Answer what the queue serves on `day`: `failing`'s cards Again the first time each is
    shown that day (so its reviews lapse every day), everything else `passing`."""
    moment = NOW + timedelta(days=day)
    failed: set[str] = set()
    for _ in range(200):
        card = col.next_card(moment)
        if card is None:
            return
        if card.memory.reps == 0:
            introduced[card.card.deck] += 1
        fail = card.card.deck == failing and card.id not in failed
        failed.add(card.id)
        col.answer(card.id, Rating.Again if fail else passing, moment)
        moment += timedelta(seconds=20)


def test_a_domain_whose_reviews_keep_failing_gets_its_share_of_new_cards(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(db_url)
    col.sync_decks([write_domain_decks(tmp_path / "decks", cards_per_domain=40)], now=NOW)
    col.configure(new_per_day=4, enable_fuzzing=False)
    introduced: Counter[str] = Counter()
    for day in range(10):
        _study_day(col, day, "risk", introduced)
    # 40 new cards over 10 days: 13 or 14 each; the failing domain's lapses, answered first
    # each day, used to hand the day's extra new card to the other domains every time.
    assert sum(introduced.values()) == 40
    assert max(introduced.values()) - min(introduced.values()) <= 1, introduced


def test_a_domain_late_in_the_deck_order_is_not_left_behind_across_sessions(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    decks = write_domain_decks(tmp_path / "decks", cards_per_domain=40)
    with Collection.open(db_url) as col:
        col.sync_decks([decks], now=NOW)
        col.configure(new_per_day=4, enable_fuzzing=False)
    introduced: Counter[str] = Counter()
    for day in range(3):
        # A new session each day (a new `trainer review`, a restarted server), only new cards
        # in it (Easy puts each a week or more away): each session used to start at the
        # first domain, which took the day's extra card every day.
        with Collection.open(db_url) as col:
            _study_day(col, day, None, introduced, passing=Rating.Easy)
    assert introduced == Counter(dict.fromkeys(DOMAINS, 4)), introduced


def test_today_shows_the_new_cards_each_domain_will_give(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(db_url)
    col.sync_decks([write_domain_decks(tmp_path / "decks", cards_per_domain=40)], now=NOW)
    col.configure(new_per_day=5, enable_fuzzing=False)
    for day in range(3):
        _study_day(col, day, "risk", Counter())
    today = NOW + timedelta(days=3)
    shown = {deck: counts.new for deck, counts in col.due_counts(today).items()}
    served: Counter[str] = Counter()
    _study_day(col, 3, "risk", served)
    assert sum(shown.values()) == 5
    assert {deck: served[deck] for deck in shown} == shown
