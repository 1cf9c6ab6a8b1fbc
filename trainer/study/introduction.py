"""Which new card of a domain is introduced next: file order, with drills mixed in.

Deck files tend to hold their facts first and their drills last, so file order alone would keep
drills from a new learner for weeks. With `new_drill_every = N` (a setting; 0 keeps file order),
the second new card of each domain is a drill and so is at least every Nth one after it, while the
domain has new drills left: f d f f f f d f f f f d ... for N = 5. The rule reads what the learner
has already introduced in the domain, so it holds after an undo, a setting change or a deck edit.
"""

from __future__ import annotations

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


_FIRST_NEW_SQL = (
    f"SELECT {STUDY_CARD_COLUMNS} FROM card_states s JOIN cards c ON c.id = s.card_id"
    f" WHERE s.learner_id = :learner AND s.queue = {int(Queue.NEW)} AND s.deck = :deck"
    " AND (s.buried_until IS NULL OR s.buried_until <= :now) ORDER BY s.position LIMIT 1"
)
# The drill queries start from the deck's few drills (index ix_cards_deck_kind_position) and look
# each one's state up by key; CROSS JOIN keeps SQLite from starting at the deck's many states.
_FIRST_NEW_DRILL_SQL = (
    f"SELECT {STUDY_CARD_COLUMNS} FROM cards c CROSS JOIN card_states s"
    f" WHERE c.deck = :deck AND c.kind = '{CardKind.DRILL.value}'"
    f" AND s.learner_id = :learner AND s.card_id = c.id AND s.queue = {int(Queue.NEW)}"
    " AND (s.buried_until IS NULL OR s.buried_until <= :now) ORDER BY c.position LIMIT 1"
)
_INTRODUCED_DRILLS_SQL = (
    "SELECT COUNT(*) FROM cards c CROSS JOIN card_states s"
    f" WHERE c.deck = :deck AND c.kind = '{CardKind.DRILL.value}'"
    " AND s.learner_id = :learner AND s.card_id = c.id"
    f" AND s.queue IN ({int(Queue.LEARNING)}, {int(Queue.REVIEW)})"
)
# Whether the learner has introduced more than :skip cards of the deck: reads at most :skip + 1
# index entries, where a COUNT would read every card the learner studies in the deck.
_INTRODUCED_BEYOND_SQL = (
    "SELECT 1 FROM card_states WHERE learner_id = :learner AND deck = :deck"
    f" AND queue IN ({int(Queue.LEARNING)}, {int(Queue.REVIEW)}) LIMIT 1 OFFSET :skip"
)


def next_new_card(driver: Driver, learner_id: int, deck: str, now: Any, every: int) -> StudyCard | None:
    """The new card of `deck` to introduce next (`now` as the database stores times), or None.

    The first in file order, unless the domain is behind on drills by the rule above, in which
    case its first new drill.
    """
    params = {"learner": learner_id, "deck": deck, "now": now}
    row = driver.one(_FIRST_NEW_SQL, params)
    if row is None:
        return None
    first = study_card_from_raw(driver, row)
    if every <= 0 or first.card.kind == CardKind.DRILL:
        return first
    drill = driver.one(_FIRST_NEW_DRILL_SQL, params)
    if drill is None:
        return first
    counted = driver.one(_INTRODUCED_DRILLS_SQL, params)
    drills = int(counted[0]) if counted else 0
    # Behind on drills when drills_due(introduced, every) > drills, that is when the learner has
    # introduced at least FIRST_DRILL_AT - 1 + drills * every cards of the deck.
    needed = FIRST_DRILL_AT - 1 + drills * every
    behind = driver.one(_INTRODUCED_BEYOND_SQL, {**params, "skip": needed - 1}) is not None
    return study_card_from_raw(driver, drill) if behind else first
