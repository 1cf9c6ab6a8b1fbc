"""Throttling of password checks and sign-ups, kept in the database so every worker process sees
the same counts.

Failures within `window` (15 minutes) are counted three ways:

- one account from one client address (`PAIR`): after `max_failures` (5), that client may not
  try that account again until the oldest of those failures leaves the window;
- one client address, whatever the names (`ADDRESS`): after `max_address_failures` (20), that
  client may not try any account until the oldest leaves the window;
- one account from anywhere (`ACCOUNT`): never a lock. After `max_failures`, each further
  attempt waits a delay counted from the latest failure, doubling with each failure (1 s, 2 s,
  4 s, ...) up to `max_delay`. A stranger who knows a name can slow its owner, not lock them out.

An attempt is checked and counted as a failure in advance, in one transaction that holds a lock
on its keys (`begin_attempt`); a success withdraws it (`withdraw`). So concurrent guesses cannot
all pass the check before any of them is counted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, delete, insert, select, text

from trainer.storage.schema import LoginFailure

failures: Table = LoginFailure.__table__  # type: ignore[assignment]
PAIR = "pair"
ADDRESS = "address"
ACCOUNT = "account"
KEY_LENGTH = 128


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures, within how long, before attempts are refused or delayed."""

    max_failures: int = 5
    max_address_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    max_delay: timedelta = timedelta(minutes=1)

    def account_delay(self, failures: int) -> timedelta:
        """The wait after the latest of `failures` recent failures of one account."""
        if failures < self.max_failures:
            return timedelta(0)
        doublings = min(failures - self.max_failures, 30)
        return min(timedelta(seconds=2**doublings), self.max_delay)


def login_keys(name: str, address: str) -> dict[str, str]:
    """The keys ({scope: key}) a password check for account `name` from `address` counts against."""
    return {PAIR: f"{address} {name}", ADDRESS: address, ACCOUNT: name}


def _key(value: str) -> str:
    return value[:KEY_LENGTH]


def _lock(conn: Connection, keys: dict[str, str]) -> None:
    # A SQLite write transaction already excludes every other writer; PostgreSQL locks per key,
    # in a fixed order so that two attempts never wait on each other.
    if conn.dialect.name != "postgresql":
        return
    for scope, key in sorted(keys.items()):
        digest = hashlib.sha256(f"login-throttle {scope} {_key(key)}".encode()).digest()
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:id)"), {"id": int.from_bytes(digest[:8], "big", signed=True)}
        )


def _recent(conn: Connection, scope: str, key: str, since: datetime) -> list[datetime]:
    return list(
        conn.execute(
            select(failures.c.failed_at)
            .where(failures.c.scope == scope, failures.c.key == _key(key), failures.c.failed_at > since)
            .order_by(failures.c.failed_at.desc())
        ).scalars()
    )


def blocked_until(
    conn: Connection, policy: ThrottlePolicy, keys: dict[str, str], now: datetime
) -> datetime | None:
    """When attempts for these keys ({scope: key}) may resume, or None if they may go on now."""
    limits = {PAIR: policy.max_failures, ADDRESS: policy.max_address_failures}
    latest: datetime | None = None
    for scope, key in keys.items():
        recent = _recent(conn, scope, key, now - policy.window)
        until = None
        if scope == ACCOUNT and recent:
            until = recent[0] + policy.account_delay(len(recent))
        elif scope in limits and len(recent) >= limits[scope]:
            until = recent[limits[scope] - 1] + policy.window
        if until is not None and until > now and (latest is None or until > latest):
            latest = until
    return latest


def begin_attempt(
    conn: Connection, policy: ThrottlePolicy, keys: dict[str, str], now: datetime
) -> tuple[datetime | None, list[int]]:
    """Under a lock on `keys`: (when attempts may resume, []) if they are blocked now, with
    nothing counted; else (None, the ids of the failures counted for this attempt in advance).
    Failures older than the window are forgotten."""
    _lock(conn, keys)
    until = blocked_until(conn, policy, keys, now)
    if until is not None:
        return until, []
    counted = []
    for scope, key in keys.items():
        conn.execute(
            delete(failures).where(
                failures.c.scope == scope,
                failures.c.key == _key(key),
                failures.c.failed_at <= now - policy.window,
            )
        )
        row = insert(failures).values(scope=scope, key=_key(key), failed_at=now).returning(failures.c.id)
        counted.append(int(conn.execute(row).scalar_one()))
    return None, counted


def withdraw(conn: Connection, counted: list[int]) -> None:
    """Take back the failures an attempt counted in advance: it succeeded."""
    if counted:
        conn.execute(delete(failures).where(failures.c.id.in_(counted)))


def forget(conn: Connection, scope: str, key: str) -> None:
    """Forget every failure counted against one key (an account's, once its owner logged in)."""
    conn.execute(delete(failures).where(failures.c.scope == scope, failures.c.key == _key(key)))
