"""Fit FSRS-6 parameters to the learner's own review log with fsrs-rs (no torch).

The log is split in time: parameters are fitted on the earlier reviews and judged on the later
ones with the srs-benchmark metrics (log loss and RMSE over bins). A fit that predicts the
held-out reviews better than the current parameters is refitted on the whole log and adopted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from fsrs import Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS
from fsrs_rs_python import FSRS, FSRSItem, FSRSReview

from trainer.errors import TrainerError
from trainer.insights.stats import log_frame

if TYPE_CHECKING:
    from trainer.collection import Collection

MIN_TRAIN_ITEMS = 400
MIN_TEST_ITEMS = 100
TEST_SHARE = 0.2
Progress = Callable[[str, int, int], None]


class NotEnoughHistory(TrainerError):
    """The review log is too short to fit parameters reliably."""


@dataclass(frozen=True)
class Metrics:
    """How well parameters predict held-out reviews (lower is better for both)."""

    log_loss: float
    rmse_bins: float


@dataclass(frozen=True)
class OptimizeResult:
    """What a fit found and whether it was adopted."""

    reviews: int
    train_items: int
    test_items: int
    default: Metrics
    current: Metrics
    fitted: Metrics
    parameters: tuple[float, ...]
    adopted: bool

    @property
    def message(self) -> str:
        """One line for the learner."""
        verdict = "adopted" if self.adopted else "not adopted (no better than the current parameters)"
        return (
            f"Fitted on {self.train_items} earlier reviews, tested on {self.test_items} later ones: "
            f"log loss {self.current.log_loss:.4f} -> {self.fitted.log_loss:.4f}, "
            f"RMSE(bins) {self.current.rmse_bins:.4f} -> {self.fitted.rmse_bins:.4f}; {verdict}."
        )


def _quiet(_stage: str, _done: int, _total: int) -> None:
    return None


def learner_days(times: pd.Series, zone: str, rollover_hour: int) -> np.ndarray:
    """The learner's day number (days since 1970-01-01, local, after the rollover) of each time."""
    local = times.dt.tz_convert(zone).dt.tz_localize(None) - pd.Timedelta(hours=rollover_hour)
    return (local.dt.floor("D") - pd.Timestamp("1970-01-01")).dt.days.to_numpy()


def build_items(log: pd.DataFrame, days: np.ndarray) -> tuple[list[FSRSItem], np.ndarray]:
    """Training items from a log sorted by card then time: one per review that comes a day or
    more after the card's previous one, holding the card's history up to it. Also returns each
    item's review day, for splitting in time."""
    cards = log["card_id"].to_numpy()
    ratings = log["rating"].to_numpy(dtype=int)
    items: list[FSRSItem] = []
    item_days: list[int] = []
    start = 0
    for end in range(1, len(log) + 1):
        if end < len(log) and cards[end] == cards[start]:
            continue
        history: list[FSRSReview] = []
        for k in range(start, end):
            delta = int(days[k] - days[k - 1]) if k > start else 0
            history.append(FSRSReview(int(ratings[k]), delta))
            if k > start and delta > 0:
                items.append(FSRSItem(list(history)))
                item_days.append(int(days[k]))
        start = end
    return items, np.asarray(item_days, dtype=int)


def valid_parameters(parameters: Sequence[float]) -> tuple[float, ...]:
    """`parameters` clipped to fsrs.Scheduler's bounds and checked by it."""
    clipped = tuple(
        float(min(max(p, low), high))
        for p, low, high in zip(parameters, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)
    )
    Scheduler(parameters=clipped)
    return clipped


def evaluate(parameters: Sequence[float], items: Sequence[FSRSItem]) -> Metrics:
    """Log loss and RMSE(bins) of `parameters` on `items`."""
    result = FSRS(list(parameters)).evaluate(list(items))
    return Metrics(float(result.log_loss), float(result.rmse_bins))


def fit_items(
    items: list[FSRSItem],
    item_days: np.ndarray,
    current: Sequence[float],
    progress: Progress = _quiet,
) -> tuple[OptimizeResult, tuple[float, ...]]:
    """Fit on the earlier items, compare with `current` and the defaults on the later ones,
    and when the fit is better, refit on every item. Returns the result and the parameters
    to use (the refit, or `current` unchanged). Raises NotEnoughHistory when too short."""
    order = np.argsort(item_days, kind="stable")
    cut = int(len(order) * (1 - TEST_SHARE))
    cutoff_day = item_days[order[cut]] if len(order) else 0
    train = [items[i] for i in order if item_days[i] < cutoff_day]
    test = [items[i] for i in order if item_days[i] >= cutoff_day]
    if len(train) < MIN_TRAIN_ITEMS or len(test) < MIN_TEST_ITEMS:
        raise NotEnoughHistory(
            f"not enough review history to fit parameters: {len(items)} reviews a day or more after "
            f"the previous one; at least {MIN_TRAIN_ITEMS + MIN_TEST_ITEMS} are needed, spread over "
            "enough days to hold the last fifth back for testing"
        )
    progress("fitting on earlier reviews", 1, 4)
    fitted = valid_parameters(FSRS(list(DEFAULT_PARAMETERS)).compute_parameters(train))
    progress("testing on later reviews", 2, 4)
    scores = {
        "default": evaluate(DEFAULT_PARAMETERS, test),
        "current": evaluate(current, test),
        "fitted": evaluate(fitted, test),
    }
    adopted = scores["fitted"].log_loss < scores["current"].log_loss
    chosen = tuple(float(p) for p in current)
    if adopted:
        progress("refitting on all reviews", 3, 4)
        chosen = valid_parameters(FSRS(list(DEFAULT_PARAMETERS)).compute_parameters(items))
    result = OptimizeResult(
        reviews=len(items),
        train_items=len(train),
        test_items=len(test),
        default=scores["default"],
        current=scores["current"],
        fitted=scores["fitted"],
        parameters=chosen,
        adopted=adopted,
    )
    progress("done", 4, 4)
    return result, chosen


def optimize(
    col: Collection, now: datetime | None = None, *, adopt: bool = True, progress: Progress = _quiet
) -> OptimizeResult:
    """Fit FSRS-6 parameters to the learner's review log; when the fit beats the current
    parameters on held-out later reviews and `adopt` is true, save it in the settings.
    `progress(stage, done, total)` is called as the work advances."""
    progress("reading the review log", 0, 4)
    log = log_frame(col)
    log = log.sort_values(["card_id", "id"], kind="stable").reset_index(drop=True)
    settings = col.settings
    days = learner_days(log["reviewed_at"], settings.timezone, settings.rollover_hour)
    items, item_days = build_items(log, days)
    result, chosen = fit_items(items, item_days, settings.parameters, progress)
    if result.adopted and adopt:
        col.configure(now=now, parameters=list(chosen))
    return result
