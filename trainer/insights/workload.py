"""Workload against desired retention: reviews a day over the coming year at each retention,
simulated from the learner's parameters and cards, as Anki's simulator shows.

Each card reviewed is recalled with the probability FSRS predicts at that moment (a seeded draw)
and rescheduled for when its recall falls to the desired retention; cards not yet studied come
in at the learner's new-cards-a-day limit. All retentions are simulated side by side on one
evenly spaced sample of the cards, and the counts scaled to the whole collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trainer.insights import forecast
from trainer.insights.stats import memory_frame

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


@dataclass
class _Pairs:
    """Every (retention, card) pair of a simulation as flat arrays, retention by retention: its
    memory, last review and next due day (days from now), its card and retention level."""

    stability: np.ndarray
    difficulty: np.ndarray
    last: np.ndarray
    due: np.ndarray
    card_of: np.ndarray
    level_of: np.ndarray
    retention_of: np.ndarray

    def copy(self) -> _Pairs:
        """Pairs with arrays of their own, equal to these."""
        return _Pairs(*(np.array(getattr(self, f.name)) for f in fields(self)))

    def review(self, pairs: np.ndarray, day: np.ndarray | int, draws: np.ndarray, w: Sequence[float]) -> None:
        """Review `pairs` on `day`, in place: each is recalled when its draw is below its recall,
        and rescheduled for when its recall falls to its retention."""
        s, d = self.stability[pairs], self.difficulty[pairs]
        r = forecast.retrievability(s, day - self.last[pairs], w)
        recalled = draws < r
        self.stability[pairs] = np.where(
            recalled, forecast.recall_stability(s, d, r, w), forecast.forget_stability(s, d, r, w)
        )
        self.difficulty[pairs] = np.where(
            recalled,
            forecast.next_difficulty(d, forecast.GOOD, w),
            forecast.next_difficulty(d, forecast.AGAIN, w),
        )
        self.last[pairs] = day
        self.due[pairs] = day + _interval(self.stability[pairs], self.retention_of[pairs], w)


def _introduction_days(waiting: int, new_rate: float, horizon: int) -> np.ndarray:
    """The day each of `waiting` cards never studied comes in, in queue order, at `new_rate` a
    day (fractions carried over); `horizon` for those that do not come in within it."""
    introduced, counts = 0.0, []
    for _day in range(horizon):
        introduced = min(introduced + new_rate, waiting)
        counts.append(int(introduced))
    return np.searchsorted(np.asarray(counts, dtype=float), np.arange(1, waiting + 1), side="left")


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
    `stats.memory_frame`: stability, difficulty and last_review, nan/NaT when never studied)."""
    total = len(cards)
    if total == 0:
        return tuple(0.0 for _ in retentions)
    if total > SAMPLE:
        cards = cards.iloc[np.linspace(0, total - 1, SAMPLE).astype(int)]
    count, levels, scale = len(cards), len(retentions), total / len(cards)
    stability = np.tile(cards["stability"].to_numpy(dtype=float), levels)
    elapsed = (pd.Timestamp(now) - cards["last_review"]).dt.total_seconds().to_numpy() / 86400
    pairs = _Pairs(
        stability,
        np.tile(cards["difficulty"].to_numpy(dtype=float), levels),
        np.tile(-np.nan_to_num(elapsed, nan=0.0), levels),
        np.full(len(stability), np.inf),
        np.tile(np.arange(count), levels),
        np.repeat(np.arange(levels), count),
        np.repeat(np.asarray(retentions, dtype=float), count),
    )
    studied = ~np.isnan(stability)
    pairs.due[studied] = pairs.last[studied] + _interval(stability[studied], pairs.retention_of[studied], w)
    # Cards never studied come in at the new-card limit, each answered once as it comes in; no
    # pair is due before it comes in, so each one's first memory can be set from the start.
    fresh = np.flatnonzero(~studied)
    day_in = np.tile(_introduction_days(int((~studied[:count]).sum()), new_per_day / scale, horizon), levels)
    fresh = fresh[day_in < horizon]
    day_in = day_in[day_in < horizon]
    pairs.stability[fresh], pairs.difficulty[fresh] = forecast.initial_state(forecast.GOOD, w)
    pairs.last[fresh] = day_in
    pairs.due[fresh] = day_in + _interval(pairs.stability[fresh], pairs.retention_of[fresh], w)
    reviews = np.bincount(pairs.level_of[fresh], minlength=levels).astype(float)
    # One draw per card and day shared by every retention, so the levels differ by their
    # schedules rather than by chance: a day's draws are taken when any pair is due that day.
    by_rounds = _review_by_rounds(pairs.copy(), w, horizon, seed)
    reviews += by_rounds if by_rounds is not None else _review_day_by_day(pairs, w, horizon, seed)
    return tuple(float(v) for v in reviews * scale / horizon)


def _review_day_by_day(pairs: _Pairs, w: Sequence[float], horizon: int, seed: int) -> np.ndarray:
    """Reviews per retention level over `horizon` days, reviewing each day the pairs due."""
    rng = np.random.default_rng(seed)
    count, levels = int(pairs.card_of.max()) + 1, int(pairs.level_of.max()) + 1
    reviews = np.zeros(levels)
    for day in range(horizon):
        now_due = np.flatnonzero(pairs.due <= day)
        if len(now_due):
            pairs.review(now_due, day, rng.random(count)[pairs.card_of[now_due]], w)
            reviews += np.bincount(pairs.level_of[now_due], minlength=levels)
    return reviews


def _review_by_rounds(pairs: _Pairs, w: Sequence[float], horizon: int, seed: int) -> np.ndarray | None:
    """`_review_day_by_day`'s reviews per level, worked out review by review: each round reviews
    every pair still due within the horizon on its own due day. Pairs differ only by the draws,
    and those are taken every day as long as some pair is due every day; None when a day has
    none (then the draws of the days after it come one day later)."""
    count, levels = int(pairs.card_of.max()) + 1, int(pairs.level_of.max()) + 1
    draws = np.random.default_rng(seed).random((horizon, count))
    reviews = np.zeros(levels)
    reviewed_on = np.zeros(horizon, dtype=bool)
    active = np.flatnonzero(pairs.due <= horizon - 1)
    while len(active):
        day = np.maximum(np.ceil(pairs.due[active]), 0.0)
        days = day.astype(int)
        pairs.review(active, day, draws[days, pairs.card_of[active]], w)
        reviewed_on[days] = True
        reviews += np.bincount(pairs.level_of[active], minlength=levels)
        active = active[pairs.due[active] <= horizon - 1]
    return reviews if reviewed_on.all() else None


def workload(col: Collection, now: datetime) -> Workload:
    """The learner's simulated reviews a day at each desired retention in RETENTIONS."""
    cards = memory_frame(col, ["stability", "difficulty", "last_review"])
    settings = col.settings
    per_day = simulate_workload(cards, settings.parameters, now, settings.new_per_day)
    return Workload(RETENTIONS, per_day, len(cards), HORIZON_DAYS)
