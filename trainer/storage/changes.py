"""When each card's content last changed here: the modification times of exported Anki notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from trainer.model import Card
from trainer.storage.driver import Driver
from trainer.storage.store import CONTENT_SQL_COLUMNS, card_from_raw, card_rows

_NEVER = datetime.fromtimestamp(0, UTC)


def _times(driver: Driver, stored: set[Any]) -> dict[Any, datetime]:
    """Stored times parsed once each: a sync stamps every card it changes with one time."""
    return {value: driver.read_time(value) or _NEVER for value in stored}


def content_times(
    conn: Connection, learner_id: int, decks: Sequence[str] | None = None
) -> dict[str, datetime]:
    """When the content of each of the learner's live cards (only those of `decks`, if given)
    last changed, by card id."""
    driver = Driver.of(conn)
    rows = card_rows(driver, "c.id, c.updated_at", learner_id, decks=decks)
    times = _times(driver, {changed for _, changed in rows})
    return {card_id: times[changed] for card_id, changed in rows}


def changed_card_contents(
    conn: Connection, learner_id: int, decks: Sequence[str] | None = None
) -> list[tuple[Card, datetime]]:
    """Every live card's content (only those of `decks`, if given) with when it last changed,
    in deck order, from one read."""
    driver = Driver.of(conn)
    rows = card_rows(driver, f"{CONTENT_SQL_COLUMNS}, c.updated_at", learner_id, decks=decks)
    times = _times(driver, {row[-1] for row in rows})
    return [(card_from_raw(driver, row), times[row[-1]]) for row in rows]
