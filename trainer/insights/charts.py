"""Progress pictures as PNG bytes, drawn by matplotlib (Agg, no pyplot state), for any front end.

Every chart renders for an empty collection too, with a short note in place of data.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import date2num
from matplotlib.figure import Figure

from trainer.clock import learner_day
from trainer.insights.stats import card_frame, log_frame
from trainer.insights.weakness import domain_concept_retrievability
from trainer.model import Queue

if TYPE_CHECKING:
    from trainer.collection import Collection

WIDTH, HEIGHT, DPI = 8.0, 3.2, 100


def _figure(height: float = HEIGHT) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    return figure, figure.add_subplot()


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _empty(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes, color="#666")
    axes.set_axis_off()


def _local_days(col: Collection, times: pd.Series) -> pd.Series:
    settings = col.settings
    local = times.dt.tz_convert(settings.timezone).dt.tz_localize(None)
    return (local - pd.Timedelta(hours=settings.rollover_hour)).dt.floor("D")


def review_heatmap_png(col: Collection, now: datetime, weeks: int = 52) -> bytes:
    """A calendar heatmap of reviews per day over the last `weeks` weeks (columns are weeks,
    rows weekdays), ending with the learner's current day."""
    figure, axes = _figure(2.4)
    today = pd.Timestamp(learner_day(now, col.settings.zone, col.settings.rollover_hour))
    first = today - pd.Timedelta(days=7 * weeks - 1 + today.weekday())
    log = log_frame(col, since=now - timedelta(days=7 * weeks + 7), columns=["reviewed_at"])
    counts = _local_days(col, log["reviewed_at"]).value_counts() if not log.empty else pd.Series(dtype=int)
    days = pd.date_range(first, today, freq="D")
    offsets = np.arange(len(days))
    grid = np.full((7, weeks + 1), np.nan)
    grid[days.day_of_week, offsets // 7] = counts.reindex(days, fill_value=0).to_numpy(dtype=float)
    image = axes.imshow(np.ma.masked_invalid(grid), aspect="auto", cmap="Greens", vmin=0)
    axes.set_yticks(range(7), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    axes.set_xticks([])
    axes.set_title(f"Reviews per day, last {weeks} weeks ({len(log)} reviews)")
    figure.colorbar(image, ax=axes, shrink=0.8)
    return _png(figure)


def due_forecast_png(col: Collection, now: datetime, days: int = 30) -> bytes:
    """Cards falling due on each of the next `days` learner days (overdue cards count today)."""
    figure, axes = _figure()
    cards = card_frame(col)
    cards = cards[cards["queue"].isin([int(Queue.LEARNING), int(Queue.REVIEW)]) & cards["due"].notna()]
    if cards.empty:
        _empty(axes, "Nothing scheduled yet: study some cards first.")
        return _png(figure)
    today = pd.Timestamp(learner_day(now, col.settings.zone, col.settings.rollover_hour))
    offsets = (_local_days(col, cards["due"]) - today).dt.days.clip(lower=0)
    per_day = offsets[offsets < days].value_counts().reindex(range(days), fill_value=0)
    axes.bar(per_day.index, per_day.to_numpy(), color="#3b7dd8")
    axes.set_xlabel("days from today")
    axes.set_ylabel("cards due")
    axes.set_title(f"Due forecast, next {days} days")
    return _png(figure)


def retention_by_domain_png(col: Collection, now: datetime, weeks: int = 12) -> bytes:
    """Weekly true retention (pass rate of reviews of cards in review state) per domain."""
    figure, axes = _figure()
    log = log_frame(
        col, since=now - timedelta(weeks=weeks), columns=["deck", "reviewed_at", "rating"], in_review=True
    )
    if log.empty:
        _empty(axes, "No reviews of mature cards in this period yet.")
        return _png(figure)
    log = log.assign(week=_local_days(col, log["reviewed_at"]).dt.to_period("W").dt.start_time)
    log = log.assign(passed=log["rating"] != 1)
    weekly = log.groupby(["deck", "week"])["passed"].mean().unstack("deck")
    for deck in weekly.columns:
        axes.plot(weekly.index, weekly[deck], marker="o", label=str(deck))
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("retention")
    axes.set_title("Retention by domain, per week")
    axes.legend(fontsize="small", loc="lower left")
    figure.autofmt_xdate()
    return _png(figure)


def domain_concept_heatmap_png(col: Collection, now: datetime) -> bytes:
    """Mean retrievability now per (domain, concept) cell; blank where a cell has no studied card."""
    grid = domain_concept_retrievability(col, now)
    figure, axes = _figure(max(HEIGHT, 0.4 * len(grid) + 1.5))
    if grid.empty:
        _empty(axes, "No studied cards yet.")
        return _png(figure)
    values = grid.to_numpy(dtype=float)
    image = axes.imshow(np.ma.masked_invalid(values), cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    if values.size <= 200:
        for (row, column), value in np.ndenumerate(values):
            if not np.isnan(value):
                axes.text(column, row, f"{100 * value:.0f}", ha="center", va="center", fontsize="small")
    axes.set_yticks(range(len(grid.index)), [str(d) for d in grid.index])
    axes.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns], rotation=60, ha="right")
    axes.set_title("Retrievability now, domain x concept")
    figure.colorbar(image, ax=axes, shrink=0.8)
    return _png(figure)


def forgetting_curve_png(col: Collection, card_id: str, now: datetime) -> bytes:
    """The card's predicted recall over time: from each review to the next, and from the last
    one to twice its current stability ahead; reviews are marked. Raises NotFound."""
    figure, axes = _figure()
    history = col.history(card_id)
    memory = col.card(card_id).memory
    points = [(h.reviewed_at, h.after) for h in history if h.after.stability is not None]
    if not points or memory.stability is None:
        _empty(axes, "Not studied yet.")
        return _png(figure)
    decay = -col.settings.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    end = max(now, points[-1][0]) + timedelta(days=max(2 * memory.stability, 1))
    for (start, after), following in zip(points, [*points[1:], (end, None)], strict=True):
        days = np.linspace(0, max((following[0] - start).total_seconds() / 86400, 1e-3), 60)
        recall = np.power(1 + factor * days / (after.stability or 1.0), decay)
        axes.plot(date2num(start) + days, recall, color="#3b7dd8")
        axes.axvline(float(date2num(start)), color="#bbb", linewidth=0.8)
    axes.axvline(float(date2num(now)), color="#d83b3b", linestyle="--", label="now")
    axes.xaxis_date()
    axes.axhline(col.settings.desired_retention, color="#888", linestyle=":", label="desired retention")
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("predicted recall")
    axes.set_title(f"Forgetting curve: {card_id}")
    axes.legend(fontsize="small", loc="lower left")
    figure.autofmt_xdate()
    return _png(figure)
