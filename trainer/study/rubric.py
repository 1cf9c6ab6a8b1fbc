"""Turn the rubric points a learner ticked on a drill into a suggested rating."""

from __future__ import annotations

from fsrs import Rating

# Coverage below each bound suggests the rating beside it; full coverage suggests Easy.
THRESHOLDS: tuple[tuple[float, Rating], ...] = (
    (0.5, Rating.Again),
    (0.75, Rating.Hard),
    (1.0, Rating.Good),
)


def coverage(ticked: int, total: int) -> float:
    """The share of points covered, from 0 to 1."""
    if total <= 0:
        raise ValueError("a rubric needs at least one point")
    if not 0 <= ticked <= total:
        raise ValueError(f"ticked must be between 0 and {total}")
    return ticked / total


def suggested_rating(ticked: int, total: int) -> Rating:
    """The rating the coverage suggests: under half Again, under three quarters Hard,
    anything short of all Good, and every point Easy."""
    share = coverage(ticked, total)
    for bound, rating in THRESHOLDS:
        if share < bound:
            return rating
    return Rating.Easy
