"""The study loop's transactions on the raw driver: commit, roll back, connection reuse (their
locking is tested with the other writers in test_concurrency)."""

from __future__ import annotations

import pytest

from trainer import Collection, Rating
from trainer.storage.database import driver_transaction

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
