"""Apply validated deck files to the database in one transaction.

A card whose text changed keeps every learner's scheduling and history; a card missing from the
files is retired (never deleted) and comes back, history intact, when it reappears. A sync only
retires cards of the decks it is about: the decks in its files, and those last synced from a
file inside one of its folders. Every folder or file synced is remembered (`deck_sources`), so a
sync that names no paths reads them all again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update

from trainer.decks.deckfile import DeckSet
from trainer.decks.render import render_card
from trainer.errors import DeckError, NeedsConfirmation, Problem
from trainer.model import Card, CardKind, Queue, SyncReport
from trainer.storage.generations import bump_decks_generation
from trainer.storage.learners import add_states_for_cards
from trainer.storage.schema import Concept, DeckRow, DeckSource
from trainer.storage.store import QUEUE_FROM_STATE, cards, states

# A sync that would retire more cards than this asks first (front ends pass it as `retire_limit`).
RETIRE_WITHOUT_ASKING = 5

concepts_table: Table = Concept.__table__  # type: ignore[assignment]
decks_table: Table = DeckRow.__table__  # type: ignore[assignment]
sources_table: Table = DeckSource.__table__  # type: ignore[assignment]


def content_hash(card: Card) -> str:
    """A digest of everything a deck file says about a card (and, for a cloze, its number)."""
    return hashlib.sha256(json.dumps(card.to_dict(), sort_keys=True).encode()).hexdigest()


def _card_values(card: Card, position: int, now: datetime, changed: bool = True) -> dict[str, Any]:
    """The row for `card`; `updated_at` moves only when its content changed."""
    data = card.to_dict()
    drill: dict[str, Any] = {"style": None, "time_target_s": None, "drill": None}
    if card.kind == CardKind.DRILL:
        drill = {
            "style": data.pop("style"),
            "time_target_s": data.pop("time_target_s"),
            "drill": {name: data.pop(name) for name in ("optional", "red_flags", "variants", "follow_ups")},
        }
    values = {
        **data,
        **drill,
        "note": card.note_id,
        "cloze": card.cloze,
        "rendered": render_card(card),
        "content_hash": content_hash(card),
        "position": position,
        "retired": False,
    }
    if changed:
        values["updated_at"] = now
    return values


def _sync_vocabulary(
    conn: Connection, deck_set: DeckSet, now: datetime, owner: int | None, keep_places: bool
) -> None:
    known = dict(conn.execute(select(concepts_table.c.id, concepts_table.c.description)).all())
    for slug, description in deck_set.concepts.items():
        if slug not in known:
            conn.execute(insert(concepts_table).values(id=slug, description=description))
        elif known[slug] != description:
            conn.execute(
                update(concepts_table).where(concepts_table.c.id == slug).values(description=description)
            )
    stored = {row.slug: row for row in conn.execute(select(decks_table)).all()}
    last = max((row.position for row in stored.values()), default=-1)
    changed = False
    for position, deck in enumerate(deck_set.decks):
        row = stored.get(deck.slug)
        if keep_places:
            position = row.position if row is not None else last + 1 + position
        values = {
            "title": deck.title,
            "description": deck.description,
            "path": str(Path(deck.path).resolve()),
            "position": position,
        }
        if row is None:
            conn.execute(insert(decks_table).values(slug=deck.slug, owner_id=owner, **values))
            changed = True
        elif any(getattr(row, key) != value for key, value in values.items()):
            conn.execute(update(decks_table).where(decks_table.c.slug == deck.slug).values(**values))
            changed = True
            if row.title != deck.title:  # every card shows its deck's title (Anki's Domain field)
                conn.execute(update(cards).where(cards.c.deck == deck.slug).values(updated_at=now))
    if changed:
        bump_decks_generation(conn)


def _is_current(row: Any, card: Card, position: int) -> bool:
    """Whether the stored row already holds exactly this card, in place, with its HTML."""
    return (
        not row.retired
        and row.position == position
        and not row.unrendered
        and row.content_hash == content_hash(card)
    )


def _decks_in_scope(conn: Connection, deck_set: DeckSet, sources: Sequence[Path]) -> set[str]:
    """The decks a sync of `sources` speaks for: those in its files, and those last synced from a
    file inside one of its folders (a deck file deleted from a synced folder retires its cards)."""
    scope = {deck.slug for deck in deck_set.decks}
    folders = [path.resolve() for path in sources if path.is_dir()]
    for slug, path in conn.execute(select(decks_table.c.slug, decks_table.c.path)).all():
        if path and any(Path(path).resolve().is_relative_to(folder) for folder in folders):
            scope.add(slug)
    return scope


def _refuse_learners_decks(conn: Connection, deck_set: DeckSet) -> None:
    """Raise DeckError if a shared deck file takes the slug of a learner's own deck: synced, its
    cards would become that learner's alone and their own cards would be retired. The learner's
    own file itself (a remembered source) syncs as usual."""
    query = select(decks_table.c.slug, decks_table.c.path).where(decks_table.c.owner_id.is_not(None))
    owned = dict(conn.execute(query).all())
    problems = [
        Problem(
            f"deck {deck.slug!r} is a learner's own deck (from {owned[deck.slug]}); give it another slug",
            file=str(deck.path),
        )
        for deck in deck_set.decks
        if deck.slug in owned and owned[deck.slug] != str(Path(deck.path).resolve())
    ]
    if problems:
        raise DeckError(f"{len(problems)} problem(s) in the decks; nothing was applied", problems)


def _refuse_ids_of_other_owners(
    conn: Connection, deck_set: DeckSet, owner: int | None, deck_of: dict[str, str]
) -> None:
    """Raise DeckError if a card would move between decks of different owners: a shared card
    taking the id of a learner's own card would otherwise turn into that card (its content
    replaced, still theirs alone, so nobody else ever sees the shared one), and the reverse."""
    owners = dict(conn.execute(select(decks_table.c.slug, decks_table.c.owner_id)).all())
    problems = [
        Problem(
            f"card {card.id!r}: the id is taken by a card of another learner's deck; give it another id",
            file=str(deck.path),
        )
        for deck in deck_set.decks
        for card in deck.cards
        if card.id in deck_of
        and deck_of[card.id] != deck.slug
        and owners.get(deck_of[card.id]) != owners.get(deck.slug, owner)
    ]
    if problems:
        raise DeckError(f"{len(problems)} problem(s) in the decks; nothing was applied", problems)


def apply_decks(
    conn: Connection,
    deck_set: DeckSet,
    now: datetime,
    *,
    sources: Sequence[Path] | None = None,
    retire_limit: int | None = None,
    owner: int | None = None,
    keep_places: bool = False,
) -> SyncReport:
    """Bring the cards table in line with `deck_set` (read from `sources`) inside the caller's
    transaction. Cards missing from it are retired only in the decks it speaks for (every deck,
    when `sources` is None). Raises `NeedsConfirmation`, before changing anything, if more than
    `retire_limit` cards would be retired. A deck new to the database belongs to `owner` (a
    learner's own deck), or to every learner when None. With `keep_places` a stored deck keeps its
    place in the deck order and a new one goes last, instead of following the order of
    `deck_set`. A change to the decks table moves the decks generation on, so that every process
    reads its decks again."""
    report = SyncReport(decks=[deck.slug for deck in deck_set.decks])
    if owner is None:
        _refuse_learners_decks(conn, deck_set)
    scope = _decks_in_scope(conn, deck_set, sources) if sources is not None else None
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
    _refuse_ids_of_other_owners(conn, deck_set, owner, {card_id: row.deck for card_id, row in stored.items()})
    seen_ids = {card.id for deck in deck_set.decks for card in deck.cards}
    gone = [
        card_id
        for card_id, row in stored.items()
        if card_id not in seen_ids and not row.retired and (scope is None or row.deck in scope)
    ]
    if retire_limit is not None and len(gone) > retire_limit:
        by_deck: dict[str, int] = {}
        for card_id in gone:
            by_deck[stored[card_id].deck] = by_deck.get(stored[card_id].deck, 0) + 1
        where = ", ".join(f"{slug}: {count}" for slug, count in sorted(by_deck.items()))
        raise NeedsConfirmation(f"this sync would retire {len(gone)} cards ({where})", len(gone))
    _sync_vocabulary(conn, deck_set, now, owner, keep_places)
    added: list[dict[str, Any]] = []
    for deck in deck_set.decks:
        for position, card in enumerate(deck.cards):
            row = stored.get(card.id)
            if row is not None and _is_current(row, card, position):
                report.unchanged += 1
                continue
            if row is None:
                added.append(_card_values(card, position, now))
                continue
            changed = row.content_hash != content_hash(card)
            values = _card_values(card, position, now, changed)
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
    for start in range(0, len(gone), 500):
        chunk = gone[start : start + 500]
        conn.execute(update(cards).where(cards.c.id.in_(chunk)).values(retired=True))
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


def remember_sources(conn: Connection, paths: Sequence[Path], now: datetime) -> None:
    """Add `paths` (resolved) to the deck folders and files the collection is synced from."""
    known = set(conn.execute(select(sources_table.c.path)).scalars())
    for path in dict.fromkeys(str(p.resolve()) for p in paths):
        if path not in known:
            conn.execute(insert(sources_table).values(path=path, added_at=now))


def forget_sources(conn: Connection, paths: Sequence[Path]) -> list[Path]:
    """Stop syncing `paths` (resolved; they need not exist any more) again; returns those
    that were remembered. Their cards stay as they are."""
    wanted = {str(path.resolve()) for path in paths}
    known = [path for path in conn.execute(select(sources_table.c.path)).scalars() if path in wanted]
    if known:
        conn.execute(delete(sources_table).where(sources_table.c.path.in_(known)))
    return [Path(path) for path in known]


def remembered_sources(conn: Connection) -> list[Path]:
    """The deck folders and files the collection has been synced from, oldest first."""
    rows = conn.execute(select(sources_table.c.path).order_by(sources_table.c.added_at, sources_table.c.path))
    return [Path(path) for path in rows.scalars()]


def merge_sources(paths: Sequence[Path]) -> list[Path]:
    """`paths` resolved, without repeats and without files inside a folder also given (they
    would be read twice), in their first order; paths that no longer exist are left out."""
    resolved = [p.resolve() for p in paths if p.exists()]
    folders = [p for p in resolved if p.is_dir()]
    merged: list[Path] = []
    for path in resolved:
        inside = path.is_file() and any(path.is_relative_to(folder) for folder in folders)
        if path not in merged and not inside:
            merged.append(path)
    return merged
