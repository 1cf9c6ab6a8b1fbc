"""The decks generation: a counter every change to the decks table moves on (a sync that adds a
deck, shared or a learner's own, or changes one's title, file or place), and each learner's
settings generation, moved on by every save of their settings (`learners.save_settings`). A
process keeping a learner's list of decks and settings between calls notices a change made by
another process (a worker of the same server, the terminal) at the cost of one statement of two
primary-key reads in a transaction it already runs.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, update

from trainer.storage.driver import Driver
from trainer.storage.schema import Generation

generations: Table = Generation.__table__  # type: ignore[assignment]
DECKS = "decks"
_READ = "SELECT value FROM generations WHERE name = :name"
_BOTH = (
    "SELECT (SELECT value FROM generations WHERE name = :name),"
    " (SELECT generation FROM learner_settings WHERE learner_id = :learner)"
)
_STUDIED_DECKS = (
    "SELECT slug FROM decks WHERE owner_id IS NULL OR owner_id = :learner"
    " ORDER BY owner_id IS NOT NULL, position, slug"
)


def decks_generation(conn: Connection | Driver) -> int:
    """The decks generation as `conn`'s transaction sees it."""
    row = Driver.of(conn).one(_READ, {"name": DECKS})
    return int(row[0]) if row is not None else 0


def learner_generations(conn: Connection | Driver, learner_id: int) -> tuple[int, int]:
    """The decks generation and `learner_id`'s settings generation as `conn`'s transaction sees
    them, read in one statement."""
    row = Driver.of(conn).one(_BOTH, {"name": DECKS, "learner": learner_id})
    if row is None:
        return 0, 0
    return int(row[0] or 0), int(row[1] or 0)


def bump_decks_generation(conn: Connection) -> None:
    """Move the decks generation on, inside the caller's write transaction: once it commits,
    every process sees a new generation, and not before."""
    conn.execute(update(generations).where(generations.c.name == DECKS).values(value=generations.c.value + 1))


def studied_decks(conn: Connection | Driver, learner_id: int) -> list[str]:
    """The slugs of the decks `learner_id` studies, in deck order: the shared ones and their own."""
    cursor = Driver.of(conn).execute(_STUDIED_DECKS, {"learner": learner_id})
    return [row[0] for row in cursor.fetchall()]
