"""Synthetic review histories from a known memory model, for tests and benchmarks.

A simulated learner's memory follows FSRS-6 with given parameters; each review is recalled
with the model's retrievability (Good, sometimes Hard or Easy) or forgotten (Again), and the
next review comes after the interval for 90% retention, jittered so elapsed times vary.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from trainer.insights import forecast


def simulate_log(
    w: Sequence[float], *, cards: int, days: int, start: datetime, rng: np.random.Generator
) -> pd.DataFrame:
    """A review log (card_id, rating, reviewed_at) of `cards` cards introduced over the first
    half of `days` days and reviewed until the end, sorted by card then time."""
    records: list[tuple[str, int, datetime]] = []
    for index in range(cards):
        card_id = f"sim-{index}"
        day = float(rng.integers(0, max(1, days // 2)))
        rating = int(rng.choice([1, 2, 3, 4], p=[0.2, 0.1, 0.6, 0.1]))
        stability, difficulty = forecast.initial_state(rating, w)
        records.append((card_id, rating, start + timedelta(days=day)))
        while True:
            # At 90% retention the FSRS interval equals the stability.
            elapsed = max(1.0, round(stability * float(rng.uniform(0.5, 2.0))))
            if day + elapsed >= days:
                break
            day += elapsed
            r = float(forecast.retrievability(np.array([stability]), np.array([elapsed]), w)[0])
            if rng.random() < r:
                rating = int(rng.choice([2, 3, 4], p=[0.1, 0.8, 0.1]))
                grown = forecast.recall_stability(
                    np.array([stability]), np.array([difficulty]), np.array([r]), w
                )
                bonus = w[15] if rating == 2 else w[16] if rating == 4 else 1.0
                stability = float(stability + (grown[0] - stability) * bonus)
            else:
                rating = 1
                stability = float(
                    forecast.forget_stability(
                        np.array([stability]), np.array([difficulty]), np.array([r]), w
                    )[0]
                )
            difficulty = float(forecast.next_difficulty(np.array([difficulty]), rating, w)[0])
            records.append((card_id, rating, start + timedelta(days=day)))
    frame = pd.DataFrame(records, columns=["card_id", "rating", "reviewed_at"])
    frame["reviewed_at"] = pd.to_datetime(frame["reviewed_at"], utc=True)
    return frame
