"""The rubric's rating rules, table-driven over drills of 3 to 7 core points.

The expected ratings are written out by hand from the rules in `decks/README.md` (A Again,
H Hard, G Good, E Easy), not computed, so a moved threshold changes a row."""

from __future__ import annotations

import pytest
from fsrs import Rating

from trainer.errors import TrainerError
from trainer.study.rubric import RubricAnswer, checked_indexes, coverage, suggest, suggested_rating

LETTER = {"A": Rating.Again, "H": Rating.Hard, "G": Rating.Good, "E": Rating.Easy}

# Core points only (no optional points, flags or timing): the rating for 0, 1, ... core ticked.
CORE_ONLY = {
    3: "AAHE",
    4: "AAHGE",
    5: "AAAHGE",
    6: "AAAHHGE",
    7: "AAAAHHGE",
}


@pytest.mark.parametrize(
    ("core", "ticked", "expected"),
    [(core, ticked, letter) for core, row in CORE_ONLY.items() for ticked, letter in enumerate(row)],
)
def test_core_coverage_bands(core: int, ticked: int, expected: str) -> None:
    answer = RubricAnswer(points_ticked=tuple(range(ticked)))
    suggestion = suggest(answer, (core, 0, 0))
    assert suggestion.rating == LETTER[expected]
    assert suggestion.reasons == (f"{ticked} of {core} core points",)
    assert suggested_rating(ticked, core) == LETTER[expected]


# Every core point ticked, with `optional` optional points: the rating for 0, 1, ... of them ticked.
FULL_CORE_WITH_OPTIONAL = {1: "GE", 2: "GEE", 3: "GGEE", 4: "GGEEE", 5: "GGGEEE"}


@pytest.mark.parametrize("core", [3, 5, 7])
@pytest.mark.parametrize(
    ("optional", "ticked", "expected"),
    [(n, k, letter) for n, row in FULL_CORE_WITH_OPTIONAL.items() for k, letter in enumerate(row)],
)
def test_optional_points_lift_full_core_to_easy(core: int, optional: int, ticked: int, expected: str) -> None:
    answer = RubricAnswer(points_ticked=tuple(range(core)), optional_ticked=tuple(range(ticked)))
    suggestion = suggest(answer, (core, optional, 0))
    assert suggestion.rating == LETTER[expected]
    assert suggestion.reasons == (f"{core} of {core} core points", f"{ticked} of {optional} optional points")


@pytest.mark.parametrize(("core", "ticked", "expected"), [(4, 3, "G"), (5, 3, "H"), (7, 6, "G"), (3, 0, "A")])
def test_optional_points_never_lift_an_incomplete_core(core: int, ticked: int, expected: str) -> None:
    answer = RubricAnswer(points_ticked=tuple(range(ticked)), optional_ticked=(0, 1, 2))
    assert suggest(answer, (core, 3, 0)).rating == LETTER[expected]


# (core ticked of 6, duration in seconds against a 100 s target, expected).
OVERTIME = [
    (6, 150.0, "E"),  # exactly 1.5 times the target is not over it
    (6, 150.001, "G"),
    (5, 150.001, "H"),
    (3, 400.0, "A"),
    (2, 400.0, "A"),  # never below Again
    (4, 100.0, "H"),
]


@pytest.mark.parametrize(("ticked", "seconds", "expected"), OVERTIME)
def test_an_answer_well_over_its_time_target_loses_one_step(
    ticked: int, seconds: float, expected: str
) -> None:
    answer = RubricAnswer(points_ticked=tuple(range(ticked)))
    suggestion = suggest(answer, (6, 0, 0), duration_ms=round(seconds * 1000), time_target_s=100)
    assert suggestion.rating == LETTER[expected]
    late = seconds * 1000 > 150_000
    assert (f"{round(seconds)} s against a 100 s target" in suggestion.reasons) == late
    assert (
        suggest(answer, (6, 0, 0), duration_ms=10**9, time_target_s=None).rating
        == suggest(answer, (6, 0, 0)).rating
    )


# (core ticked of 5, optional ticked of 2, flags raised of 3, expected).
FLAGS = [
    (5, 2, 0, "E"),
    (5, 2, 1, "H"),  # one flag caps Easy at Hard
    (4, 0, 1, "H"),  # caps Good at Hard
    (3, 0, 1, "H"),  # Hard stays Hard
    (1, 0, 1, "A"),  # the cap never raises
    (5, 2, 2, "A"),  # two flags are Again
    (5, 2, 3, "A"),
]


@pytest.mark.parametrize(("ticked", "optional", "flags", "expected"), FLAGS)
def test_red_flags_cap_the_rating(ticked: int, optional: int, flags: int, expected: str) -> None:
    texts = ["accuracy as the headline", "leaks the label", "tests on train"]
    answer = RubricAnswer(
        points_ticked=tuple(range(ticked)),
        optional_ticked=tuple(range(optional)),
        flags_raised=tuple(range(flags)),
    )
    suggestion = suggest(answer, (5, 2, 3), flag_texts=texts)
    assert suggestion.rating == LETTER[expected]
    assert [r for r in suggestion.reasons if r.startswith("red flag: ")] == [
        f"red flag: {text}" for text in texts[:flags]
    ]


def test_overtime_then_flag_apply_in_order_and_explain_themselves() -> None:
    answer = RubricAnswer(points_ticked=(0, 1, 2, 3), optional_ticked=(0,), flags_raised=(1,))
    suggestion = suggest(answer, (4, 1, 2), flag_texts=["a"], duration_ms=200_000, time_target_s=60)
    assert suggestion.rating == Rating.Hard
    assert suggestion.explanation() == (
        "Hard: 4 of 4 core points; 1 of 1 optional points; 200 s against a 60 s target; red flag: #2"
    )
    assert suggestion.to_dict() == {"rating": 2, "name": "Hard", "reasons": list(suggestion.reasons)}


def test_a_one_point_rubric_is_all_or_nothing() -> None:
    assert suggest(RubricAnswer(points_ticked=(0,)), (1, 0, 0)).rating == Rating.Easy
    assert suggest(RubricAnswer(), (1, 0, 0)).rating == Rating.Again
    assert coverage(1, 1) == 1.0 and coverage(0, 1) == 0.0


def test_the_time_reason_states_the_answer_time_in_seconds() -> None:
    answer = RubricAnswer(points_ticked=(0, 1, 2))
    late = suggest(answer, (3, 0, 0), duration_ms=1_000_000, time_target_s=60)
    assert late.reasons == ("3 of 3 core points", "1000 s against a 60 s target")


def test_bad_rubrics_and_indexes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^a rubric needs at least one core point$"):
        suggest(RubricAnswer(), (0, 0, 0))
    with pytest.raises(ValueError, match=r"^a rubric needs at least one point$"):
        coverage(0, 0)
    with pytest.raises(ValueError, match=r"^a rubric needs at least one point$"):
        coverage(1, 0)
    with pytest.raises(ValueError, match=r"^ticked must be between 0 and 3$"):
        coverage(4, 3)
    with pytest.raises(ValueError, match=r"^ticked must be between 0 and 3$"):
        coverage(-1, 3)
    assert coverage(0, 4) == 0 and coverage(3, 4) == 0.75 and coverage(4, 4) == 1
    assert checked_indexes([2, 0, 2], 3, "points") == (0, 2)
    assert checked_indexes(None, 0, "points") == ()
    with pytest.raises(TrainerError, match="points must be indexes from 0 to 2"):
        checked_indexes([3], 3, "points")
    with pytest.raises(TrainerError, match="points must be indexes from 0 to 2"):
        checked_indexes([-1], 3, "points")
    with pytest.raises(TrainerError, match="red flags: this card has none"):
        checked_indexes([0], 0, "red flags")
