"""Progress charts as Vega-Lite specifications (JSON-ready dicts) with a text alternative, for
any front end that can draw Vega-Lite; the web UI draws them with the Vega renderer it serves.

Specs carry data and encodings only: colours, fonts and sizes come from the front end's theme,
so the same chart follows light and dark mode. A chart with nothing to plot has no spec, only
a sentence saying why (`Chart.empty`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trainer.insights.stats import deck_days_frame, reviews_per_day, scheduled_due_times
from trainer.insights.weakness import domain_concept_retrievability
from trainer.insights.workload import workload

if TYPE_CHECKING:
    from trainer.collection import Collection

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MARK = "#e8710a"
# A calendar day without reviews; the page replaces it with its own line colour (light or dark).
NO_REVIEWS_COLOUR = "#d0d7de"


@dataclass(frozen=True)
class Chart:
    """One chart: a title, a one-sentence description, the Vega-Lite `spec` (None when there is
    nothing to plot, with `empty` saying why) and its values as a table (`columns`, `rows`)."""

    name: str
    title: str
    description: str
    spec: dict[str, Any] | None
    empty: str = ""
    columns: tuple[str, ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "spec": self.spec,
            "empty": self.empty,
            "columns": list(self.columns),
            "rows": [list(row) for row in self.rows],
        }


def _spec(description: str, values: list[dict[str, Any]], **parts: Any) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "description": description,
        "width": "container",
        "data": {"values": values},
        **parts,
    }


def _today(col: Collection, now: datetime) -> pd.Timestamp:
    return pd.Timestamp(col.day(now).date)


def review_calendar(col: Collection, now: datetime, weeks: int = 52) -> Chart:
    """Reviews per learner-day over the last `weeks` weeks as a calendar heatmap (columns are
    weeks, labelled by month; rows are weekdays), ending today."""
    today = _today(col, now)
    first = today - pd.Timedelta(days=7 * weeks - 1 + today.weekday())
    counts = reviews_per_day(col, first.date(), now)
    counts = counts[counts > 0]
    title = f"Reviews per day, last {weeks} weeks"
    if counts.empty:
        return Chart("calendar", title, title, None, "No reviews in the last year yet.")
    days = pd.date_range(first, today, freq="D")
    per_day = counts.reindex(days, fill_value=0).astype(int)
    dates = days.to_numpy().astype("datetime64[D]")
    weekdays = days.day_of_week.to_numpy()
    texts = np.datetime_as_string(dates).tolist()
    mondays = np.datetime_as_string(dates - weekdays.astype("timedelta64[D]")).tolist()
    cells = zip(texts, mondays, weekdays.tolist(), per_day.tolist(), strict=True)
    values = [{"day": d, "week": m, "weekday": WEEKDAYS[k], "reviews": n} for d, m, k, n in cells]
    total = int(per_day.sum())
    description = f"{title}: {total} reviews on {int((per_day > 0).sum())} days."
    # A week is labelled with its month when it holds the month's first Monday; on a narrow
    # chart only every third month is.
    month_label = (
        "substring(datum.value, 8, 10) <= '07' && (width > 480 || "
        "(toNumber(substring(datum.value, 5, 7)) - 1) % 3 == 0)"
        " ? utcFormat(toDate(datum.value), '%b') : ''"
    )
    spec = _spec(
        description,
        values,
        height=120,
        mark={"type": "rect", "cornerRadius": 1.5},
        encoding={
            "x": {
                "field": "week",
                "type": "ordinal",
                "title": None,
                "axis": {"labelExpr": month_label, "labelAngle": 0, "ticks": False, "domain": False},
            },
            "y": {"field": "weekday", "type": "ordinal", "title": None, "sort": list(WEEKDAYS)},
            # A day without reviews is drawn in the neutral colour (the page's line colour,
            # set by the front end), so the green scale, and its legend, start at one review.
            "color": {
                "field": "reviews",
                "type": "quantitative",
                "title": "Reviews (grey: none)",
                "scale": {"scheme": "greens", "domainMin": 1},
                "legend": {"orient": "bottom", "direction": "horizontal", "gradientLength": 120},
                "condition": {"test": "datum.reviews == 0", "value": NO_REVIEWS_COLOUR},
            },
            "tooltip": [
                {"field": "day", "type": "temporal", "title": "Day", "format": "%a %d %b %Y"},
                {"field": "reviews", "type": "quantitative", "title": "Reviews"},
            ],
        },
    )
    busiest = per_day.sort_values(ascending=False).head(10)
    rows = [(d.strftime("%Y-%m-%d"), int(n)) for d, n in busiest.items() if n > 0]
    return Chart("calendar", title, description, spec, "", ("Busiest day", "Reviews"), rows)


def due_forecast(col: Collection, now: datetime, days: int = 30) -> Chart:
    """Cards falling due on each of the next `days` learner days (overdue cards count today)."""
    title = f"Due in the next {days} days"
    due = scheduled_due_times(col)
    if due.empty:
        return Chart("forecast", title, title, None, "Nothing scheduled yet: study some cards first.")
    settings = col.settings
    local = due.dt.tz_convert(settings.timezone).dt.tz_localize(None)
    due_days = (local - pd.Timedelta(hours=settings.rollover_hour)).dt.floor("D")
    offsets = (due_days - _today(col, now)).dt.days.clip(lower=0)
    per_day = offsets[offsets < days].value_counts().reindex(range(days), fill_value=0)
    values = [{"day": int(d), "cards": int(n)} for d, n in per_day.items()]
    description = f"{title}: {int(per_day.sum())} cards, {int(per_day.iloc[0])} of them today."
    spec = _spec(
        description,
        values,
        height=160,
        mark={"type": "bar", "tooltip": True},
        encoding={
            "x": {
                "field": "day",
                "type": "ordinal",
                "title": "Days from today",
                "axis": {"labelAngle": 0, "labelExpr": "datum.value % 5 == 0 ? datum.label : ''"},
            },
            "y": {"field": "cards", "type": "quantitative", "title": "Cards due"},
            "tooltip": [
                {"field": "day", "type": "ordinal", "title": "Days from today"},
                {"field": "cards", "type": "quantitative", "title": "Cards due"},
            ],
        },
    )
    rows = [(int(d), int(n)) for d, n in per_day.items() if n > 0]
    return Chart("forecast", title, description, spec, "", ("Days from today", "Cards due"), rows)


def retention_by_domain(
    col: Collection, now: datetime, weeks: int = 12, titles: dict[str, str] | None = None
) -> Chart:
    """Weekly true retention (pass rate of reviews of cards in review state) per domain."""
    title = f"Retention by domain, per week (last {weeks} weeks)"
    today = _today(col, now)
    first = today - pd.Timedelta(days=7 * weeks - 1)
    frame = deck_days_frame(col, first.date(), now)
    frame = frame[frame["graded"] > 0]
    if frame.empty:
        return Chart("retention", title, title, None, "No reviews of mature cards in the last weeks yet.")
    frame = frame.assign(week=frame["day"] - pd.to_timedelta(frame["day"].dt.day_of_week, unit="D"))
    weekly = frame.groupby(["deck", "week"], as_index=False)[["graded", "passed"]].sum()
    weekly["retention"] = weekly["passed"] / weekly["graded"]
    names = titles or {}
    values = [
        {
            "domain": names.get(str(r.deck), str(r.deck)),
            "week": r.week.strftime("%Y-%m-%d"),
            "retention": round(float(r.retention), 4),
            "reviews": int(r.graded),
        }
        for r in weekly.itertuples()
    ]
    overall = float(weekly["passed"].sum() / weekly["graded"].sum())
    description = f"{title}: {100 * overall:.0f}% overall over {int(weekly['graded'].sum())} graded reviews."
    encoding: dict[str, Any] = {
        "x": {
            "field": "week",
            "type": "temporal",
            "title": "Week",
            "axis": {"format": "%d %b", "tickCount": 6},
        },
        "y": {
            "field": "retention",
            "type": "quantitative",
            "title": "Retention",
            "axis": {"format": "%"},
            "scale": {"zero": False},
        },
        "color": {
            "field": "domain",
            "type": "nominal",
            "title": "Domain",
            # Ten colours repeat from the eleventh domain on: two domains would share a line colour.
            "scale": {"scheme": "tableau10" if len(set(weekly["deck"])) <= 10 else "tableau20"},
            "legend": {"orient": "bottom", "columns": 2},
        },
        "tooltip": [
            {"field": "domain", "title": "Domain"},
            {"field": "week", "type": "temporal", "title": "Week of", "format": "%d %b %Y"},
            {"field": "retention", "type": "quantitative", "title": "Retention", "format": ".0%"},
            {"field": "reviews", "type": "quantitative", "title": "Graded reviews"},
        ],
    }
    # On a phone the legend's two columns cut long domain names short: one column.
    narrow_color = {**encoding["color"], "legend": {"orient": "bottom", "columns": 1, "labelLimit": 320}}
    spec = _spec(
        description,
        values,
        height=200,
        mark={"type": "line", "point": True},
        encoding=encoding,
        usermeta={"narrow": {"encoding": {**encoding, "color": narrow_color}}},
    )
    per_domain = weekly.groupby("deck")[["graded", "passed"]].sum()
    rows = [
        (names.get(str(d), str(d)), f"{100 * r.passed / r.graded:.0f}%", int(r.graded))
        for d, r in per_domain.iterrows()
    ]
    return Chart("retention", title, description, spec, "", ("Domain", "Retention", "Graded reviews"), rows)


def concept_recall(col: Collection, now: datetime, titles: dict[str, str] | None = None) -> Chart:
    """Mean retrievability now per (domain, concept) cell, for cells with a studied card."""
    title = "Predicted recall now, by domain and concept"
    grid = domain_concept_retrievability(col, now)
    if grid.empty:
        return Chart("concepts", title, title, None, "No studied cards yet.")
    names = titles or {}
    cells = grid.stack().dropna()
    values = [
        {"domain": names.get(str(d), str(d)), "concept": str(c), "recall": round(float(v), 4)}
        for (d, c), v in cells.items()
    ]
    weakest = cells.sort_values().head(10)
    domain, concept = weakest.index[0]
    description = (
        f"{title}: {len(cells)} cells; the weakest is {concept} in {names.get(str(domain), domain)}."
    )
    encoding: dict[str, Any] = {
        "x": {"field": "concept", "type": "nominal", "title": None, "axis": {"labelAngle": -50}},
        "y": {"field": "domain", "type": "nominal", "title": None},
        "color": {
            "field": "recall",
            "type": "quantitative",
            "title": "Recall",
            "scale": {"scheme": "redyellowgreen", "domain": [0, 1]},
            "legend": {"format": "%"},
        },
        "tooltip": [
            {"field": "domain", "title": "Domain"},
            {"field": "concept", "title": "Concept"},
            {"field": "recall", "type": "quantitative", "title": "Predicted recall", "format": ".0%"},
        ],
    }
    # On a phone, dozens of concept names side by side overlap: concepts go down the side, one
    # row each, and the few domains across, with the legend below.
    narrow = {
        "height": {"step": 16},
        "encoding": {
            **encoding,
            "x": {"field": "domain", "type": "nominal", "title": None, "axis": {"labelAngle": -60}},
            "y": {"field": "concept", "type": "nominal", "title": None},
            "color": {**encoding["color"], "legend": {"format": "%", "orient": "bottom"}},
        },
    }
    spec = _spec(description, values, height={"step": 22}, mark={"type": "rect"}, encoding=encoding)
    spec["usermeta"] = {"narrow": narrow}
    rows = [(names.get(str(d), str(d)), str(c), f"{100 * v:.0f}%") for (d, c), v in weakest.items()]
    return Chart("concepts", title, description, spec, "", ("Domain", "Concept", "Recall"), rows)


def workload_by_retention(col: Collection, now: datetime) -> Chart:
    """Simulated reviews a day over the next year at each desired retention from 0.80 to 0.97,
    with the learner's current setting marked."""
    title = "Workload against desired retention"
    result = workload(col, now)
    if result.cards == 0:
        return Chart("workload", title, title, None, "No cards yet.")
    current = col.settings.desired_retention
    values = [
        {"retention": r, "reviews": round(v, 1), "current": abs(r - current) < 0.005}
        for r, v in zip(result.retentions, result.reviews_per_day, strict=True)
    ]
    low, high = result.reviews_per_day[0], result.reviews_per_day[-1]
    description = (
        f"{title}: about {low:.0f} reviews a day at 80% retention and {high:.0f} at 97%, "
        f"simulated over {result.horizon_days} days for {result.cards} cards; "
        f"the diamond marks your setting ({100 * current:.0f}%)."
    )
    line = {"mark": {"type": "line", "point": True}}
    marker = {
        "transform": [{"filter": "datum.current"}],
        "mark": {"type": "point", "size": 160, "filled": True, "shape": "diamond", "color": MARK},
    }
    spec = _spec(
        description,
        values,
        height=200,
        encoding={
            "x": {
                "field": "retention",
                "type": "quantitative",
                "title": "Desired retention",
                "scale": {"domain": [0.8, 0.97]},
                "axis": {"format": "%", "values": [0.8, 0.85, 0.9, 0.95]},
            },
            "y": {"field": "reviews", "type": "quantitative", "title": "Reviews a day"},
            "tooltip": [
                {"field": "retention", "type": "quantitative", "title": "Desired retention", "format": ".0%"},
                {"field": "reviews", "type": "quantitative", "title": "Reviews a day", "format": ".0f"},
            ],
        },
        layer=[line, marker],
    )
    rows = [
        (f"{100 * r:.0f}%", f"{v:.0f}")
        for r, v in zip(result.retentions, result.reviews_per_day, strict=True)
    ]
    return Chart("workload", title, description, spec, "", ("Desired retention", "Reviews a day"), rows)


def stats_charts(col: Collection, now: datetime, titles: dict[str, str] | None = None) -> dict[str, Chart]:
    """Every chart of the Stats page, by name."""
    return {
        "concepts": concept_recall(col, now, titles),
        "calendar": review_calendar(col, now),
        "forecast": due_forecast(col, now),
        "retention": retention_by_domain(col, now, titles=titles),
        "workload": workload_by_retention(col, now),
    }


def forgetting_curve(col: Collection, card_id: str, now: datetime) -> Chart:
    """The card's predicted recall over time: from each review to the next, and from the last
    one to twice its current stability ahead. Raises NotFound for an unknown card."""
    title = "Forgetting curve"
    history = col.history(card_id)
    memory = col.card(card_id).memory
    points = [(h.reviewed_at, h.after) for h in history if h.after.stability is not None]
    if not points or memory.stability is None:
        return Chart("curve", title, title, None, "Not studied yet.")
    decay = -col.settings.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    end = max(now, points[-1][0]) + timedelta(days=max(2 * memory.stability, 1))
    values = []
    for index, ((start, after), following) in enumerate(zip(points, [*points[1:], (end, None)], strict=True)):
        span = max((following[0] - start).total_seconds() / 86400, 1e-3)
        for days in np.linspace(0, span, 40):
            recall = (1 + factor * days / (after.stability or 1.0)) ** decay
            moment = start + timedelta(days=float(days))
            values.append(
                {"time": moment.isoformat(), "recall": round(float(recall), 4), "review": index + 1}
            )
    elapsed = max((now - points[-1][0]).total_seconds(), 0) / 86400
    recall_now = (1 + factor * elapsed / memory.stability) ** decay
    description = f"{title}: {len(points)} reviews; predicted recall now {100 * recall_now:.0f}%."
    spec = _spec(
        description,
        values,
        height=200,
        layer=[
            {
                "mark": {"type": "line"},
                "encoding": {
                    "x": {"field": "time", "type": "temporal", "title": None},
                    "y": {
                        "field": "recall",
                        "type": "quantitative",
                        "title": "Predicted recall",
                        "axis": {"format": "%"},
                        "scale": {"domain": [0, 1]},
                    },
                    "detail": {"field": "review"},
                    "tooltip": [
                        {"field": "time", "type": "temporal", "title": "When", "format": "%d %b %Y %H:%M"},
                        {
                            "field": "recall",
                            "type": "quantitative",
                            "title": "Predicted recall",
                            "format": ".0%",
                        },
                    ],
                },
            },
            {
                "data": {"values": [{"retention": col.settings.desired_retention}]},
                "mark": {"type": "rule", "strokeDash": [4, 4]},
                "encoding": {"y": {"field": "retention", "type": "quantitative"}},
            },
        ],
    )
    rows = [
        (h.reviewed_at.strftime("%Y-%m-%d %H:%M"), f"{h.after.stability:.1f} days")
        for h in history
        if h.after.stability is not None
    ]
    return Chart("curve", title, description, spec, "", ("Reviewed", "Stability after"), rows)
