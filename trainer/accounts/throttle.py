"""Failed-login throttling kept in the database, so every worker process sees the same counts.

After `max_failures` failures within `window` for one account name, or from one client address,
further attempts are refused until the oldest of those failures leaves the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, delete, insert, select

from trainer.storage.schema import LoginFailure

failures: Table = LoginFailure.__table__  # type: ignore[assignment]
ACCOUNT = "account"
ADDRESS = "address"
KEY_LENGTH = 128


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures, within how long, before attempts are refused."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)


def _key(value: str) -> str:
    return value[:KEY_LENGTH]


def blocked_until(
    conn: Connection, policy: ThrottlePolicy, keys: dict[str, str], now: datetime
) -> datetime | None:
    """When attempts for these keys ({scope: key}) may resume, or None if they may go on now."""
    latest: datetime | None = None
    for scope, key in keys.items():
        oldest_counted = conn.execute(
            select(failures.c.failed_at)
            .where(
                failures.c.scope == scope,
                failures.c.key == _key(key),
                failures.c.failed_at > now - policy.window,
            )
            .order_by(failures.c.failed_at.desc())
            .limit(1)
            .offset(policy.max_failures - 1)
        ).scalar()
        if oldest_counted is not None:
            until = oldest_counted + policy.window
            latest = until if latest is None or until > latest else latest
    return latest


def record_failure(conn: Connection, policy: ThrottlePolicy, keys: dict[str, str], now: datetime) -> None:
    """Count one failure against each key, and forget that key's failures older than the window."""
    for scope, key in keys.items():
        conn.execute(
            delete(failures).where(
                failures.c.scope == scope,
                failures.c.key == _key(key),
                failures.c.failed_at <= now - policy.window,
            )
        )
        conn.execute(insert(failures).values(scope=scope, key=_key(key), failed_at=now))


def forget_account_failures(conn: Connection, name: str) -> None:
    """Clear an account's failures after a successful login (address failures stay counted)."""
    conn.execute(delete(failures).where(failures.c.scope == ACCOUNT, failures.c.key == _key(name)))
