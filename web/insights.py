"""Stats: weak domains and concepts, interview readiness, calibration and progress charts.

Every number and picture comes from `trainer` (stats, weakness, readiness, calibration,
charts); this module only lays them out. Charts are Vega-Lite specs embedded in the page and
drawn in the browser.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pandas as pd
from flask import Blueprint, render_template

from trainer import Collection
from trainer.insights import charts as chart_module
from trainer.insights.calibration import calibration_report
from trainer.insights.drills import MIN_ANSWERS as DRILL_MIN_ANSWERS
from trainer.insights.drills import knowing_and_framing
from trainer.insights.optimize import NotEnoughHistory, optimize
from trainer.insights.readiness import Readiness, interview_passed, readiness
from trainer.insights.stats import MIN_EVIDENCE
from trainer.insights.weakness import (
    concept_gaps,
    domain_gaps,
    gap_attribution,
    missed_points,
    overall_recall,
    weakest_evidence,
)

from .context import collection, now
from .present import finite_or_none

bp = Blueprint("insights", __name__)

MISSED_POINTS = 10
WEAK_CELLS = 10
TODAY_WEAKEST = 2


@bp.app_context_processor
def _evidence_rule() -> dict[str, Any]:
    """The minimum of evidence before a weakest domain or a gap is named, for every page."""
    return {"min_evidence": MIN_EVIDENCE}


@bp.app_template_filter("percent")
def percent(value: Any) -> str:
    """A share from 0 to 1 as a whole percentage, or a dash when it is missing or not a number."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{100 * float(value):.0f}%"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as plain dicts, with numpy scalars as Python values and NaN as None."""
    return [
        {key: finite_or_none(value.item() if hasattr(value, "item") else value) for key, value in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _titles(col: Collection) -> dict[str, str]:
    return {deck.slug: deck.name for deck in col.decks()}


def today_summary(col: Collection, moment: datetime) -> dict[str, Any]:
    """For the Today page: the weakest domains (weakest first), each with its title and the
    evidence behind it; whether any domain has enough answers to be ranked and the overall
    recall (for "none stands out"); readiness for the interview date (None when no date is set or
    it has passed) and the interview date if it has passed."""
    titles = _titles(col)
    report = col.domain_stats(moment)
    weakest = weakest_evidence(report)[:TODAY_WEAKEST]
    for entry in weakest:
        entry["title"] = titles.get(entry["domain"], entry["domain"])
    return {
        "weakest": weakest,
        "ranked": bool(report["weak_rank"].notna().any()),
        "overall": overall_recall(report),
        "readiness": readiness(col, moment),
        "interview_passed": interview_passed(col, moment),
    }


def _domain_rows(col: Collection, moment: datetime) -> list[dict[str, Any]]:
    """The domain report's rows, ranked ones weakest first, then the unranked in deck order."""
    rows = records(col.domain_stats(moment))
    return sorted(rows, key=lambda row: (row["weak_rank"] is None, row["weak_rank"] or 0))


def _calibration(col: Collection) -> dict[str, list[dict[str, Any]]]:
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for row in records(calibration_report(col)):
        by_domain.setdefault(str(row["domain"]), []).append(row)
    return by_domain


def _readiness_rows(ready: Readiness | None, titles: dict[str, str]) -> list[tuple[str, float]]:
    if ready is None:
        return []
    return [(titles.get(slug, slug), value) for slug, value in sorted(ready.per_domain.items())]


@bp.get("/stats")
def stats() -> str:
    """Where the learner is weak and how ready they are, in tables and charts."""
    moment = now()
    col = collection()
    titles = _titles(col)
    attribution = gap_attribution(col)
    ready = readiness(col, moment)
    framing = knowing_and_framing(col, moment)
    return render_template(
        "stats.html",
        titles=titles,
        rows=_domain_rows(col, moment),
        concept_gaps=concept_gaps(attribution),
        domain_gaps=domain_gaps(attribution),
        weak_cells=records(attribution[attribution["gap"] != ""].head(WEAK_CELLS)),
        missed=records(missed_points(col, limit=MISSED_POINTS)),
        framing=records(framing.report),
        framing_gaps=framing.gaps,
        habits=(framing.missed, framing.flagged),
        min_answers=DRILL_MIN_ANSWERS,
        calibration=_calibration(col),
        ready=ready,
        interview_passed=interview_passed(col, moment),
        readiness_rows=_readiness_rows(ready, titles),
        charts=chart_module.stats_charts(col, moment, titles),
    )


@bp.post("/settings/optimize")
def optimize_parameters() -> str:
    """Fit FSRS parameters to the learner's review log and show the outcome: adopted or not,
    with held-out log loss and RMSE(bins) before and after, or why there was too little history."""
    try:
        result = optimize(collection(), now())
    except NotEnoughHistory as exc:
        return render_template("optimize.html", result=None, refusal=str(exc))
    return render_template("optimize.html", result=result, refusal=None)
