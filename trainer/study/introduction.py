"""Which new card of a domain is introduced next: file order, with drills mixed in.

Deck files tend to hold their facts first and their drills last, so file order alone would keep
drills from a new learner for weeks. With `new_drill_every = N` (a setting; 0 keeps file order),
the second new card of each domain is a drill and so is at least every Nth one after it, while the
domain has new drills left: f d f f f f d f f f f d ... for N = 5. The rule reads what the learner
has already introduced in the domain, so it holds after an undo, a setting change or a deck edit.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from trainer.model import CardKind, Queue, StudyCard
from trainer.storage.driver import Driver
from trainer.storage.store import STUDY_CARD_COLUMNS, study_card_from_raw

FIRST_DRILL_AT = 2


def drills_due(introduced: int, every: int) -> int:
    """How many drills should be among the first `introduced + 1` new cards of a domain."""
    upcoming = introduced + 1
    if every <= 0 or upcoming < FIRST_DRILL_AT:
        return 0
    return (upcoming - FIRST_DRILL_AT) // every + 1


@lru_cache(maxsize=4)
def _first_new_statement(drill_only: bool) -> str:
    return (
        f"SELECT {STUDY_CARD_COLUMNS} FROM card_states s JOIN cards c ON c.id = s.card_id"
        f" WHERE s.learner_id = :learner AND s.queue = {int(Queue.NEW)} AND s.deck = :deck"
        + (f" AND c.kind = '{CardKind.DRILL.value}'" if drill_only else "")
        + " AND (s.buried_until IS NULL OR s.buried_until <= :now) ORDER BY s.position LIMIT 1"
    )


_INTRODUCED_SQL = (
    "SELECT c.kind, COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id"
    " WHERE s.learner_id = :learner AND s.deck = :deck"
    f" AND s.queue IN ({int(Queue.LEARNING)}, {int(Queue.REVIEW)}) GROUP BY c.kind"
)


def introduced_counts(driver: Driver, learner_id: int, deck: str) -> tuple[int, int]:
    """(cards, of which drills) the learner has introduced in `deck` and still studies."""
    rows = driver.execute(_INTRODUCED_SQL, {"learner": learner_id, "deck": deck}).fetchall()
    total = sum(int(count) for _kind, count in rows)
    drills = sum(int(count) for kind, count in rows if kind == CardKind.DRILL.value)
    return total, drills


def next_new_card(driver: Driver, learner_id: int, deck: str, now: Any, every: int) -> StudyCard | None:
    """The new card of `deck` to introduce next (`now` as the database stores times), or None.

    The first in file order, unless the domain is behind on drills by the rule above, in which
    case its first new drill.
    """
    params = {"learner": learner_id, "deck": deck, "now": now}
    row = driver.one(_first_new_statement(False), params)
    if row is None:
        return None
    first = study_card_from_raw(driver, row)
    if every <= 0 or first.card.kind == CardKind.DRILL:
        return first
    introduced, drills = introduced_counts(driver, learner_id, deck)
    if drills >= drills_due(introduced, every):
        return first
    drill = driver.one(_first_new_statement(True), params)
    return study_card_from_raw(driver, drill) if drill is not None else first
