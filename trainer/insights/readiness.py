"""Interview readiness: the predicted share of cards recalled on the interview date.

Readiness is the mean, over live unsuspended cards, of each card's FSRS retrievability at the
start of the learner's interview day (0 for a card never studied). Planning simulates days of
reviews with the FSRS-6 formulas on arrays (`trainer.insights.forecast`) to find how many reviews a day
reach a target, and in the final days brings forward the cards predicted below target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trainer.clock import day_bounds_of, learner_day
from trainer.insights import forecast
from trainer.insights.stats import MEMORY_COLUMNS, memory_frame, retrievability_at

if TYPE_CHECKING:
    from trainer.collection import Collection

DEFAULT_TARGET = 0.9
FINAL_DAYS = 7
PLAN_SAMPLE = 500
DAY = 86400.0


@dataclass(frozen=True)
class Readiness:
    """Predicted recall on the interview date, overall and per domain, and the plan to a target."""

    interview_date: date
    moment: datetime
    days_left: int
    overall: float
    per_domain: dict[str, float] = field(default_factory=dict)
    cards: int = 0
    target: float = DEFAULT_TARGET
    reviews_per_day: int | None = None

    @property
    def final_days(self) -> bool:
        """Whether the interview is FINAL_DAYS days away or less: interview mode is open."""
        return self.days_left <= FINAL_DAYS

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "interview_date": self.interview_date.isoformat(),
            "moment": self.moment.isoformat(),
            "days_left": self.days_left,
            "overall": self.overall,
            "per_domain": dict(self.per_domain),
            "cards": self.cards,
            "target": self.target,
            "reviews_per_day": self.reviews_per_day,
        }


def interview_moment(col: Collection, interview_date: date) -> datetime:
    """When readiness is measured: the start of the learner's interview day (UTC)."""
    return day_bounds_of(interview_date, col.settings.zone, col.settings.rollover_hour)[0]


def recall_on(
    col: Collection, when: datetime, columns: Sequence[str] = tuple(MEMORY_COLUMNS)
) -> pd.DataFrame:
    """Per live unsuspended card: of card_id, deck, stability, difficulty and last_review
    those in `columns` (stability and last_review at least), and `r`, the predicted recall at
    `when` (0 for cards never studied)."""
    cards = memory_frame(col, columns)
    cards["r"] = retrievability_at(cards, col.settings.parameters, when)
    return cards


def readiness(
    col: Collection, now: datetime, *, interview_date: date | None = None, target: float = DEFAULT_TARGET
) -> Readiness | None:
    """Readiness for `interview_date` (default: the learner's setting), or None if no date is set
    or the date is before the learner's today (see `interview_passed`)."""
    when_date = interview_date or col.settings.interview_date
    if when_date is None:
        return None
    today = learner_day(now, col.settings.zone, col.settings.rollover_hour)
    days_left = (when_date - today).days
    if days_left < 0:
        return None
    moment = interview_moment(col, when_date)
    cards = recall_on(col, moment, ["deck", "stability", "difficulty", "last_review"])
    per_domain = {str(k): float(v) for k, v in cards.groupby("deck")["r"].mean().items()}
    needed = reviews_per_day_needed(cards, now, moment, col.settings.parameters, target)
    return Readiness(
        interview_date=when_date,
        moment=moment,
        days_left=days_left,
        overall=float(cards["r"].mean()) if len(cards) else 0.0,
        per_domain=per_domain,
        cards=len(cards),
        target=target,
        reviews_per_day=needed,
    )


def interview_passed(col: Collection, now: datetime) -> date | None:
    """The learner's interview date if it is before their today (readiness then has nothing to
    predict and interview mode is closed), else None."""
    when_date = col.settings.interview_date
    if when_date is None or when_date >= learner_day(now, col.settings.zone, col.settings.rollover_hour):
        return None
    return when_date


@dataclass
class MemoryArrays:
    """Many cards' memories as arrays, in days since a fixed start (nan stability = never studied)."""

    stability: np.ndarray
    difficulty: np.ndarray
    last: np.ndarray

    @classmethod
    def from_cards(cls, cards: pd.DataFrame, start: datetime) -> MemoryArrays:
        """Arrays from `recall_on` / `memory_frame` rows, times in days since `start`."""
        last = (cards["last_review"] - pd.Timestamp(start)).dt.total_seconds().to_numpy() / DAY
        return cls(
            cards["stability"].to_numpy(dtype=float).copy(),
            cards["difficulty"].to_numpy(dtype=float).copy(),
            np.nan_to_num(last, nan=0.0),
        )

    def recall_at(self, day: float, w: Sequence[float]) -> np.ndarray:
        """Predicted recall of every card at `day`."""
        return forecast.retrievability(self.stability, day - self.last, w)


class _Plan:
    """Cards' memories as a plan changes them, with the parts of the FSRS formulas of a review
    that change only when a card is reviewed (those of its stability and difficulty) kept per
    card. A card never studied counts as first answered Good (certain recall, the first memory)."""

    def __init__(self, memory: MemoryArrays, horizon: float, w: Sequence[float]):
        self.stability = memory.stability.copy()
        self.difficulty = memory.difficulty.copy()
        self.last = memory.last.copy()
        self.horizon, self.w = horizon, w
        self.decay = -w[20]
        self.factor = 0.9 ** (1 / self.decay) - 1
        self.s0, self.d0 = forecast.initial_state(forecast.GOOD, w)
        self.fresh = np.isnan(self.stability)
        count = len(self.stability)
        self.base, self.grow, self.lapse, self.short, self.next_difficulty = (
            np.empty(count) for _ in range(5)
        )
        self.at_horizon = self.recall(self.stability, horizon - self.last)
        self._keep(np.arange(count))

    def recall(self, stability: np.ndarray, elapsed: np.ndarray | float) -> np.ndarray:
        """`forecast.retrievability`, for arrays and numbers already checked."""
        r = np.power(1 + self.factor * np.maximum(elapsed, 0.0) / stability, self.decay)
        return np.where(np.isfinite(r), r, 0.0)

    def _keep(self, cards: np.ndarray) -> None:
        """Work out the kept parts of `forecast.recall_stability`, `forget_stability` and
        `next_difficulty` (the same operations in the same order) for `cards`."""
        w, fresh = self.w, self.fresh[cards]
        s = np.where(fresh, self.s0, self.stability[cards])
        d = np.where(fresh, self.d0, self.difficulty[cards])
        self.base[cards] = s
        self.grow[cards] = np.exp(w[8]) * (11 - d) * np.power(s, -w[9])
        self.lapse[cards] = w[11] * np.power(d, -w[12]) * (np.power(s + 1, w[13]) - 1)
        self.short[cards] = s / np.exp(w[17] * w[18])
        self.next_difficulty[cards] = np.where(fresh, self.d0, forecast.next_difficulty(d, forecast.GOOD, w))

    def expected(self, day: float) -> tuple[np.ndarray, float]:
        """Every card's expected recall at the horizon after a review at `day` (recalled, Good,
        with its recall then; forgotten, Again, otherwise), and the days from `day` to it."""
        w = self.w
        r = self.recall(self.stability, day - self.last)
        if self.fresh.any():
            r = np.where(self.fresh, 1.0, r)
        good = np.maximum(self.base * (1 + self.grow * (np.exp((1 - r) * w[10]) - 1)), forecast.STABILITY_MIN)
        again = np.minimum(self.lapse * np.exp((1 - r) * w[14]), self.short)
        again = np.maximum(again, forecast.STABILITY_MIN)
        ahead = max(self.horizon - day, 1e-6)
        mix = r * self.recall(good, ahead)
        mix += (1 - r) * self.recall(again, ahead)
        return mix, ahead

    def review(self, cards: np.ndarray, day: float, expected: np.ndarray, ahead: float) -> None:
        """Apply one expected review at `day` to `cards`: each keeps the stability whose recall
        at the horizon is its `expected` recall there."""
        self.stability[cards] = stability_for_recall(expected, ahead, self.w)
        self.difficulty[cards] = self.next_difficulty[cards]
        self.last[cards] = day
        self.fresh[cards] = False
        self.at_horizon[cards] = self.recall(self.stability[cards], self.horizon - self.last[cards])
        self._keep(cards)


def review_gain(memory: MemoryArrays, day: float, horizon: float, w: Sequence[float]) -> np.ndarray:
    """For every card, how much a review at `day` is expected to raise its recall at `horizon`."""
    with np.errstate(invalid="ignore", divide="ignore"):
        plan = _Plan(memory, horizon, w)
        return plan.expected(day)[0] - plan.at_horizon


def stability_for_recall(r: np.ndarray, elapsed: float, w: Sequence[float]) -> np.ndarray:
    """The stability whose predicted recall after `elapsed` days is `r`."""
    decay = -w[20]
    factor = 0.9 ** (1 / decay) - 1
    r = np.clip(r, 1e-6, 1 - 1e-9)
    return np.maximum(factor * elapsed / (np.power(r, 1 / decay) - 1), forecast.STABILITY_MIN)


def plan_recall(memory: MemoryArrays, days: int, per_day: int, horizon: float, w: Sequence[float]) -> float:
    """Expected mean recall at `horizon` after `per_day` reviews on each of `days` days, each
    day spent on the cards a review helps most there (`review_gain`). A reviewed card keeps the
    stability whose recall at `horizon` equals its expected recall there."""
    if not len(memory.stability):
        return 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        plan = _Plan(memory, horizon, w)
        for day in range(days if per_day > 0 else 0):
            expected, ahead = plan.expected(float(day))
            count = min(per_day, len(expected))
            picked = np.argpartition(-(expected - plan.at_horizon), count - 1)[:count]
            plan.review(picked, float(day), expected[picked], ahead)
    return float(plan.at_horizon.mean())


def reviews_per_day_needed(
    cards: pd.DataFrame, now: datetime, moment: datetime, w: Sequence[float], target: float
) -> int | None:
    """The fewest reviews a day, from now to `moment`, that bring expected readiness to `target`
    (0 if it is already there); None when no number of reviews reaches it in time.

    Beyond PLAN_SAMPLE cards the plan runs on an evenly spaced sample of them and the answer
    is scaled up, which keeps it fast for any collection (readiness is a mean over cards).
    """
    if cards.empty:
        return 0
    if len(cards) > PLAN_SAMPLE:
        sample = cards.iloc[np.linspace(0, len(cards) - 1, PLAN_SAMPLE).astype(int)]
        needed = reviews_per_day_needed(sample, now, moment, w, target)
        return None if needed is None else int(np.ceil(needed * len(cards) / PLAN_SAMPLE))
    memory = MemoryArrays.from_cards(cards, now)
    horizon = (moment - now).total_seconds() / DAY
    days = int(np.floor(horizon))
    if plan_recall(memory, 0, 0, horizon, w) >= target:
        return 0
    low, high = 1, len(cards)
    if days < 1 or plan_recall(memory, days, high, horizon, w) < target:
        return None
    while low < high:
        middle = (low + high) // 2
        if plan_recall(memory, days, middle, horizon, w) >= target:
            high = middle
        else:
            low = middle + 1
    return low


def bring_forward(
    col: Collection, now: datetime, *, target: float = DEFAULT_TARGET, limit: int = 50
) -> list[str]:
    """In the final FINAL_DAYS days before the interview, the ids of studied cards whose
    predicted recall on the date is below `target`, those a review now helps most first
    (`review_gain`); otherwise none."""
    settings = col.settings
    if settings.interview_date is None:
        return []
    today = learner_day(now, settings.zone, settings.rollover_hour)
    if not 0 <= (settings.interview_date - today).days <= FINAL_DAYS:
        return []
    moment = interview_moment(col, settings.interview_date)
    cards = recall_on(col, moment)
    cards = cards[cards["last_review"].notna()].reset_index(drop=True)
    horizon = (moment - now).total_seconds() / DAY
    cards["gain"] = review_gain(MemoryArrays.from_cards(cards, now), 0.0, horizon, col.settings.parameters)
    below = cards[cards["r"] < target].sort_values("gain", ascending=False, kind="stable")
    return [str(c) for c in below["card_id"].head(limit)]
