"""`trainer check`: find what is wrong in a database and repair what can be repaired safely.

Checks: SQLite's own integrity check; every card state against its review log (each row's
`before` is the previous row's `after`, the state equals the last `after`, and each `after`
equals a replay of the rating with `trainer.study.scheduling.review`); orphans; impossible values; and
the derived `queue`, `deck` and `position` columns; the search index against the cards; each
learner's saved settings; each learner's drill tallies against their review log. Repairs only
rewrite derived or logged data (the queue from the state, the state from the last logged `after`,
a missing state, the search index from the cards, the drill tallies from the log) and put
invalid settings back to their defaults, after a backup of a SQLite file.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from fsrs import Rating
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import DatabaseError

from trainer.model import CardState, Memory, Queue
from trainer.settings import Settings
from trainer.storage import backup, fulltext, learners, store
from trainer.storage.database import is_sqlite, read_transaction, write_transaction
from trainer.storage.drill_tallies import (
    drill_rows_from_log,
    replace_drill_rows,
    same_rows,
    stored_drill_rows,
)
from trainer.storage.schema import utcnow
from trainer.study import scheduling

SCHEDULING_FIELDS = (
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "reps",
    "lapses",
    "leech",
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong, and whether `--repair` can fix it."""

    kind: str
    message: str
    learner_id: int | None = None
    card_id: str | None = None
    repairable: bool = False

    def __str__(self) -> str:
        where = f"learner {self.learner_id}, card {self.card_id}: " if self.card_id else ""
        return f"[{self.kind}] {where}{self.message}"


@dataclass
class CheckReport:
    """Every problem found, what was repaired, and the backup taken before repairing."""

    problems: list[Problem] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    backup: Path | None = None
    integrity: str = "not checked"

    @property
    def ok(self) -> bool:
        """Whether nothing was found wrong."""
        return not self.problems


@dataclass
class _Repairs:
    queues: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    states: list[tuple[int, str, Memory]] = field(default_factory=list)
    missing: list[tuple[int, str, Memory | None]] = field(default_factory=list)
    search_index: bool = False
    settings: list[tuple[int, Settings, list[str]]] = field(default_factory=list)
    drill_tallies: list[tuple[int, dict[str, list[dict[str, Any]]]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.states
            or self.queues
            or self.missing
            or self.search_index
            or self.settings
            or self.drill_tallies
        )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def differences(expected: Memory, actual: Memory) -> list[str]:
    """The scheduling fields on which two memories differ (flags set by suspend or bury aside)."""
    return [name for name in SCHEDULING_FIELDS if not _same(getattr(expected, name), getattr(actual, name))]


def _value_problems(memory: Memory) -> list[str]:
    out = []
    if memory.reps < 0 or memory.lapses < 0:
        out.append("negative review or lapse count")
    if memory.lapses > memory.reps:
        out.append("more lapses than reviews")
    if memory.stability is not None and not memory.stability > 0:
        out.append(f"stability {memory.stability} is not positive")
    if memory.difficulty is not None and not 1 <= memory.difficulty <= 10:
        out.append(f"difficulty {memory.difficulty} is outside 1 to 10")
    if memory.state != CardState.NEW:
        if memory.due is None:
            out.append("a studied card has no due date")
        if memory.stability is None or memory.difficulty is None:
            out.append("a studied card has no stability or difficulty")
    elif memory.reps:
        out.append("a new card has reviews")
    return out


def _integrity(conn: Connection) -> list[str]:
    rows = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check").all()]
    rows += [
        f"foreign key violation in {r[0]} row {r[1]}"
        for r in conn.exec_driver_sql("PRAGMA foreign_key_check")
    ]
    return [] if rows == ["ok"] else [r for r in rows if r != "ok"]


def _logs_by_card(conn: Connection) -> dict[tuple[int, str], list[Any]]:
    chains: dict[tuple[int, str], list[Any]] = defaultdict(list)
    query = select(
        store.logs.c.id,
        store.logs.c.learner_id,
        store.logs.c.card_id,
        store.logs.c.rating,
        store.logs.c.reviewed_at,
        store.logs.c.before,
        store.logs.c.after,
    ).order_by(store.logs.c.id)
    for row in conn.execute(query):
        chains[(row.learner_id, row.card_id)].append(row)
    return chains


def _check_chain(key: tuple[int, str], rows: list[Any], settings: Any, report: CheckReport) -> Memory | None:
    """Report breaks in one card's log chain and replay mismatches; returns the last `after`.

    The chain starts from a new card: the first review's `before` must be a new card's state.
    """
    learner_id, card_id = key
    previous = Memory()
    for row in rows:
        before, after = Memory.from_dict(row.before), Memory.from_dict(row.after)
        if fields := differences(previous, before):
            origin = "from a new card" if row is rows[0] else "where the last one ended"
            report.problems.append(
                Problem(
                    "log",
                    f"review {row.id} does not start {origin} ({', '.join(fields)})",
                    learner_id,
                    card_id,
                )
            )
        if settings is not None:
            replayed = scheduling.review(
                settings, before, Rating(row.rating), row.reviewed_at, card_id=card_id, learner_id=learner_id
            )
            if fields := differences(replayed, after):
                report.problems.append(
                    Problem(
                        "replay",
                        f"review {row.id} differs from a replay with the current settings"
                        f" ({', '.join(fields)}); expected if the settings changed since",
                        learner_id,
                        card_id,
                    )
                )
        previous = after
    return previous if rows else None


def _learner_settings(
    conn: Connection, learner_ids: list[int], report: CheckReport, repairs: _Repairs
) -> dict[int, Any]:
    """Each learner's saved settings; settings that fail validation are reported, to be put
    back to their defaults by a repair (until then that learner's reviews are not replayed)."""
    found = {}
    for learner_id in learner_ids:
        settings, problems = learners.saved_settings(conn, learner_id)
        if not problems:
            found[learner_id] = settings
            continue
        for problem in problems:
            message = f"learner {learner_id}: setting {problem.field} {problem.message}"
            report.problems.append(Problem("settings", message, learner_id, repairable=True))
        repairs.settings.append((learner_id, settings, sorted({p.field or "" for p in problems})))
    return found


def find_problems(conn: Connection, *, replay: bool = True) -> tuple[CheckReport, _Repairs]:
    """Inspect the whole database inside `conn`'s transaction; nothing is changed."""
    report = CheckReport()
    repairs = _Repairs()
    if conn.dialect.name == "sqlite":
        found = _integrity(conn)
        report.integrity = "ok" if not found else "failed"
        report.problems += [Problem("integrity", message) for message in found]
    else:
        report.integrity = "left to the PostgreSQL server"
    if not fulltext.index_is_current(conn):
        report.problems.append(
            Problem("search", "the search index does not match the cards", repairable=True)
        )
        repairs.search_index = True
    cards = {
        row.id: row
        for row in conn.execute(
            select(store.cards.c.id, store.cards.c.deck, store.cards.c.position, store.cards.c.retired)
        )
    }
    learner_ids = list(conn.execute(select(store.learners.c.id)).scalars())
    settings = _learner_settings(conn, learner_ids, report, repairs)
    if not replay:
        settings = {}
    chains = _logs_by_card(conn)
    seen: set[tuple[int, str]] = set()
    for row in conn.execute(
        select(
            store.states.c.learner_id,
            store.states.c.card_id,
            store.states.c.queue,
            store.states.c.deck,
            store.states.c.position,
            *store.MEMORY_COLUMNS,
        )
    ):
        key = (row.learner_id, row.card_id)
        seen.add(key)
        restated = False
        card = cards.get(row.card_id)
        if card is None or row.learner_id not in learner_ids:
            report.problems.append(Problem("orphan", "state without its card or learner", *key))
            continue
        try:
            memory = store.memory_from_row(row)
        except ValueError as exc:
            report.problems.append(Problem("value", f"unreadable state: {exc}", *key))
            continue
        report.problems += [Problem("value", message, *key) for message in _value_problems(memory)]
        last = _check_chain(key, chains.get(key, []), settings.get(row.learner_id), report)
        if last is not None and (fields := differences(last, memory)):
            report.problems.append(
                Problem(
                    "state",
                    f"state differs from the last logged review ({', '.join(fields)})",
                    *key,
                    repairable=True,
                )
            )
            repairs.states.append(
                (*key, replace(last, suspended=memory.suspended, buried_until=memory.buried_until))
            )
            memory = replace(last, suspended=memory.suspended, buried_until=memory.buried_until)
            restated = True
        elif last is None and differences(Memory(), memory):
            report.problems.append(Problem("state", "a card with no logged review is not new", *key))
        expected = {
            "queue": int(
                Queue.for_card(memory.state, suspended=memory.suspended, retired=bool(card.retired))
            ),
            "deck": card.deck,
            "position": card.position,
        }
        wrong = [name for name, value in expected.items() if getattr(row, name) != value]
        if wrong or restated:
            if wrong:
                report.problems.append(
                    Problem(
                        "derived", f"stored {', '.join(wrong)} disagrees with the card", *key, repairable=True
                    )
                )
            repairs.queues.append((*key, expected))
    for key, rows in chains.items():
        if key not in seen:
            known = key[1] in cards and key[0] in learner_ids
            report.problems.append(
                Problem("orphan", f"{len(rows)} logged reviews without a card state", *key, repairable=known)
            )
            if known:
                last = Memory.from_dict(rows[-1].after)
                repairs.missing.append((*key, last))
                seen.add(key)
    for learner_id in learner_ids:
        counted = drill_rows_from_log(conn, learner_id)
        if not same_rows(stored_drill_rows(conn, learner_id), counted):
            message = f"learner {learner_id}: drill tallies differ from the review log"
            report.problems.append(Problem("tallies", message, learner_id, repairable=True))
            repairs.drill_tallies.append((learner_id, counted))
    owners = dict(conn.execute(select(learners.decks.c.slug, learners.decks.c.owner_id)).all())
    for learner_id in learner_ids:
        for card_id, card in cards.items():
            owner = owners.get(card.deck)
            if (learner_id, card_id) not in seen and owner in (None, learner_id):
                report.problems.append(
                    Problem(
                        "missing", "card has no state for this learner", learner_id, card_id, repairable=True
                    )
                )
                repairs.missing.append((learner_id, card_id, None))
    return report, repairs


def _apply(conn: Connection, repairs: _Repairs, report: CheckReport, now: datetime | None) -> None:
    for learner_id, settings, names in repairs.settings:
        learners.save_settings(conn, learner_id, settings, now or utcnow())
        which = (
            f"setting {names[0]} put back to its default"
            if len(names) == 1
            else (f"settings {', '.join(names)} put back to their defaults")
        )
        report.repairs.append(f"learner {learner_id}: {which}")
    cards = {
        row.id: row
        for row in conn.execute(
            select(store.cards.c.id, store.cards.c.deck, store.cards.c.position, store.cards.c.retired)
        )
    }
    for learner_id, card_id, memory in repairs.states:
        store.save_memory(conn, learner_id, card_id, memory)
        report.repairs.append(f"learner {learner_id}, card {card_id}: state set to its last logged review")
    for learner_id, card_id, values in repairs.queues:
        conn.execute(
            update(store.states)
            .where(store.states.c.learner_id == learner_id, store.states.c.card_id == card_id)
            .values(**values)
        )
        report.repairs.append(f"learner {learner_id}, card {card_id}: queue, deck and position recomputed")
    for learner_id, rows in repairs.drill_tallies:
        replace_drill_rows(conn, learner_id, rows)
        report.repairs.append(f"learner {learner_id}: drill tallies counted afresh from the review log")
    if repairs.search_index:
        fulltext.rebuild_index(conn)
        report.repairs.append("search index rebuilt from the cards")
    for learner_id, card_id, logged in repairs.missing:
        card = cards[card_id]
        values = store.memory_values(logged or Memory(), retired=bool(card.retired))
        conn.execute(
            insert(store.states).values(
                learner_id=learner_id, card_id=card_id, deck=card.deck, position=card.position, **values
            )
        )
        origin = "its last logged review" if logged else "a new card"
        report.repairs.append(f"learner {learner_id}, card {card_id}: missing state added as {origin}")


def check_database(engine: Engine, *, repair: bool = False, now: datetime | None = None) -> CheckReport:
    """Check the whole database (every learner); with `repair`, fix what is safe.

    Repairs happen in one transaction after a backup of a SQLite file; the returned report lists
    every problem found before repairing, each repair made, and the backup's path.
    """
    try:
        with read_transaction(engine) as conn:
            report, repairs = find_problems(conn)
    except DatabaseError as exc:
        problem = Problem("integrity", f"the database cannot be read: {exc.orig}")
        return CheckReport(problems=[problem], integrity="failed")
    if not repair or not repairs:
        return report
    if report.integrity == "failed":
        report.repairs.append("nothing repaired: restore a backup, the file itself is damaged")
        return report
    if is_sqlite(engine):
        report.backup = backup.backup_engine(engine, "pre-repair", now)
    with write_transaction(engine) as conn:
        _apply(conn, repairs, report, now)
    return report


def describe(report: CheckReport) -> Iterable[str]:
    """The report as lines for a terminal."""
    yield f"Integrity check: {report.integrity}"
    if report.ok:
        yield "No problems found."
    else:
        yield f"{len(report.problems)} problem(s):"
        yield from (f"  {problem}" for problem in report.problems)
    if report.backup:
        yield f"Backup taken first: {report.backup}"
    if report.repairs:
        yield f"{len(report.repairs)} repair(s):"
        yield from (f"  {line}" for line in report.repairs)
