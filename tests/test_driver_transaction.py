"""The study loop's transactions on the raw driver: commit, roll back, locking, connection reuse."""

from __future__ import annotations

import fcntl
from collections.abc import Callable

import pytest

from trainer import Collection, Rating
from trainer.database import driver_transaction, writer_lock_path

SET_REPS = "UPDATE card_states SET reps = :reps WHERE card_id = :card"


class Boom(Exception):
    pass


def test_an_exception_rolls_back_and_the_connection_serves_the_next_transaction(col: Collection) -> None:
    with pytest.raises(Boom), driver_transaction(col.engine, write=True) as driver:
        driver.execute(SET_REPS, {"reps": 99, "card": "a-fact"})
        raise Boom
    assert col.card("a-fact").memory.reps == 0
    for _ in range(3):  # the pool hands the same connection back; it must not be mid-transaction
        with driver_transaction(col.engine, write=False) as driver:
            assert driver.one("SELECT reps FROM card_states WHERE card_id = :card", {"card": "a-fact"}) == (
                0,
            )
    with driver_transaction(col.engine, write=True) as driver:
        driver.execute(SET_REPS, {"reps": 7, "card": "a-fact"})
    assert col.card("a-fact").memory.reps == 7


def test_a_refused_answer_changes_nothing_and_the_next_one_lands(col: Collection) -> None:
    with pytest.raises(Exception, match="no card"):
        col.answer("no-such-card", Rating.Good)
    col.answer("a-fact", Rating.Good, request_id="r1")
    assert [entry.card_id for entry in col.history()] == ["a-fact"]


def test_a_write_holds_the_lock_file_and_a_read_does_not(
    sqlite_url: str, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(sqlite_url)
    path = writer_lock_path(col.engine)
    assert path is not None
    with open(path, "a+b") as other:  # another open file description, as another process has
        with driver_transaction(col.engine, write=True), pytest.raises(BlockingIOError):
            fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with driver_transaction(col.engine, write=False):
            fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(other.fileno(), fcntl.LOCK_UN)
