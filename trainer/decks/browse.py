"""Finding cards: search by text, deck, concept and state, and per-deck counts.

Front ends call these with a `Collection`; the queries run in one read transaction each.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, func, or_, select

from trainer.model import Queue, StudyCard
from trainer.storage import store
from trainer.storage.database import read_transaction
from trainer.storage.driver import Driver

if TYPE_CHECKING:
    from trainer.collection import Collection

MAX_RESULTS = 500
MAX_OFFSET = 2**31 - 1


class CardFilter(StrEnum):
    """The states a search can select on."""

    NEW = "new"
    LEARNING = "learning"
    REVIEW = "review"
    SUSPENDED = "suspended"
    LEECH = "leech"


_QUEUE_OF = {
    CardFilter.NEW: Queue.NEW,
    CardFilter.LEARNING: Queue.LEARNING,
    CardFilter.REVIEW: Queue.REVIEW,
    CardFilter.SUSPENDED: Queue.SUSPENDED,
}


@dataclass(frozen=True)
class SearchResult:
    """One page of matching cards and how many matched in all."""

    cards: list[StudyCard]
    total: int


@dataclass(frozen=True)
class DeckCounts:
    """How many live cards a deck holds, by queue."""

    cards: int = 0
    new: int = 0
    learning: int = 0
    review: int = 0
    suspended: int = 0


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(
    learner_id: int, text: str | None, deck: str | None, concept: str | None, state: CardFilter | None
) -> list[Any]:
    cards, states = store.cards, store.states
    conditions: list[Any] = [states.c.learner_id == learner_id, states.c.queue != int(Queue.RETIRED)]
    if text and text.strip():
        pattern = f"%{_escape_like(text.strip().lower())}%"
        conditions.append(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (cards.c.id, cards.c.prompt, cards.c.answer, cards.c.why, cards.c.text)
                )
            )
        )
    if deck:
        conditions.append(states.c.deck == deck)
    if concept:
        quoted = f'%"{_escape_like(concept)}"%'
        conditions.append(cast(cards.c.concepts, String).like(quoted, escape="\\"))
    if state == CardFilter.LEECH:
        conditions.append(states.c.leech.is_(True))
    elif state is not None:
        conditions.append(states.c.queue == int(_QUEUE_OF[state]))
    return conditions


def search_cards(
    col: Collection,
    *,
    text: str | None = None,
    deck: str | None = None,
    concept: str | None = None,
    state: CardFilter | str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> SearchResult:
    """Live cards matching every given filter, in deck order, `limit` from `offset`.

    `text` matches the id, prompt, answer, why or cloze text, case-insensitively; `state` is one
    of new, learning, review, suspended, leech. Raises ValueError for an unknown state.
    """
    chosen = CardFilter(state) if state else None
    limit = max(1, min(limit, MAX_RESULTS))
    conditions = _conditions(col.learner_id, text, deck, concept, chosen)
    joined = store.states.join(store.cards, store.cards.c.id == store.states.c.card_id)
    query = (
        select(*store.CARD_COLUMNS, *store.MEMORY_COLUMNS)
        .select_from(joined)
        .where(*conditions)
        .order_by(store.states.c.deck, store.states.c.position)
        .limit(limit)
        .offset(max(0, min(offset, MAX_OFFSET)))
    )
    with read_transaction(col.engine) as conn:
        rows = conn.execute(query).all()
        total = conn.execute(select(func.count()).select_from(joined).where(*conditions)).scalar_one()
        driver = Driver.of(conn)
        found = [store.study_card_from_raw(driver, r) for r in rows]
    return SearchResult(found, int(total))


def deck_counts(col: Collection) -> dict[str, DeckCounts]:
    """Per deck, the learner's live cards counted by queue."""
    states = store.states
    query = (
        select(states.c.deck, states.c.queue, func.count())
        .where(states.c.learner_id == col.learner_id, states.c.queue != int(Queue.RETIRED))
        .group_by(states.c.deck, states.c.queue)
    )
    with read_transaction(col.engine) as conn:
        rows = conn.execute(query).all()
    raw: dict[str, dict[int, int]] = {}
    for deck, queue, count in rows:
        raw.setdefault(deck, {})[int(queue)] = int(count)
    return {
        deck: DeckCounts(
            cards=sum(by_queue.values()),
            new=by_queue.get(int(Queue.NEW), 0),
            learning=by_queue.get(int(Queue.LEARNING), 0),
            review=by_queue.get(int(Queue.REVIEW), 0),
            suspended=by_queue.get(int(Queue.SUSPENDED), 0),
        )
        for deck, by_queue in raw.items()
    }
