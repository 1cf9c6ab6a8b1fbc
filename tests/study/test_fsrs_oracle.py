"""Scheduling against py-fsrs as the outside oracle: the seeded fuzz is fsrs's own fuzz for the
same random draw, a fuzzed review lands inside fsrs's fuzz range around fsrs's own interval, and
retrievability is fsrs's."""

from __future__ import annotations

import os
import random
from datetime import timedelta

import fsrs.scheduler
import pytest
from fsrs import Card, Rating, Scheduler, State
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import NOW
from trainer.model import CardState, Memory
from trainer.settings import Settings
from trainer.study import scheduling

# The mutation run asks for fewer examples per test (benchmarks/mutation.py).
ORACLE = settings(max_examples=int(os.environ.get("TRAINER_ORACLE_EXAMPLES", "300")), deadline=None)


def fsrs_fuzz_range(days: int, maximum: int) -> tuple[int, int]:
    """fsrs's own bounds, read off its fuzz with the smallest and the largest random draw."""
    plain = Scheduler(maximum_interval=maximum)
    bounds = []
    for draw in (0.0, 1.0 - 1e-12):
        original = fsrs.scheduler.random
        fsrs.scheduler.random = lambda draw=draw: draw  # type: ignore[assignment]
        try:
            bounds.append(plain._get_fuzzed_interval(interval=timedelta(days=days)).days)
        finally:
            fsrs.scheduler.random = original
    return bounds[0], bounds[1]


@ORACLE
@given(st.integers(0, 40000), st.integers(1, 36500), st.integers(0, 2**64 - 1))
@example(days=3, maximum=36500, seed=1)  # the shortest fuzzed interval, at the low end of its range
@example(days=2, maximum=36500, seed=1)  # the longest interval left alone
@example(days=5, maximum=36500, seed=31)  # a low draw where only the first range widens the fuzz
def test_seeded_fuzz_is_fsrs_fuzz_for_the_same_draw(days: int, maximum: int, seed: int) -> None:
    ours = scheduling.SeededScheduler(maximum_interval=maximum).with_seed(seed)
    draw = random.Random(seed).random()
    original = fsrs.scheduler.random
    fsrs.scheduler.random = lambda: draw  # type: ignore[assignment]
    try:
        theirs = Scheduler(maximum_interval=maximum)._get_fuzzed_interval(interval=timedelta(days=days))
    finally:
        fsrs.scheduler.random = original
    assert ours._get_fuzzed_interval(interval=timedelta(days=days)) == theirs


@ORACLE
@given(
    stability=st.floats(0.5, 5000.0),
    difficulty=st.floats(1.0, 10.0),
    elapsed=st.integers(1, 400),
    rating=st.sampled_from([Rating.Hard, Rating.Good, Rating.Easy]),
    retention=st.floats(0.7, 0.99),
    card=st.text("abcdefghij-", min_size=1, max_size=12),
)
def test_a_fuzzed_review_lands_in_fsrs_fuzz_range(
    stability: float, difficulty: float, elapsed: int, rating: Rating, retention: float, card: str
) -> None:
    last = NOW - timedelta(days=elapsed)
    memory = Memory(
        state=CardState.REVIEW,
        stability=stability,
        difficulty=difficulty,
        due=NOW,
        last_review=last,
        reps=5,
    )
    fuzzed = Settings().updated(desired_retention=retention, enable_fuzzing=True)
    after = scheduling.review(fuzzed, memory, rating, NOW, card_id=card, learner_id=1)
    plain = Scheduler(desired_retention=retention, enable_fuzzing=False)
    fsrs_card = Card(
        state=State.Review, stability=stability, difficulty=difficulty, due=NOW, last_review=last
    )
    expected, _ = plain.review_card(fsrs_card, rating, NOW)
    assert after.stability == pytest.approx(expected.stability)
    assert after.difficulty == pytest.approx(expected.difficulty)
    unfuzzed = (expected.due - NOW).days
    low, high = fsrs_fuzz_range(unfuzzed, Settings().maximum_interval)
    assert after.due is not None
    assert low <= (after.due - NOW).days <= high, (unfuzzed, low, high, after.due - NOW)


@ORACLE
@given(st.floats(0.01, 36500.0), st.integers(0, 40000), st.floats(0.1, 0.8))
def test_retrievability_is_fsrs_retrievability(stability: float, days: int, decay: float) -> None:
    w = [*Scheduler().parameters]
    w[20] = decay
    chosen = Settings().updated(parameters=w)
    memory = Memory(state=CardState.REVIEW, stability=stability, difficulty=5.0, last_review=NOW, due=NOW)
    card = Card(state=State.Review, stability=stability, difficulty=5.0, last_review=NOW)
    now = NOW + timedelta(days=days)
    theirs = Scheduler(parameters=w).get_card_retrievability(card, now)
    assert scheduling.retrievability(chosen, memory, now) == pytest.approx(theirs, rel=1e-12)


def test_a_card_never_reviewed_has_no_retrievability() -> None:
    assert scheduling.retrievability(Settings(), Memory(), NOW) == 0.0
    half = Memory(state=CardState.REVIEW, stability=3.0, difficulty=5.0, last_review=None, due=NOW)
    assert scheduling.retrievability(Settings(), half, NOW) == 0.0
    card = Card(state=State.Review, stability=None, difficulty=5.0, last_review=NOW)
    assert Scheduler().get_card_retrievability(card, NOW) == 0


@ORACLE
@given(
    state=st.sampled_from([CardState.NEW, CardState.LEARNING, CardState.REVIEW, CardState.RELEARNING]),
    stability=st.floats(0.5, 5000.0),
    difficulty=st.floats(1.0, 10.0),
    elapsed=st.integers(0, 400),
    reps=st.integers(0, 30),
    learner=st.integers(1, 5),
    card=st.text("abcdefghij-", min_size=1, max_size=12),
)
def test_each_preview_is_what_an_answer_with_that_rating_saves(
    state: CardState, stability: float, difficulty: float, elapsed: int, reps: int, learner: int, card: str
) -> None:
    if state == CardState.NEW:
        memory = Memory()
    else:
        step = 0 if state != CardState.REVIEW else None
        last = NOW - timedelta(days=elapsed)
        memory = Memory(
            state=state,
            step=step,
            stability=stability,
            difficulty=difficulty,
            due=NOW,
            last_review=last,
            reps=reps,
        )
    chosen = Settings().updated(enable_fuzzing=True)
    previews = scheduling.previews(chosen, memory, NOW, card_id=card, learner_id=learner)
    assert [preview.rating for preview in previews] == list(Rating)
    for preview in previews:
        saved = scheduling.review(chosen, memory, preview.rating, NOW, card_id=card, learner_id=learner)
        assert preview.due == saved.due
        assert preview.interval_seconds == (preview.due - NOW).total_seconds()
