"""The learner's progress in one JSON-ready summary and as readable text, for the CLI and pages;
and the review log as a CSV file."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import pandas as pd
from sqlalchemy import select

from trainer.insights.drills import knowing_and_framing
from trainer.insights.readiness import interview_passed, readiness
from trainer.insights.stats import log_frame, weakest_domains
from trainer.insights.weakness import (
    concept_gaps,
    domain_gaps,
    gap_attribution,
    overall_recall,
    weakest_evidence,
)
from trainer.model import Rating
from trainer.storage import store
from trainer.storage.database import read_transaction

if TYPE_CHECKING:
    from trainer.collection import Collection

TABLE_COLUMNS = {
    "domain": "domain",
    "cards": "cards",
    "introduced": "seen",
    "mature": "mature",
    "due": "due",
    "overdue": "late",
    "retention_30d": "ret 30d",
    "reviews_30d": "n",
    "retrievability": "R now",
    "lapses": "lapses",
    "rubric_coverage": "rubric",
    "weak_rank": "weak #",
}


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def stats_summary(col: Collection, now: datetime) -> dict[str, Any]:
    """Per-domain rows, the ranked domains (`weakest`, weakest first), those named weakest with
    the evidence behind each (`weakest_evidence`) and the overall recall they fall below,
    concept and domain gaps, readiness for the interview date (None when no date is set or it has
    passed), the interview date if it has passed (`interview_passed`), and
    knowing beside framing: per domain, fact recall beside drill performance (`framing`) and the
    drill habits that repeat (`drill_habits`: points often missed, red flags often raised) and
    the domains known but badly framed (`framing_gaps`); NaN becomes None."""
    report = col.domain_stats(now)
    attribution = gap_attribution(col)
    ready = readiness(col, now)
    passed = interview_passed(col, now)
    framing = knowing_and_framing(col, now)
    return {
        "domains": [{k: _clean(v) for k, v in row.items()} for row in report.to_dict(orient="records")],
        "weakest": weakest_domains(report),
        "weakest_evidence": weakest_evidence(report),
        "overall_recall": overall_recall(report),
        "concept_gaps": concept_gaps(attribution),
        "domain_gaps": domain_gaps(attribution),
        "readiness": ready.to_dict() if ready else None,
        "interview_passed": passed.isoformat() if passed else None,
        "framing": [
            {k: _clean(v) for k, v in row.items()} for row in framing.report.to_dict(orient="records")
        ],
        "framing_gaps": framing.gaps,
        "drill_habits": {
            "missed": [habit.to_dict() for habit in framing.missed],
            "red_flags": [habit.to_dict() for habit in framing.flagged],
        },
    }


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column in ("retention_30d", "retrievability", "rubric_coverage"):
        return f"{100 * value:.0f}%"
    if column == "weak_rank":
        return str(int(value))
    return str(value)


def _line(cells: list[str], widths: list[int]) -> str:
    first = cells[0].ljust(widths[0])
    return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))])


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Fixed-width lines: the first column left-aligned, the others right-aligned."""
    widths = [max(len(x) for x in column) for column in zip(header, *rows, strict=True)]
    return [
        "  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True)))
        for row in [header, *rows]
    ]


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _framing_lines(summary: dict[str, Any]) -> list[str]:
    """Per domain, fact recall beside drill performance, then the drill habits that repeat."""
    rows = []
    for row in summary["framing"]:
        drilled = row["drill_answers"] > 0
        recall = (
            f"{_percent(row['recall_rate'])} of {row['recall_reviews']}" if row["recall_reviews"] else "-"
        )
        timed = row["time_vs_target"]
        rows.append(
            [
                row["domain"],
                recall,
                str(row["drill_answers"]),
                _percent(row["core_coverage"]) if drilled else "-",
                _percent(row["red_flag_rate"]) if drilled else "-",
                f"{timed:.1f}x" if drilled and timed is not None else "-",
            ]
        )
    header = ["domain", "fact recall", "drills", "core", "red flag", "time/target"]
    lines = ["Knowing and framing (facts recalled beside drills answered):", *_table(header, rows)]
    for gap in summary["framing_gaps"]:
        recall, coverage = _percent(gap["recall_rate"]), _percent(gap["core_coverage"])
        lines.append(
            f"Knows the facts, frames the answers badly: {gap['domain']} (facts {recall} recalled,"
            f" {coverage} of core points covered)"
        )
    habits = summary["drill_habits"]
    for label, key in (("Often missed", "missed"), ("Red flag often raised", "red_flags")):
        for habit in habits[key][:3]:
            lines.append(
                f"{label}: {habit['text']} ({habit['card_id']}, {habit['times']} of {habit['answers']})"
            )
    return lines


def stats_text(summary: dict[str, Any]) -> str:
    """A fixed-width table of the domains, a few lines on weak spots and readiness, and fact
    recall beside drill performance per domain."""
    rows = [[_cell(c, d.get(c)) for c in TABLE_COLUMNS] for d in summary["domains"]]
    lines = _table(list(TABLE_COLUMNS.values()), rows)
    lines.append("")
    weakest = [
        f"{w['domain']} (recalled {w['recalled']} of {w['answers']}, "
        f"likely at most {100 * w['ceiling']:.0f}%)"
        for w in summary["weakest_evidence"][:3]
    ]
    if not weakest and summary["weakest"]:
        overall = 100 * (summary["overall_recall"] or 0)
        weakest = [f"none stands out (each may well recall as much as your overall {overall:.0f}%)"]
    lines.append("Weakest domains: " + ("; ".join(weakest) or "not enough reviews yet"))
    if summary["concept_gaps"]:
        lines.append("Concept gaps (weak in every domain): " + ", ".join(summary["concept_gaps"]))
    if summary["domain_gaps"]:
        lines.append("Domain gaps (weak across concepts): " + ", ".join(summary["domain_gaps"]))
    ready = summary["readiness"]
    if ready:
        plan = ready["reviews_per_day"]
        advice = (
            "no number of reviews a day reaches it in time"
            if plan is None
            else f"about {plan} reviews a day reach it"
        )
        lines.append(
            f"Interview {ready['interview_date']} ({ready['days_left']} days): readiness "
            f"{100 * ready['overall']:.0f}%; target {100 * ready['target']:.0f}%: {advice}."
        )
    elif summary["interview_passed"]:
        lines.append(
            f"Your interview date, {summary['interview_passed']}, has passed: set the next one on the"
            " Settings page (trainer serve)."
        )
    lines.extend(["", *_framing_lines(summary)])
    return "\n".join(lines)


def _iso_utc(times: pd.Series) -> pd.Series:
    """UTC times as `datetime.isoformat` writes them: microseconds only when there are some."""
    text = pd.Series(
        np.datetime_as_string(times.dt.tz_localize(None).to_numpy(), unit="us"), index=times.index
    )
    whole = times.dt.microsecond.to_numpy() == 0
    return text.where(~whole, text.str.slice(0, 19)) + "+00:00"


DRILL_EXPORT_COLUMNS = ("variant", "optional_ticked", "flags_raised", "follow_ups_done", "typed_answer")


def _drill_columns(col: Collection, since: datetime | None) -> pd.DataFrame:
    """By review-log id, the drill columns of the learner's answers that have any: the variant
    shown, indexes `;`-separated, and the typed answer."""
    logs = store.logs
    query = select(logs.c.id, *(logs.c[name] for name in DRILL_EXPORT_COLUMNS)).where(
        logs.c.learner_id == col.learner_id,
        logs.c.variant.is_not(None) | logs.c.typed_answer.is_not(None),
    )
    if since is not None:
        query = query.where(logs.c.reviewed_at >= since)
    with read_transaction(col.engine) as conn:
        rows = conn.execute(query).all()

    def listed(value: Any) -> str:
        return ";".join(map(str, value)) if value else ""

    frame = pd.DataFrame(
        [(r[0], r[1], listed(r[2]), listed(r[3]), listed(r[4]), r[5] or "") for r in rows],
        columns=["id", *DRILL_EXPORT_COLUMNS],
    )
    return frame.set_index("id")


def export_review_log(col: Collection, out: Path | TextIO, since: datetime | None = None) -> int:
    """Write the learner's review log (since `since`, if given) to `out` (a path or an open text
    file) as CSV, oldest first; returns the number of rows. Reviews are numbered from 1 per
    learner (`number`); times are ISO 8601 UTC; ticked rubric points are `;`-separated."""
    log = log_frame(col, since=since)
    drill = _drill_columns(col, since)
    names = {int(rating): rating.name for rating in Rating}
    frame = pd.DataFrame(
        {
            "id": log["id"],
            "card_id": log["card_id"],
            "domain": log["deck"],
            "rating": log["rating"],
            "rating_name": log["rating"].map(names),
            "reviewed_at": _iso_utc(log["reviewed_at"]),
            "duration_ms": log["duration_ms"].astype("Int64"),
            "state_before": log["state_before"],
            "state_after": log["state_after"],
            "points_ticked": [";".join(map(str, p)) if p is not None else "" for p in log["points_ticked"]],
            "points_total": log["points_total"].astype("Int64"),
        }
    )
    frame = frame.join(drill, on="id")
    frame["variant"] = frame["variant"].astype("Int64")
    texts = list(DRILL_EXPORT_COLUMNS[1:])
    frame[texts] = frame[texts].fillna("")
    # The learner's own numbering: the database's row ids would tell how many reviews everyone
    # else on a shared server has made.
    frame["id"] = range(1, len(frame) + 1)
    frame.rename(columns={"id": "number"}).to_csv(out, index=False)
    return len(frame)
