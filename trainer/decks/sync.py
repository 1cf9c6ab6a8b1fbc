"""Apply validated deck files to the database in one transaction.

A card whose text changed keeps every learner's scheduling and history; a card missing from the
files is retired (never deleted) and comes back, history intact, when it reappears.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from trainer.decks.deckfile import DeckSet
from trainer.decks.render import render_card
from trainer.model import Card, CardKind, Queue, SyncReport
from trainer.storage.learners import add_states_for_cards
from trainer.storage.schema import Concept, DeckRow
from trainer.storage.store import QUEUE_FROM_STATE, cards, states

concepts_table: Table = Concept.__table__  # type: ignore[assignment]
decks_table: Table = DeckRow.__table__  # type: ignore[assignment]


def content_hash(card: Card) -> str:
    """A digest of everything a deck file says about a card."""
    return hashlib.sha256(json.dumps(card.to_dict(), sort_keys=True).encode()).hexdigest()


def _card_values(card: Card, position: int, now: datetime) -> dict[str, Any]:
    data = card.to_dict()
    drill: dict[str, Any] = {"style": None, "time_target_s": None, "drill": None}
    if card.kind == CardKind.DRILL:
        drill = {
            "style": data.pop("style"),
            "time_target_s": data.pop("time_target_s"),
            "drill": {name: data.pop(name) for name in ("optional", "red_flags", "variants", "follow_ups")},
        }
    return {
        **data,
        **drill,
        "rendered": render_card(card),
        "content_hash": content_hash(card),
        "position": position,
        "retired": False,
        "updated_at": now,
    }


def _sync_vocabulary(conn: Connection, deck_set: DeckSet) -> None:
    known = dict(conn.execute(select(concepts_table.c.id, concepts_table.c.description)).all())
    for slug, description in deck_set.concepts.items():
        if slug not in known:
            conn.execute(insert(concepts_table).values(id=slug, description=description))
        elif known[slug] != description:
            conn.execute(
                update(concepts_table).where(concepts_table.c.id == slug).values(description=description)
            )
    stored = {row.slug: row for row in conn.execute(select(decks_table)).all()}
    for position, deck in enumerate(deck_set.decks):
        values = {
            "title": deck.title,
            "description": deck.description,
            "path": deck.path,
            "position": position,
        }
        row = stored.get(deck.slug)
        if row is None:
            conn.execute(insert(decks_table).values(slug=deck.slug, **values))
        elif any(getattr(row, key) != value for key, value in values.items()):
            conn.execute(update(decks_table).where(decks_table.c.slug == deck.slug).values(**values))


def _is_current(row: Any, card: Card, position: int) -> bool:
    """Whether the stored row already holds exactly this card, in place, with its HTML."""
    return (
        not row.retired
        and row.position == position
        and not row.unrendered
        and row.content_hash == content_hash(card)
    )


def apply_decks(conn: Connection, deck_set: DeckSet, now: datetime) -> SyncReport:
    """Bring the cards table in line with `deck_set` inside the caller's transaction."""
    report = SyncReport(decks=[deck.slug for deck in deck_set.decks])
    _sync_vocabulary(conn, deck_set)
    stored = {
        row.id: row
        for row in conn.execute(
            select(
                cards.c.id,
                cards.c.deck,
                cards.c.content_hash,
                cards.c.position,
                cards.c.retired,
                cards.c.rendered.is_(None).label("unrendered"),
            )
        ).all()
    }
    added: list[dict[str, Any]] = []
    seen: set[str] = set()
    for deck in deck_set.decks:
        for position, card in enumerate(deck.cards):
            seen.add(card.id)
            row = stored.get(card.id)
            if row is not None and _is_current(row, card, position):
                report.unchanged += 1
                continue
            values = _card_values(card, position, now)
            if row is None:
                added.append(values)
                continue
            changed = row.content_hash != values["content_hash"]
            conn.execute(update(cards).where(cards.c.id == card.id).values(**values))
            if row.retired:
                report.restored += 1
            elif changed:
                report.updated += 1
            else:
                report.unchanged += 1
            if row.retired or row.deck != card.deck or row.position != position:
                _refresh_states(conn, card.id, card.deck, position)
    if added:
        for start in range(0, len(added), 2000):
            conn.execute(insert(cards), added[start : start + 2000])
        add_states_for_cards(conn, added)
        report.added = len(added)
    gone = [card_id for card_id, row in stored.items() if card_id not in seen and not row.retired]
    for start in range(0, len(gone), 500):
        chunk = gone[start : start + 500]
        conn.execute(update(cards).where(cards.c.id.in_(chunk)).values(retired=True, updated_at=now))
        conn.execute(update(states).where(states.c.card_id.in_(chunk)).values(queue=int(Queue.RETIRED)))
    report.retired = len(gone)
    return report


def _refresh_states(conn: Connection, card_id: str, deck: str, position: int) -> None:
    """Put every learner's state of a restored or moved card back in its proper queue."""
    conn.execute(
        update(states)
        .where(states.c.card_id == card_id)
        .values(deck=deck, position=position, queue=QUEUE_FROM_STATE)
    )
