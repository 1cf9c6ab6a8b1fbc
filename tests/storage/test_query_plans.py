"""Every queue and count query is served by an index: no full scan of card_states or review_logs.

The statements are the ones the collection really sends (recorded from the engine while it picks
cards and counts them in every branch), explained with their own parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.conftest import NOW
from tests.storage.test_concurrency import write_deck
from trainer import Collection, Rating
from trainer.storage import driver as driver_module

CARDS_PER_DECK = 1000
HOT_TABLES = re.compile(r"\b(card_states|review_logs)\b", re.IGNORECASE)


@contextmanager
def recorded(col: Collection) -> Iterator[dict[str, Any]]:
    """Record each distinct statement touching the hot tables (with its first parameters).

    Both paths are watched: statements sent through SQLAlchemy, and the study loop's statements
    sent straight to the driver (`trainer.storage.driver.Driver`), recorded as the driver receives them.
    """
    seen: dict[str, Any] = {}

    def keep(statement: str, parameters: Any) -> None:
        if HOT_TABLES.search(statement) and statement.lstrip().upper().startswith("SELECT"):
            seen.setdefault(statement, parameters)

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        keep(statement, parameters)

    original = driver_module.Driver.execute

    def record_driver(self: driver_module.Driver, sql: str, params: dict[str, Any]) -> Any:
        keep(sql if self.sqlite else driver_module._pyformat(sql), params)
        return original(self, sql, params)

    event.listen(col.engine, "before_cursor_execute", record)
    driver_module.Driver.execute = record_driver  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        driver_module.Driver.execute = original  # type: ignore[method-assign]
        event.remove(col.engine, "before_cursor_execute", record)


def _exercise_queue(col: Collection) -> dict[str, Any]:
    """Drive every branch of picking and counting cards; returns the statements sent."""
    with recorded(col) as seen:
        for domain in (None, "one", "two"):
            col.next_card(now=NOW, domain=domain)
        col.due_counts(now=NOW)
        col.today_counts(now=NOW)
        col.configure(new_per_day=200, now=NOW)
        moment = NOW
        for i in range(60):
            moment = NOW + timedelta(seconds=30 * i)
            card = col.next_card(now=moment)
            assert card is not None
            col.answer(card.id, Rating.Easy if i % 2 else Rating.Again, now=moment)
        col.configure(new_per_day=0, reviews_per_day=0, now=moment)
        # Nothing new or due: the learning queue, the limits and the learn-ahead window are asked.
        col.next_card(now=moment)
        col.next_card(now=moment, domain="one")
        col.configure(new_per_day=50, reviews_per_day=500, now=moment)
        later = moment + timedelta(days=3)
        for domain in (None, "two"):
            col.next_card(now=later, domain=domain)
        col.due_counts(now=later)
        col.today_counts(now=later)
    assert len(seen) >= 4, seen
    assert any("ORDER BY s.due" in statement for statement in seen), "the study loop was not recorded"
    return seen


def _seeded(url: str, tmp_path: Path, open_collection: Callable[..., Collection]) -> Collection:
    decks = tmp_path / "decks"
    write_deck(decks, CARDS_PER_DECK, slug="one")
    write_deck(decks, CARDS_PER_DECK, slug="two")
    col = open_collection(url)
    col.sync_decks([decks], now=NOW)
    return col


def test_sqlite_queue_and_count_queries_use_indexes(
    sqlite_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col = _seeded(sqlite_url, tmp_path, open_collection)
    statements = _exercise_queue(col)
    full_scans = []
    with col.engine.connect() as conn:
        for statement, parameters in statements.items():
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            details = [str(row[-1]) for row in plan]
            assert details, statement
            bad = [d for d in details if d.startswith("SCAN") and "USING" not in d and "CONSTANT" not in d]
            if bad:
                full_scans.append((statement, details))
    assert full_scans == []


def test_postgresql_queue_and_count_queries_can_use_indexes(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("EXPLAIN on PostgreSQL; the SQLite plans have their own test")
    col = _seeded(db_url, tmp_path, open_collection)
    statements = _exercise_queue(col)
    seq_scans = []
    with col.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements.items():
            plan = "\n".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters))
            if re.search(r"Seq Scan on (card_states|review_logs)", plan):
                seq_scans.append((statement, plan))
    assert seq_scans == []
