"""Which card comes next, and how many are due: every query here is served by an index.

Order: learning cards that are due now; then review cards due today, within the day's limit and
interleaved across domains; then new cards within the day's limit, each from the domain that has
had the fewest new cards today (then over the last NEW_SHARE_DAYS days), so every domain gets its
share whatever else is studied; then learning cards due within the learn-ahead window, so a
session does not stall on a card that is due in a few minutes.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from trainer.model import Memory, Queue, StudyCard
from trainer.storage.driver import Driver
from trainer.storage.store import (
    STUDY_CARD_COLUMNS,
    count_answers_since,
    day_counts,
    states,
    study_card_from_raw,
)
from trainer.study.introduction import next_new_card

LEARN_AHEAD = timedelta(minutes=20)
# New cards go first to the domains that had the fewest over this many days (today included).
NEW_SHARE_DAYS = 30
_INTRODUCED_SQL = (
    "SELECT deck, SUM(CASE WHEN day = :today THEN introduced ELSE 0 END), SUM(introduced)"
    " FROM deck_days WHERE learner_id = :learner AND day >= :since AND day <= :today GROUP BY deck"
)


@dataclass(frozen=True)
class DayWindow:
    """The moment of asking and the bounds of the learner's day."""

    now: datetime
    start: datetime
    end: datetime
    date: date


@dataclass(frozen=True)
class Counts:
    """Cards waiting today in one domain (or overall)."""

    new: int = 0
    learning: int = 0
    review: int = 0

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.new + other.new, self.learning + other.learning, self.review + other.review)


def _not_buried(now: datetime) -> Any:
    return or_(states.c.buried_until.is_(None), states.c.buried_until <= now)


# The study loop's queries run straight on the driver (see trainer.storage.driver).
@lru_cache(maxsize=16)
def _first_statement(order: str, by_deck: bool, until: bool) -> str:
    return (
        f"SELECT {STUDY_CARD_COLUMNS} FROM card_states s JOIN cards c ON c.id = s.card_id"
        " WHERE s.learner_id = :learner AND s.queue = :queue"
        + (" AND s.deck = :deck" if by_deck else "")
        + (" AND s.due < :until" if until else "")
        + " AND (s.buried_until IS NULL OR s.buried_until <= :now)"
        + f" ORDER BY s.{order} LIMIT 1"
    )


def can_study(memory: Memory, now: datetime) -> bool:
    """Whether a (live) card with this memory may be shown now: not suspended, not buried."""
    buried = memory.buried_until is not None and memory.buried_until > now
    return not (memory.suspended or buried)


def used_today(conn: Connection | Driver, learner_id: int, day: DayWindow) -> tuple[int, int]:
    """(new cards introduced, review cards answered) in the learner's current day."""
    counted = day_counts(conn, learner_id, day.date)
    return counted if counted is not None else count_answers_since(conn, learner_id, day.start)


def _first(
    driver: Driver, learner_id: int, queue: Queue, deck: str | None, until: Any, now: Any
) -> StudyCard | None:
    """The first card of `queue` (in `deck`, due before `until`, if given).

    `until` and `now` are times as the database stores them (`Driver.time`).
    """
    order = "position" if queue == Queue.NEW else "due"
    statement = _first_statement(order, deck is not None, until is not None)
    params: dict[str, Any] = {"learner": learner_id, "queue": int(queue), "now": now}
    if deck is not None:
        params["deck"] = deck
    if until is not None:
        params["until"] = until
    row = driver.one(statement, params)
    return study_card_from_raw(driver, row) if row is not None else None


def introduced_recently(
    conn: Connection | Driver, learner_id: int, day: DayWindow
) -> dict[str, tuple[int, int]]:
    """Per deck: (new cards introduced in the learner's day, introduced over the last
    NEW_SHARE_DAYS days), from the tallies every answer and undo keep."""
    since = day.date - timedelta(days=NEW_SHARE_DAYS - 1)
    params = {"learner": learner_id, "today": day.date.isoformat(), "since": since.isoformat()}
    rows = Driver.of(conn).execute(_INTRODUCED_SQL, params).fetchall()
    return {str(deck): (int(today), int(recent)) for deck, today, recent in rows}


def _new_turn(
    deck: str, introduced: dict[str, tuple[int, int]], place: dict[str, int]
) -> tuple[int, int, int]:
    today, recent = introduced.get(deck, (0, 0))
    return today, recent, place[deck]


def new_card_order(decks: Sequence[str], introduced: dict[str, tuple[int, int]]) -> list[str]:
    """`decks` in the order their next new card comes: the fewest introduced today first, then
    the fewest over the last NEW_SHARE_DAYS days, then deck order. The order follows from what
    was introduced, not from what else was studied, so a domain whose cards keep failing, or
    one late in the deck order, is never left behind."""
    place = {deck: i for i, deck in enumerate(decks)}
    return sorted(decks, key=lambda deck: _new_turn(deck, introduced, place))


def _rotation(decks: Sequence[str], after: str | None) -> list[str]:
    """Decks in order, starting with the one after `after`, for interleaving."""
    if after is None or after not in decks:
        return list(decks)
    index = list(decks).index(after) + 1
    return list(decks[index:]) + list(decks[:index])


def next_card(
    conn: Connection | Driver,
    learner_id: int,
    day: DayWindow,
    *,
    decks: Sequence[str],
    last_deck: str | None,
    limits: tuple[int, int],
    drill_every: int = 0,
) -> StudyCard | None:
    """The card to show next, or None when nothing is due today.

    `decks` are the domains to draw from, in order; `last_deck` is the domain just shown, so the
    next review or new card comes from the following domain that has one. `limits` are the
    day's (new, review) limits; `drill_every` mixes drills into new cards (see
    `trainer.study.introduction`).
    """
    driver = Driver.of(conn)
    now = driver.time(day.now)
    single = decks[0] if len(decks) == 1 else None
    learning_now = driver.time(day.now + timedelta(seconds=1))
    found = _first(driver, learner_id, Queue.LEARNING, single, learning_now, now)
    if found:
        return found
    new_used, reviews_used = used_today(conn, learner_id, day)
    rotation = _rotation(decks, last_deck)
    if reviews_used < limits[1]:
        day_end = driver.time(day.end)
        for deck in rotation:
            found = _first(driver, learner_id, Queue.REVIEW, deck, day_end, now)
            if found:
                return found
    if new_used < limits[0]:
        for deck in new_card_order(decks, introduced_recently(driver, learner_id, day)):
            found = next_new_card(driver, learner_id, deck, now, drill_every)
            if found:
                return found
    return _first(driver, learner_id, Queue.LEARNING, single, driver.time(day.now + LEARN_AHEAD), now)


def share_limit(available: dict[str, int], limit: int, order: Sequence[str]) -> dict[str, int]:
    """How many of each domain's `available` cards a session serves under a day's `limit`, as
    the queue takes them: one domain after another in `order`, a card from each in turn, so
    the shares add up to at most `limit` and differ by at most one where cards remain."""
    share = dict.fromkeys(available, 0)
    turns = [deck for deck in order if deck in available] + sorted(set(available) - set(order))
    left = limit
    while left > 0:
        open_decks = [deck for deck in turns if share[deck] < available[deck]]
        if not open_decks:
            break
        per_deck = max(1, left // len(open_decks))
        for deck in open_decks:
            step = min(per_deck, available[deck] - share[deck], left)
            share[deck] += step
            left -= step
            if left == 0:
                break
    return share


def share_new(
    available: dict[str, int], limit: int, order: Sequence[str], introduced: dict[str, tuple[int, int]]
) -> dict[str, int]:
    """How many of each domain's `available` new cards a session serves under a day's `limit`,
    one at a time as `new_card_order` picks them (in deck `order` where all else is equal)."""
    place = {
        deck: i
        for i, deck in enumerate([d for d in order if d in available] + sorted(set(available) - set(order)))
    }
    share = dict.fromkeys(available, 0)
    heap = [(*_new_turn(deck, introduced, place), deck) for deck in available if available[deck] > 0]
    heapq.heapify(heap)
    for _ in range(limit):
        if not heap:
            break
        today, recent, position, deck = heapq.heappop(heap)
        share[deck] += 1
        if share[deck] < available[deck]:
            heapq.heappush(heap, (today + 1, recent + 1, position, deck))
    return share


def due_counts(
    conn: Connection,
    learner_id: int,
    day: DayWindow,
    *,
    limits: tuple[int, int],
    order: Sequence[str] = (),
) -> dict[str, Counts]:
    """Per domain: the new, learning and review cards a session would serve today.

    What is left of the day's new and review limits is shared across the domains as the queue
    interleaves them (in deck `order`), so the domains' counts add up to `total_counts`.
    """
    rows = conn.execute(
        select(states.c.deck, states.c.queue, func.count())
        .where(
            states.c.learner_id == learner_id,
            or_(
                states.c.queue == int(Queue.NEW),
                and_(states.c.queue.in_([int(Queue.LEARNING), int(Queue.REVIEW)]), states.c.due < day.end),
            ),
            _not_buried(day.now),
        )
        .group_by(states.c.deck, states.c.queue)
    ).all()
    raw: dict[str, dict[int, int]] = {}
    for deck, queue, count in rows:
        raw.setdefault(deck, {})[queue] = count
    new_used, reviews_used = used_today(conn, learner_id, day)
    new_left = max(0, limits[0] - new_used)
    reviews_left = max(0, limits[1] - reviews_used)
    reviews = share_limit({d: q.get(int(Queue.REVIEW), 0) for d, q in raw.items()}, reviews_left, order)
    new_available = {d: q.get(int(Queue.NEW), 0) for d, q in raw.items()}
    new = share_new(new_available, new_left, order, introduced_recently(conn, learner_id, day))
    return {
        deck: Counts(new=new[deck], learning=raw[deck].get(int(Queue.LEARNING), 0), review=reviews[deck])
        for deck in sorted(raw)
    }


def total_counts(
    per_domain: dict[str, Counts],
    conn: Connection,
    learner_id: int,
    day: DayWindow,
    *,
    limits: tuple[int, int],
) -> Counts:
    """The day's counts over all domains, with the limits applied to the sum."""
    new_used, reviews_used = used_today(conn, learner_id, day)
    summed = sum(per_domain.values(), Counts())
    return Counts(
        new=min(summed.new, max(0, limits[0] - new_used)),
        learning=summed.learning,
        review=min(summed.review, max(0, limits[1] - reviews_used)),
    )
