"""Which imports of deck files committed: a row per import, written in the transaction that
syncs its files, so a crash that leaves the import's journal in the deck folder is settled by
whether that transaction committed (`trainer.decks.atomic`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Table, insert, select

from trainer.storage.database import hold_lock
from trainer.storage.schema import DeckImport

deck_imports: Table = DeckImport.__table__  # type: ignore[assignment]


def _lock_name(import_id: str) -> str:
    return f"deck import {import_id}"


def record_import(conn: Connection, import_id: str, moment: datetime) -> None:
    """Record, inside the caller's write transaction, that import `import_id` commits with it."""
    hold_lock(conn, _lock_name(import_id))
    conn.execute(insert(deck_imports).values(id=import_id, committed_at=moment))


def import_committed(conn: Connection, import_id: str) -> bool:
    """Whether import `import_id` committed, asked inside a write transaction. It first waits
    for a transaction still recording that import to end: a PostgreSQL server may still be
    committing the transaction of a client that was killed after sending COMMIT."""
    hold_lock(conn, _lock_name(import_id))
    found = conn.execute(select(deck_imports.c.id).where(deck_imports.c.id == import_id)).first()
    return found is not None
