"""The suggested rating of a drill answer: each documented rule, as a table of cases."""

from __future__ import annotations

import pytest
from fsrs import Rating

from trainer.study.rubric import RubricAnswer, suggest, suggested_rating

FLAGS = ("Leads with accuracy", "Random split of time-ordered data")

# (core ticked, core total, optional ticked, optional total, flags raised, duration s, target s, expected)
CASES = [
    # 1. core coverage drives it
    (0, 5, 0, 0, (), None, None, Rating.Again),
    (2, 5, 0, 0, (), None, None, Rating.Again),
    (3, 5, 0, 0, (), None, None, Rating.Hard),
    (2, 4, 0, 0, (), None, None, Rating.Hard),
    (3, 4, 0, 0, (), None, None, Rating.Good),
    (4, 5, 2, 2, (), None, None, Rating.Good),
    # 2. optional points lift Good to Easy (every core point alone without optional points)
    (5, 5, 0, 0, (), None, None, Rating.Easy),
    (5, 5, 0, 2, (), None, None, Rating.Good),
    (5, 5, 1, 2, (), None, None, Rating.Easy),
    (5, 5, 1, 3, (), None, None, Rating.Good),
    (5, 5, 2, 3, (), None, None, Rating.Easy),
    # 3. well over the time target loses a step, never below Again
    (5, 5, 0, 0, (), 90, 60, Rating.Easy),
    (5, 5, 0, 0, (), 91, 60, Rating.Good),
    (3, 4, 0, 0, (), 200, 60, Rating.Hard),
    (1, 4, 0, 0, (), 200, 60, Rating.Again),
    # 4. one red flag caps it at Hard; two or more make it Again
    (5, 5, 2, 2, (0,), None, None, Rating.Hard),
    (2, 5, 0, 0, (0,), None, None, Rating.Again),
    (5, 5, 2, 2, (0, 1), None, None, Rating.Again),
    (5, 5, 0, 0, (1,), 200, 60, Rating.Hard),
    (3, 4, 0, 0, (1,), 200, 60, Rating.Hard),
]


@pytest.mark.parametrize(
    ("core", "total", "extra", "optional", "flags", "seconds", "target", "expected"), CASES
)
def test_the_documented_rules(
    core: int,
    total: int,
    extra: int,
    optional: int,
    flags: tuple[int, ...],
    seconds: int | None,
    target: int | None,
    expected: Rating,
) -> None:
    answer = RubricAnswer(tuple(range(core)), tuple(range(extra)), flags)
    duration = seconds * 1000 if seconds is not None else None
    got = suggest(
        answer, (total, optional, len(FLAGS)), flag_texts=FLAGS, duration_ms=duration, time_target_s=target
    )
    assert got.rating == expected


def test_a_red_flag_never_suggests_above_hard() -> None:
    for core in range(6):
        for extra in range(3):
            answer = RubricAnswer(tuple(range(core)), tuple(range(extra)), (0,))
            assert suggest(answer, (5, 2, 2), flag_texts=FLAGS).rating <= Rating.Hard


def test_the_explanation_names_coverage_flags_and_time() -> None:
    answer = RubricAnswer((0, 1, 2), (), (0,))
    got = suggest(answer, (5, 1, 2), flag_texts=FLAGS, duration_ms=100_000, time_target_s=60)
    assert got.explanation() == (
        "Again: 3 of 5 core points; 100 s against a 60 s target; red flag: Leads with accuracy"
    )
    assert got.to_dict() == {"rating": 1, "name": "Again", "reasons": list(got.reasons)}
    full = suggest(RubricAnswer((0, 1), (0,), ()), (2, 2, 0))
    assert full.explanation() == "Easy: 2 of 2 core points; 1 of 2 optional points"


def test_core_coverage_alone_matches_the_full_rules() -> None:
    assert [suggested_rating(n, 4).name for n in range(5)] == ["Again", "Again", "Hard", "Good", "Easy"]


def test_a_rubric_needs_a_core_point() -> None:
    with pytest.raises(ValueError):
        suggest(RubricAnswer(), (0, 0, 0))
