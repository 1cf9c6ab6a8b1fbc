"""Finding cards: words in any order, ranked, with filters that combine; and per-deck counts.

Front ends build a `CardQuery` and call `search_cards` with a `Collection`; each search runs in
one read transaction. The words are matched by the full-text index (`trainer.storage.fulltext`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import FromClause, String, cast, func, select

from trainer.model import CardKind, CardState, Queue, StudyCard
from trainer.storage import store
from trainer.storage.database import read_transaction
from trainer.storage.driver import Driver
from trainer.storage.fulltext import match_words, plan_for_these_words, search_words

if TYPE_CHECKING:
    from trainer.collection import Collection

MAX_RESULTS = 500
MAX_OFFSET = 2**31 - 1


class StateFilter(StrEnum):
    """Where in its life a card is: relearning cards count as learning."""

    NEW = "new"
    LEARNING = "learning"
    REVIEW = "review"


class DueFilter(StrEnum):
    """Cards the learner will be asked: due by the end of today, or due before today began.
    Only cards waiting in the learning or review queue are due (not new or suspended ones)."""

    TODAY = "today"
    OVERDUE = "overdue"


_STATES_OF = {
    StateFilter.NEW: [int(CardState.NEW)],
    StateFilter.LEARNING: [int(CardState.LEARNING), int(CardState.RELEARNING)],
    StateFilter.REVIEW: [int(CardState.REVIEW)],
}
_YES_NO = {"yes": True, "no": False}


@dataclass(frozen=True)
class CardQuery:
    """What to look for: words (all must match) and filters (all must hold); None is any."""

    text: str = ""
    deck: str | None = None
    concept: str | None = None
    kind: CardKind | None = None
    state: StateFilter | None = None
    due: DueFilter | None = None
    leech: bool | None = None
    suspended: bool | None = None

    @classmethod
    def parse(
        cls,
        text: str | None = None,
        *,
        deck: str | None = None,
        concept: str | None = None,
        kind: str | None = None,
        state: str | None = None,
        due: str | None = None,
        leech: str | None = None,
        suspended: str | None = None,
    ) -> CardQuery:
        """A query from text fields as a form or command line sends them: an empty or missing
        filter is any; `leech` and `suspended` are `yes` or `no`. Raises ValueError naming every
        unknown value at once."""
        choices = {
            "kind": (kind, [k.value for k in CardKind]),
            "state": (state, [s.value for s in StateFilter]),
            "due": (due, [d.value for d in DueFilter]),
            "leech": (leech, list(_YES_NO)),
            "suspended": (suspended, list(_YES_NO)),
        }
        given = {name: value.strip() for name, (value, _) in choices.items() if value and value.strip()}
        problems = [
            f"{name} must be one of {', '.join(allowed)}"
            for name, (_, allowed) in choices.items()
            if name in given and given[name] not in allowed
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return cls(
            text=text or "",
            deck=(deck or "").strip() or None,
            concept=(concept or "").strip() or None,
            kind=CardKind(given["kind"]) if "kind" in given else None,
            state=StateFilter(given["state"]) if "state" in given else None,
            due=DueFilter(given["due"]) if "due" in given else None,
            leech=_YES_NO[given["leech"]] if "leech" in given else None,
            suspended=_YES_NO[given["suspended"]] if "suspended" in given else None,
        )

    @property
    def words(self) -> list[str]:
        """The words every result must contain (see `trainer.storage.fulltext.search_words`)."""
        return search_words(self.text)


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


def _filters(query: CardQuery, learner_id: int, day: tuple[datetime, datetime]) -> list[Any]:
    cards, states = store.cards, store.states
    conditions: list[Any] = [
        states.c.learner_id == learner_id,
        states.c.queue != int(Queue.RETIRED),
        cards.c.retired.is_(False),
    ]
    if query.deck:
        conditions.append(states.c.deck == query.deck)
    if query.concept:
        quoted = f'%"{_escape_like(query.concept)}"%'
        conditions.append(cast(cards.c.concepts, String).like(quoted, escape="\\"))
    if query.kind is not None:
        conditions.append(cards.c.kind == query.kind.value)
    if query.state is not None:
        conditions.append(states.c.state.in_(_STATES_OF[query.state]))
    if query.due is not None:
        start, end = day
        conditions.append(states.c.queue.in_([int(Queue.LEARNING), int(Queue.REVIEW)]))
        conditions.append(states.c.due < (end if query.due == DueFilter.TODAY else start))
    if query.leech is not None:
        conditions.append(states.c.leech.is_(query.leech))
    if query.suspended is not None:
        conditions.append(states.c.suspended.is_(query.suspended))
    return conditions


def search_cards(
    col: Collection,
    query: CardQuery,
    *,
    limit: int = 100,
    offset: int = 0,
    now: datetime | None = None,
) -> SearchResult:
    """The learner's live cards matching every word and filter of `query`, `limit` from `offset`,
    and how many match in all. With words, the best matches come first (a word in the id, prompt
    or cloze text counts more than in the answer, and that more than in the why); ties, and
    searches without words, go in deck order. `due` is judged at `now` in the learner's day."""
    limit = max(1, min(limit, MAX_RESULTS))
    window = col.day(now)
    conditions = _filters(query, col.learner_id, (window.start, window.end))
    source: FromClause = store.states.join(store.cards, store.cards.c.id == store.states.c.card_id)
    order: list[Any] = []
    words = query.words
    with read_transaction(col.engine) as conn:
        if words:
            plan_for_these_words(conn)
            match = match_words(words, source, sqlite=conn.dialect.name == "sqlite")
            source, order = match.source, [match.rank]
            if match.condition is not None:
                conditions.append(match.condition)
        found = (
            select(*store.CARD_COLUMNS, *store.MEMORY_COLUMNS)
            .select_from(source)
            .where(*conditions)
            .order_by(*order, store.states.c.deck, store.states.c.position)
            .limit(limit)
            .offset(max(0, min(offset, MAX_OFFSET)))
        )
        rows = conn.execute(found).all()
        total = conn.execute(select(func.count()).select_from(source).where(*conditions)).scalar_one()
        driver = Driver.of(conn)
        cards = [store.study_card_from_raw(driver, r) for r in rows]
    return SearchResult(cards, int(total))


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
