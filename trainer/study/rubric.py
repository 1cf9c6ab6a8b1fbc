"""The suggested rating of a drill answer, from what the learner ticked on its rubric.

The rules, in the order they apply (documented for deck authors in `decks/README.md`):

1. Core coverage drives it: under half the core points is Again, under three quarters Hard,
   anything short of every core point Good, and every core point Good as well.
2. Optional points lift Good to Easy: every core point and at least half of the optional points
   (every core point alone, on a drill without optional points).
3. An answer well over its time target (more than 1.5 times it) loses one step, never below Again.
4. Red flags cap it: one red flag caps it at Hard, two or more make it Again.

The learner may always rate otherwise; this is a suggestion with its reasons.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fsrs import Rating

from trainer.errors import TrainerError

# Core coverage below each bound suggests the rating beside it; full coverage reaches Good.
CORE_BANDS: tuple[tuple[float, Rating], ...] = (
    (0.5, Rating.Again),
    (0.75, Rating.Hard),
)
OPTIONAL_SHARE_FOR_EASY = 0.5
OVERTIME_FACTOR = 1.5
ONE_FLAG_CAP = Rating.Hard
MAX_TYPED_ANSWER = 20_000


@dataclass(frozen=True)
class RubricAnswer:
    """What a learner marked on one drill answer: indexes into the variant's three lists."""

    points_ticked: tuple[int, ...] = ()
    optional_ticked: tuple[int, ...] = ()
    flags_raised: tuple[int, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    """A suggested rating and the reasons for it, in the order the rules applied."""

    rating: Rating
    reasons: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.rating.name

    def explanation(self) -> str:
        """One line for the page: "Hard: 3 of 5 core points; red flag: accuracy as the headline"."""
        return f"{self.name}: " + "; ".join(self.reasons)

    def to_dict(self) -> dict[str, object]:
        return {"rating": int(self.rating), "name": self.name, "reasons": list(self.reasons)}


def checked_indexes(values: Iterable[int] | None, size: int, what: str) -> tuple[int, ...]:
    """`values` as sorted unique indexes into a list of `size`; TrainerError naming `what` if any
    is out of range (or if there is nothing to index at all)."""
    chosen = tuple(sorted({int(v) for v in values or ()}))
    if chosen and size == 0:
        raise TrainerError(f"{what}: this card has none")
    if any(not 0 <= i < size for i in chosen):
        raise TrainerError(f"{what} must be indexes from 0 to {size - 1}")
    return chosen


def suggest(
    answer: RubricAnswer,
    sizes: tuple[int, int, int],
    *,
    flag_texts: Sequence[str] = (),
    duration_ms: int | None = None,
    time_target_s: int | None = None,
) -> Suggestion:
    """The suggested rating for `answer` against a rubric with `sizes` (core, optional, red
    flags), by the rules in this module's docstring. Indexes must already be in range.
    """
    core, optional, _ = sizes
    if core <= 0:
        raise ValueError("a rubric needs at least one core point")
    covered = len(answer.points_ticked)
    reasons = [f"{covered} of {core} core points"]
    rating = Rating.Good
    for bound, banded in CORE_BANDS:
        if covered / core < bound:
            rating = banded
            break
    if covered == core:
        lifted = len(answer.optional_ticked) >= math.ceil(optional * OPTIONAL_SHARE_FOR_EASY)
        if optional:
            reasons.append(f"{len(answer.optional_ticked)} of {optional} optional points")
        if lifted:
            rating = Rating.Easy
    if duration_ms is not None and time_target_s and duration_ms > OVERTIME_FACTOR * time_target_s * 1000:
        rating = Rating(max(int(Rating.Again), int(rating) - 1))
        reasons.append(f"{round(duration_ms / 1000)} s against a {time_target_s} s target")
    flags = answer.flags_raised
    for index in flags:
        text = flag_texts[index] if index < len(flag_texts) else f"#{index + 1}"
        reasons.append(f"red flag: {text}")
    if len(flags) >= 2:
        rating = Rating.Again
    elif flags:
        rating = Rating(min(int(rating), int(ONE_FLAG_CAP)))
    return Suggestion(rating, tuple(reasons))


def coverage(ticked: int, total: int) -> float:
    """The share of core points covered, from 0 to 1."""
    if total <= 0:
        raise ValueError("a rubric needs at least one point")
    if not 0 <= ticked <= total:
        raise ValueError(f"ticked must be between 0 and {total}")
    return ticked / total


def suggested_rating(ticked: int, total: int) -> Rating:
    """The rating core coverage alone suggests (no optional points, flags or timing)."""
    return suggest(RubricAnswer(points_ticked=tuple(range(ticked))), (total, 0, 0)).rating
