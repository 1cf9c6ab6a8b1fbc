"""FSRS-6 memory formulas over numpy arrays, for forecasts and simulations of many cards at once.

The formulas are py-fsrs's (`fsrs.Scheduler`) for reviews a day or more apart; a test checks
them against it. Times are in days.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MIN_DIFFICULTY = 1.0
MAX_DIFFICULTY = 10.0
STABILITY_MIN = 0.001
GOOD = 3
AGAIN = 1


def retrievability(stability: np.ndarray, elapsed_days: np.ndarray | float, w: Sequence[float]) -> np.ndarray:
    """Predicted recall after `elapsed_days` (one number for every card, or one each) for cards
    of `stability` (0 where stability is nan)."""
    decay = -w[20]
    factor = 0.9 ** (1 / decay) - 1
    s = np.asarray(stability, dtype=float)
    t = np.maximum(np.asarray(elapsed_days, dtype=float), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.power(1 + factor * t / s, decay)
    return np.where(np.isfinite(r), r, 0.0)


def initial_state(rating: int, w: Sequence[float]) -> tuple[float, float]:
    """(stability, difficulty) after a new card's first answer with `rating`."""
    stability = max(w[rating - 1], STABILITY_MIN)
    difficulty = min(max(w[4] - np.exp(w[5] * (rating - 1)) + 1, MIN_DIFFICULTY), MAX_DIFFICULTY)
    return float(stability), float(difficulty)


def next_difficulty(difficulty: np.ndarray, rating: int, w: Sequence[float]) -> np.ndarray:
    """Difficulty after answering with `rating` (linear damping and mean reversion)."""
    easy_initial = w[4] - np.exp(w[5] * 3) + 1
    delta = -(w[6] * (rating - 3))
    damped = difficulty + (10.0 - difficulty) * delta / 9.0
    return np.clip(w[7] * easy_initial + (1 - w[7]) * damped, MIN_DIFFICULTY, MAX_DIFFICULTY)


def recall_stability(
    stability: np.ndarray, difficulty: np.ndarray, r: np.ndarray, w: Sequence[float]
) -> np.ndarray:
    """Stability after a successful (Good) review at retrievability `r`."""
    grown = stability * (
        1 + np.exp(w[8]) * (11 - difficulty) * np.power(stability, -w[9]) * (np.exp((1 - r) * w[10]) - 1)
    )
    return np.maximum(grown, STABILITY_MIN)


def forget_stability(
    stability: np.ndarray, difficulty: np.ndarray, r: np.ndarray, w: Sequence[float]
) -> np.ndarray:
    """Stability after a lapse (Again) at retrievability `r`."""
    long_term = (
        w[11] * np.power(difficulty, -w[12]) * (np.power(stability + 1, w[13]) - 1) * np.exp((1 - r) * w[14])
    )
    short_term = stability / np.exp(w[17] * w[18])
    return np.maximum(np.minimum(long_term, short_term), STABILITY_MIN)
