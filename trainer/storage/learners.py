"""Learners, their settings and their card states: the rows a learner owns besides reviews."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    case,
    insert,
    literal,
    select,
    update,
)

from trainer.errors import Problem, SettingsError
from trainer.model import Memory, Queue
from trainer.settings import Settings
from trainer.storage.driver import Driver
from trainer.storage.schema import DeckRow, utcnow
from trainer.storage.store import cards, learner_settings, learners, memory_values, states

decks: Table = DeckRow.__table__  # type: ignore[assignment]
_SETTINGS = "SELECT data FROM learner_settings WHERE learner_id = :learner"
INVALID_SAVED_SETTINGS = (
    "the saved settings are invalid (saved by an older version, or edited by hand): "
    "`trainer check --repair` puts each invalid one back to its default"
)


def add_states_for_cards(conn: Connection, card_rows: list[dict[str, Any]]) -> None:
    """Give every learner a new-card state for each of `card_rows` (id, deck, position); a card
    of a learner's own deck, that learner only."""
    learner_ids = conn.execute(select(learners.c.id)).scalars().all()
    slugs = {row["deck"] for row in card_rows}
    owners = dict(conn.execute(select(decks.c.slug, decks.c.owner_id).where(decks.c.slug.in_(slugs))).all())
    values = [
        {
            "learner_id": learner_id,
            "card_id": row["id"],
            "deck": row["deck"],
            "position": row["position"],
            **memory_values(Memory()),
        }
        for row in card_rows
        for learner_id in ([owners[row["deck"]]] if owners.get(row["deck"]) is not None else learner_ids)
    ]
    for start in range(0, len(values), 5000):
        conn.execute(insert(states), values[start : start + 5000])


def add_states_for_learner(conn: Connection, learner_id: int) -> None:
    """Give a learner a new-card state for every card of the shared decks (retired cards stay
    retired); other learners' own decks are theirs alone."""
    new = memory_values(Memory())
    shared = select(decks.c.slug).where(decks.c.owner_id.is_(None))
    source = select(
        literal(learner_id),
        cards.c.id,
        cards.c.deck,
        cards.c.position,
        case((cards.c.retired, int(Queue.RETIRED)), else_=int(Queue.NEW)),
        *[literal(new[name]) for name in ("state", "reps", "lapses", "suspended", "leech")],
    ).where(cards.c.deck.in_(shared))
    conn.execute(
        insert(states).from_select(
            [
                "learner_id",
                "card_id",
                "deck",
                "position",
                "queue",
                "state",
                "reps",
                "lapses",
                "suspended",
                "leech",
            ],
            source,
        )
    )


def ensure_learner(conn: Connection, name: str) -> int:
    """The id of learner `name`, creating the learner (with default settings) if needed."""
    found = conn.execute(select(learners.c.id).where(learners.c.name == name)).scalar()
    if found is not None:
        return int(found)
    learner_id = conn.execute(
        insert(learners).values(name=name, created_at=utcnow(), is_active=True, is_admin=False)
    ).inserted_primary_key[0]  # type: ignore[index]
    conn.execute(
        insert(learner_settings).values(learner_id=learner_id, data=Settings().to_dict(), updated_at=utcnow())
    )
    add_states_for_learner(conn, learner_id)
    return int(learner_id)


def _saved_data(conn: Connection | Driver, learner_id: int) -> dict[str, Any] | None:
    """The learner's saved settings as stored, decoded."""
    row = Driver.of(conn).one(_SETTINGS, {"learner": learner_id})
    data = row[0] if row is not None else None
    if isinstance(data, str | bytes):
        # SQLite hands JSON back as text (written by SQLAlchemy's `json.dumps`, NaN included);
        # psycopg has already decoded it.
        data = json.loads(data)
    return data  # type: ignore[no-any-return]


def load_settings(conn: Connection | Driver, learner_id: int) -> Settings:
    """The learner's saved settings."""
    return _valid(_saved_data(conn, learner_id))


def saved_settings(conn: Connection | Driver, learner_id: int) -> tuple[Settings, list[Problem]]:
    """The learner's saved settings with every field that fails validation at its default, and
    the problems found in them (see `Settings.from_saved`)."""
    data = _saved_data(conn, learner_id)
    return Settings.from_saved(data) if data else (Settings(), [])


def _valid(data: dict[str, Any] | None) -> Settings:
    if not data:
        return Settings()
    try:
        return Settings.from_dict(data)
    except SettingsError as exc:
        raise SettingsError(INVALID_SAVED_SETTINGS, exc.problems) from None


def settings_and_generation(
    conn: Connection, learner_id: int, *, for_update: bool = False
) -> tuple[Settings, int]:
    """The learner's saved settings and their settings generation; `for_update` locks the row
    until the caller's transaction ends (on PostgreSQL; a SQLite write transaction already
    excludes other writers)."""
    query = select(learner_settings.c.data, learner_settings.c.generation).where(
        learner_settings.c.learner_id == learner_id
    )
    row = conn.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        return Settings(), 0
    return _valid(row.data), int(row.generation)


def save_settings(conn: Connection, learner_id: int, settings: Settings, now: datetime) -> None:
    """Replace the learner's saved settings and move their settings generation on, in the
    caller's transaction: once it commits, every process keeping the settings reads them again."""
    conn.execute(
        update(learner_settings)
        .where(learner_settings.c.learner_id == learner_id)
        .values(data=settings.to_dict(), updated_at=now, generation=learner_settings.c.generation + 1)
    )
