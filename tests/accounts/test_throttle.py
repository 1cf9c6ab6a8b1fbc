"""The login throttle's windows, counts and delays at their exact boundaries, on a real database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text

from tests.conftest import NOW
from trainer import Collection
from trainer.accounts import throttle
from trainer.accounts.throttle import (
    ACCOUNT,
    ADDRESS,
    PAIR,
    ThrottlePolicy,
    begin_attempt,
    blocked_until,
    login_keys,
)

POLICY = ThrottlePolicy(
    max_failures=3, max_address_failures=4, window=timedelta(minutes=10), max_delay=timedelta(seconds=5)
)


@pytest.fixture
def engine(db_url: str, open_collection: Callable[..., Collection]) -> Engine:
    return open_collection(db_url).engine


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def stored(engine: Engine, scope: str, key: str) -> int:
    table = throttle.failures
    with engine.connect() as conn:
        query = select(func.count()).where(table.c.scope == scope, table.c.key == key)
        return int(conn.execute(query).scalar_one())


def attempt(engine: Engine, keys: dict[str, str], minutes: float) -> tuple[datetime | None, list[int]]:
    with engine.begin() as conn:
        return begin_attempt(conn, POLICY, keys, at(minutes))


def until(engine: Engine, keys: dict[str, str], minutes: float) -> datetime | None:
    with engine.connect() as conn:
        return blocked_until(conn, POLICY, keys, at(minutes))


def test_login_keys_count_the_pair_the_address_and_the_account() -> None:
    assert login_keys("alice", "10.0.0.1") == {PAIR: "10.0.0.1 alice", ADDRESS: "10.0.0.1", ACCOUNT: "alice"}


def test_a_pair_is_locked_until_its_oldest_counted_failure_leaves_the_window(engine: Engine) -> None:
    pair = {PAIR: "10.0.0.1 alice"}
    for minute in (0, 1):
        assert attempt(engine, pair, minute)[0] is None
    assert until(engine, pair, 2) is None  # one failure short
    assert attempt(engine, pair, 2)[0] is None
    assert until(engine, pair, 2) == at(10)
    assert until(engine, pair, 10 - 1e-6) == at(10)
    assert until(engine, pair, 10) is None  # exactly a window old is out of it
    blocked, counted = attempt(engine, pair, 5)
    assert blocked == at(10) and counted == []  # a refused attempt is not counted
    assert stored(engine, PAIR, "10.0.0.1 alice") == 3


def test_an_address_is_locked_after_its_own_larger_count(engine: Engine) -> None:
    for i in range(3):
        assert attempt(engine, {ADDRESS: "10.0.0.9"}, i)[0] is None
    assert until(engine, {ADDRESS: "10.0.0.9"}, 3) is None  # three is the pair limit, not the address one
    assert attempt(engine, {ADDRESS: "10.0.0.9"}, 3)[0] is None
    assert until(engine, {ADDRESS: "10.0.0.9"}, 3) == at(10)


def test_an_account_is_delayed_never_locked(engine: Engine) -> None:
    assert [POLICY.account_delay(n) for n in range(2, 9)] == [
        timedelta(seconds=s) for s in (0, 1, 2, 4, 5, 5, 5)
    ]
    assert ThrottlePolicy().account_delay(10**6) == timedelta(minutes=1)
    # The doublings stop at 2**30 seconds (34 years), whatever the cap and the count.
    endless = ThrottlePolicy(max_failures=1, max_delay=timedelta(days=10**6))
    assert endless.account_delay(31) == endless.account_delay(10**6) == timedelta(seconds=2**30)
    account = {ACCOUNT: "alice"}
    for i in range(2):
        assert attempt(engine, account, i)[0] is None
    assert until(engine, account, 1) is None
    assert attempt(engine, account, 2)[0] is None
    latest = at(2)
    assert until(engine, account, 2) == latest + timedelta(seconds=1)
    assert until(engine, account, 2 + 1 / 60) is None  # the delay is over exactly at its end
    assert attempt(engine, account, 3)[0] is None
    assert until(engine, account, 3) == at(3) + timedelta(seconds=2)


def test_the_latest_end_of_several_blocks_wins(engine: Engine) -> None:
    keys = login_keys("alice", "10.0.0.1")
    for minute in (0, 1, 2):
        assert attempt(engine, keys, minute)[0] is None
    assert until(engine, keys, 2) == at(10)  # the pair's lock outlasts the account's 1 s delay
    assert until(engine, {ACCOUNT: "alice", ADDRESS: "10.0.0.1"}, 2) == at(2) + timedelta(seconds=1)
    assert until(engine, {ADDRESS: "10.0.0.1", ACCOUNT: "alice"}, 2) == at(2) + timedelta(seconds=1)


def test_withdrawing_and_forgetting(engine: Engine) -> None:
    keys = login_keys("alice", "10.0.0.1")
    _, first = attempt(engine, keys, 0)
    _, second = attempt(engine, keys, 1)
    assert len(first) == 3 and stored(engine, PAIR, "10.0.0.1 alice") == 2
    with engine.begin() as conn:
        throttle.withdraw(conn, second)
        throttle.withdraw(conn, [])
    assert [stored(engine, scope, key) for scope, key in keys.items()] == [1, 1, 1]
    attempt(engine, {ADDRESS: "alice", ACCOUNT: "bob"}, 2)  # the same key in another scope; another account
    with engine.begin() as conn:
        throttle.forget(conn, ACCOUNT, "alice")
    assert [stored(engine, scope, key) for scope, key in keys.items()] == [1, 1, 0]
    assert stored(engine, ADDRESS, "alice") == 1 and stored(engine, ACCOUNT, "bob") == 1


def test_failures_a_window_old_are_forgotten_when_the_next_is_counted(engine: Engine) -> None:
    pair = {PAIR: "p"}
    attempt(engine, pair, 0)
    attempt(engine, pair, 10 - 1e-6)
    assert stored(engine, PAIR, "p") == 2
    attempt(engine, pair, 10)
    assert stored(engine, PAIR, "p") == 2  # the failure at 0 went, the one at 10 came


def test_long_keys_are_cut_to_a_fixed_length(engine: Engine) -> None:
    long_name = "x" * throttle.KEY_LENGTH
    for minute, suffix in enumerate("abc"):
        attempt(engine, {PAIR: long_name + suffix}, minute)
    assert until(engine, {PAIR: long_name + "z"}, 3) == at(10)
    assert stored(engine, PAIR, long_name) == 3
    with engine.begin() as conn:
        throttle.forget(conn, PAIR, long_name + "zzz")
    assert stored(engine, PAIR, long_name) == 0


def test_keys_keep_every_character_their_column_holds(engine: Engine) -> None:
    length = throttle.failures.c.key.type.length
    assert length == 128
    # Names that differ only in the column's last character are counted apart ...
    first, second = "x" * (length - 1) + "a", "x" * (length - 1) + "b"
    for minute in range(3):
        attempt(engine, {PAIR: first + "-tail"}, minute)
    assert stored(engine, PAIR, first) == 3
    assert until(engine, {PAIR: first}, 3) == at(10)
    assert until(engine, {PAIR: second}, 3) is None
    # ... and a name longer than the column is counted by what the column holds.
    assert until(engine, {PAIR: first + "-other-tail"}, 3) == at(10)


def test_an_attempt_waits_while_another_on_the_same_keys_is_being_counted(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite the write transaction itself keeps every other writer out")
    keys = login_keys("alice", "10.0.0.1")
    second: list[tuple[datetime | None, list[int]]] = []

    def attempt_again() -> None:
        with engine.begin() as conn:
            second.append(begin_attempt(conn, POLICY, keys, at(1)))

    waiting_rows = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with engine.begin() as first:
        begin_attempt(first, POLICY, keys, at(0))
        thread = threading.Thread(target=attempt_again)
        thread.start()
        waited = False
        with engine.connect() as watcher:
            deadline = time.monotonic() + 30
            while not waited and thread.is_alive() and time.monotonic() < deadline:
                waited = watcher.execute(waiting_rows).scalar_one() > 0
                time.sleep(0.02)
        assert waited, "the second attempt went ahead while the first was still being counted"
    thread.join(30)
    assert second and second[0][0] is None
    assert stored(engine, PAIR, keys[PAIR]) == 2


def record(engine: Engine, scope: str, key: str, *minutes: float) -> None:
    """Failures written straight into the table (an attempt would also clear old ones)."""
    with engine.begin() as conn:
        for m in minutes:
            conn.execute(throttle.failures.insert().values(scope=scope, key=key, failed_at=at(m)))


def test_only_failures_of_the_same_scope_and_key_inside_the_window_count(engine: Engine) -> None:
    record(engine, PAIR, "x", 0, 1, 2, 2.5)  # enough to lock an address too, were they counted there
    assert until(engine, {PAIR: "x"}, 3) == at(11)
    assert until(engine, {ADDRESS: "x"}, 3) is None
    assert until(engine, {PAIR: "y"}, 3) is None
    # Two failures inside the window delay nobody; the two before it must not count.
    record(engine, ACCOUNT, "alice", 0, 1, 10.5, 11)
    assert until(engine, {ACCOUNT: "alice"}, 11) is None
    # A failure exactly a window old is out: only the two at 9.99 and 10 count at 10.
    record(engine, ACCOUNT, "bob", 0, 9.99, 10)
    assert until(engine, {ACCOUNT: "bob"}, 10) is None


def test_an_attempt_clears_only_its_own_keys_old_failures(engine: Engine) -> None:
    record(engine, PAIR, "old", 0)
    record(engine, ADDRESS, "p", 0)
    attempt(engine, {PAIR: "p"}, 30)
    assert stored(engine, PAIR, "old") == 1 and stored(engine, ADDRESS, "p") == 1
