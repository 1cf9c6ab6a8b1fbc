"""Workload against desired retention: reviews a day over the coming year at each retention,
simulated from the learner's parameters and cards, as Anki's simulator shows.

Each card reviewed is recalled with the probability FSRS predicts at that moment (a seeded draw)
and rescheduled for when its recall falls to the desired retention; cards not yet studied come
in at the learner's new-cards-a-day limit. All retentions are simulated side by side on one
evenly spaced sample of the cards, and the counts scaled to the whole collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trainer.insights import forecast
from trainer.insights.readiness import recall_on

if TYPE_CHECKING:
    from trainer.collection import Collection

RETENTIONS = tuple(round(0.80 + 0.01 * k, 2) for k in range(18))
HORIZON_DAYS = 365
SAMPLE = 400
SEED = 20


@dataclass(frozen=True)
class Workload:
    """Mean reviews a day over the horizon, per desired retention (same order as `retentions`)."""

    retentions: tuple[float, ...]
    reviews_per_day: tuple[float, ...]
    cards: int
    horizon_days: int


def _interval(stability: np.ndarray, retention: np.ndarray, w: Sequence[float]) -> np.ndarray:
    decay = -w[20]
    factor = 0.9 ** (1 / decay) - 1
    return np.maximum(np.round(stability / factor * (np.power(retention, 1 / decay) - 1)), 1.0)


def simulate_workload(
    cards: pd.DataFrame,
    w: Sequence[float],
    now: datetime,
    new_per_day: int,
    *,
    retentions: Sequence[float] = RETENTIONS,
    horizon: int = HORIZON_DAYS,
    seed: int = SEED,
) -> tuple[float, ...]:
    """Mean reviews a day over `horizon` days for each of `retentions`, for `cards` (rows of
    `readiness.recall_on`: stability, difficulty and last_review, nan/NaT when never studied)."""
    total = len(cards)
    if total == 0:
        return tuple(0.0 for _ in retentions)
    if total > SAMPLE:
        cards = cards.iloc[np.linspace(0, total - 1, SAMPLE).astype(int)]
    scale = total / len(cards)
    rng = np.random.default_rng(seed)
    levels = np.asarray(retentions, dtype=float)[:, None]
    # Every (retention, card) pair is one element of flat arrays, retention by retention.
    stability = np.tile(cards["stability"].to_numpy(dtype=float), len(levels))
    difficulty = np.tile(cards["difficulty"].to_numpy(dtype=float), len(levels))
    elapsed = (pd.Timestamp(now) - cards["last_review"]).dt.total_seconds().to_numpy() / 86400
    last = np.tile(-np.nan_to_num(elapsed, nan=0.0), len(levels))
    card_of = np.tile(np.arange(len(cards)), len(levels))
    level_of = np.repeat(np.arange(len(levels)), len(cards))
    retention_of = np.repeat(levels[:, 0], len(cards))
    studied = ~np.isnan(stability)
    due = np.where(studied, last + _interval(np.nan_to_num(stability, nan=1.0), retention_of, w), np.inf)
    waiting = int((~studied[: len(cards)]).sum())
    queue_place = np.tile(np.cumsum(~studied[: len(cards)]), len(levels))
    new_rate = new_per_day / scale
    introduced = 0.0
    reviews = np.zeros(len(levels))
    s0, d0 = forecast.initial_state(forecast.GOOD, w)
    for day in range(horizon):
        before = int(introduced)
        introduced = min(introduced + new_rate, waiting)
        if int(introduced) > before:
            fresh = np.flatnonzero(~studied & (queue_place <= int(introduced)))
            stability[fresh], difficulty[fresh], last[fresh] = s0, d0, day
            studied[fresh] = True
            due[fresh] = day + _interval(stability[fresh], retention_of[fresh], w)
            reviews += np.bincount(level_of[fresh], minlength=len(levels))
        now_due = np.flatnonzero(due <= day)
        if not len(now_due):
            continue
        s, d = stability[now_due], difficulty[now_due]
        r = forecast.retrievability(s, day - last[now_due], w)
        # One draw per card and day shared by every retention, so the levels differ by their
        # schedules rather than by chance.
        recalled = rng.random(len(cards))[card_of[now_due]] < r
        stability[now_due] = np.where(
            recalled, forecast.recall_stability(s, d, r, w), forecast.forget_stability(s, d, r, w)
        )
        difficulty[now_due] = np.where(
            recalled,
            forecast.next_difficulty(d, forecast.GOOD, w),
            forecast.next_difficulty(d, forecast.AGAIN, w),
        )
        last[now_due] = day
        due[now_due] = day + _interval(stability[now_due], retention_of[now_due], w)
        reviews += np.bincount(level_of[now_due], minlength=len(levels))
    return tuple(float(v) for v in reviews * scale / horizon)


def workload(col: Collection, now: datetime) -> Workload:
    """The learner's simulated reviews a day at each desired retention in RETENTIONS."""
    cards = recall_on(col, now)
    settings = col.settings
    per_day = simulate_workload(cards, settings.parameters, now, settings.new_per_day)
    return Workload(RETENTIONS, per_day, len(cards), HORIZON_DAYS)
