"""Every formula in `trainer.insights.forecast` against py-fsrs's `Scheduler`, over random
parameters and memory states (fsrs is the outside oracle; its private formulas are its own)."""

from __future__ import annotations

import os
from datetime import timedelta

import numpy as np
import pytest
from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, STABILITY_MIN, UPPER_BOUNDS_PARAMETERS
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import NOW
from trainer.insights import forecast

# The mutation run asks for fewer examples per test (benchmarks/mutation.py).
ORACLE = settings(max_examples=int(os.environ.get("TRAINER_ORACLE_EXAMPLES", "300")), deadline=None)

parameters = st.tuples(
    *(
        st.floats(low, high, allow_nan=False, allow_infinity=False)
        for low, high in zip(LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)
    )
)
stabilities = st.floats(0.01, 36500.0)
difficulties = st.floats(1.0, 10.0)
recalls = st.floats(0.0, 1.0)
ratings = st.sampled_from([Rating.Again, Rating.Hard, Rating.Good, Rating.Easy])


def close(ours: float, theirs: float) -> None:
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)


@ORACLE
@given(parameters, stabilities, st.integers(0, 40000))
def test_retrievability_matches_fsrs(w: tuple[float, ...], stability: float, days: int) -> None:
    card = Card(state=State.Review, stability=stability, difficulty=5.0, last_review=NOW)
    theirs = Scheduler(parameters=w).get_card_retrievability(card, NOW + timedelta(days=days))
    ours = forecast.retrievability(np.array([stability]), np.array([float(days)]), w)
    close(float(ours[0]), theirs)


def test_retrievability_of_an_unstudied_card_is_zero() -> None:
    w = Scheduler().parameters
    ours = forecast.retrievability(np.array([np.nan, 2.0]), np.array([3.0, -5.0]), w)
    assert ours[0] == 0.0 and ours[1] == 1.0
    # A zero stability divides by zero (and 0/0 at no time elapsed): 0, with no warning raised.
    assert list(forecast.retrievability(np.array([0.0, 0.0]), np.array([3.0, 0.0]), w)) == [0.0, 0.0]


@ORACLE
@given(parameters, ratings)
def test_initial_state_matches_fsrs(w: tuple[float, ...], rating: Rating) -> None:
    scheduler = Scheduler(parameters=w)
    stability, difficulty = forecast.initial_state(int(rating), w)
    close(stability, scheduler._initial_stability(rating=rating))
    close(difficulty, scheduler._initial_difficulty(rating=rating, clamp=True))


@ORACLE
@given(parameters, difficulties, ratings)
def test_next_difficulty_matches_fsrs(w: tuple[float, ...], difficulty: float, rating: Rating) -> None:
    theirs = Scheduler(parameters=w)._next_difficulty(difficulty=difficulty, rating=rating)
    close(float(forecast.next_difficulty(np.array([difficulty]), int(rating), w)[0]), theirs)


@ORACLE
@given(parameters, stabilities, difficulties, recalls)
def test_recall_stability_matches_fsrs(
    w: tuple[float, ...], stability: float, difficulty: float, r: float
) -> None:
    scheduler = Scheduler(parameters=w)
    theirs = scheduler._next_stability(
        difficulty=difficulty, stability=stability, retrievability=r, rating=Rating.Good
    )
    ours = forecast.recall_stability(np.array([stability]), np.array([difficulty]), np.array([r]), w)
    close(float(ours[0]), theirs)


@ORACLE
@given(parameters, stabilities, difficulties, recalls)
def test_forget_stability_matches_fsrs(
    w: tuple[float, ...], stability: float, difficulty: float, r: float
) -> None:
    scheduler = Scheduler(parameters=w)
    theirs = scheduler._next_stability(
        difficulty=difficulty, stability=stability, retrievability=r, rating=Rating.Again
    )
    ours = forecast.forget_stability(np.array([stability]), np.array([difficulty]), np.array([r]), w)
    close(float(ours[0]), theirs)


def test_the_stability_floor_is_fsrs_own() -> None:
    assert forecast.STABILITY_MIN == STABILITY_MIN
    w = list(Scheduler().parameters)
    w[0] = STABILITY_MIN
    assert forecast.initial_state(1, w)[0] == STABILITY_MIN
