"""The login throttle's window and count at their exact boundaries, on a real database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from tests.conftest import NOW
from trainer import Collection
from trainer.accounts import throttle
from trainer.accounts.throttle import ACCOUNT, ADDRESS, ThrottlePolicy, blocked_until, record_failure

POLICY = ThrottlePolicy(max_failures=3, window=timedelta(minutes=10))
KEYS = {ACCOUNT: "alice", ADDRESS: "10.0.0.1"}


@pytest.fixture
def engine(db_url: str, open_collection: Callable[..., Collection]) -> Engine:
    return open_collection(db_url).engine


def stored(engine: Engine, scope: str, key: str) -> int:
    table = throttle.failures
    with engine.connect() as conn:
        query = select(func.count()).where(table.c.scope == scope, table.c.key == key)
        return int(conn.execute(query).scalar_one())


def fail(engine: Engine, keys: dict[str, str], *minutes: float) -> None:
    with engine.begin() as conn:
        for m in minutes:
            record_failure(conn, POLICY, keys, NOW + timedelta(minutes=m))


def until(engine: Engine, keys: dict[str, str], minutes: float) -> object:
    with engine.connect() as conn:
        return blocked_until(conn, POLICY, keys, NOW + timedelta(minutes=minutes))


def test_the_block_lasts_until_the_oldest_counted_failure_leaves_the_window(engine: Engine) -> None:
    fail(engine, KEYS, 0, 1)
    assert until(engine, KEYS, 2) is None  # one failure short
    fail(engine, KEYS, 2)
    assert until(engine, KEYS, 2) == NOW + timedelta(minutes=10)
    assert until(engine, KEYS, 10 - 1e-6) == NOW + timedelta(minutes=10)
    assert until(engine, KEYS, 10) is None  # exactly a window old is out of it
    fail(engine, KEYS, 3)
    # The newest three count: 1, 2 and 3, so the block now ends at 11 minutes.
    assert until(engine, KEYS, 3) == NOW + timedelta(minutes=11)


def test_failures_a_window_old_are_forgotten_when_the_next_is_recorded(engine: Engine) -> None:
    fail(engine, KEYS, 0, 5)
    assert stored(engine, ACCOUNT, "alice") == 2
    fail(engine, KEYS, 10 - 1e-6)
    assert stored(engine, ACCOUNT, "alice") == 3
    fail(engine, KEYS, 10)
    assert stored(engine, ACCOUNT, "alice") == 3  # the failure at 0 went, the one at 10 came
    assert stored(engine, ADDRESS, "10.0.0.1") == 3


def test_scopes_and_keys_are_counted_apart(engine: Engine) -> None:
    fail(engine, {ACCOUNT: "alice"}, 0, 1, 2)
    fail(engine, {ADDRESS: "10.0.0.2"}, 0, 1)
    assert until(engine, {ACCOUNT: "bob", ADDRESS: "10.0.0.1"}, 3) is None
    assert until(engine, {ADDRESS: "alice"}, 3) is None
    assert until(engine, {ACCOUNT: "alice", ADDRESS: "10.0.0.2"}, 3) == NOW + timedelta(minutes=10)
    fail(engine, {ADDRESS: "10.0.0.2"}, 4)
    # Both keys blocked: the later of the two ends wins.
    assert until(engine, {ACCOUNT: "alice", ADDRESS: "10.0.0.2"}, 5) == NOW + timedelta(minutes=10)
    assert until(engine, {ADDRESS: "10.0.0.2", ACCOUNT: "alice"}, 5) == NOW + timedelta(minutes=10)
    fail(engine, {ADDRESS: "10.0.0.2"}, 6)
    assert until(engine, {ACCOUNT: "alice", ADDRESS: "10.0.0.2"}, 6) == NOW + timedelta(minutes=11)
    with engine.begin() as conn:
        throttle.forget_account_failures(conn, "alice")
    assert stored(engine, ACCOUNT, "alice") == 0
    assert stored(engine, ADDRESS, "10.0.0.2") == 4


def test_long_keys_are_cut_to_a_fixed_length(engine: Engine) -> None:
    long_name = "x" * throttle.KEY_LENGTH
    fail(engine, {ACCOUNT: long_name + "a"}, 0, 1)
    fail(engine, {ACCOUNT: long_name + "b"}, 2)
    assert until(engine, {ACCOUNT: long_name + "c"}, 3) == NOW + timedelta(minutes=10)
    assert stored(engine, ACCOUNT, long_name) == 3
    with engine.begin() as conn:
        throttle.forget_account_failures(conn, long_name + "zzz")
    assert stored(engine, ACCOUNT, long_name) == 0
