"""JSON for scripts: interview readiness, weak spots, and knowing beside framing (declared in
`web.schemas`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from trainer.insights.drills import knowing_and_framing
from trainer.insights.readiness import readiness
from trainer.insights.stats import weakest_domains
from trainer.insights.weakness import concept_gaps, domain_gaps, gap_attribution, missed_points

from . import schemas as s
from .apispec import responses, spec
from .context import collection, now
from .insights import MISSED_POINTS, records
from .present import finite_or_none

bp = Blueprint("stats_api", __name__, url_prefix="/api/stats")


@bp.get("/readiness")
@spec.validate(resp=responses(s.ReadinessEnvelope))
def readiness_json() -> Any:
    """Predicted recall on the interview date, overall and per domain, and the reviews a day
    that reach the target; `readiness` is null when no interview date is set."""
    ready = readiness(collection(), now())
    if ready is None:
        return {"readiness": None}
    data = ready.to_dict()
    data["overall"] = finite_or_none(data["overall"])
    data["per_domain"] = {k: finite_or_none(v) for k, v in ready.per_domain.items()}
    return {"readiness": data}


@bp.get("/weakness")
@spec.validate(resp=responses(s.WeaknessOut))
def weakness_json() -> Any:
    """The weakest domains (weakest first; only those with enough reviews to rank), concept
    and domain gaps, every weak (domain, concept) cell, and the rubric points missed most."""
    col = collection()
    attribution = gap_attribution(col)
    weak = attribution[attribution["gap"] != ""]
    return {
        "weakest": weakest_domains(col.domain_stats(now())),
        "concept_gaps": concept_gaps(attribution),
        "domain_gaps": domain_gaps(attribution),
        "weak_cells": records(weak),
        "missed_points": records(missed_points(col, limit=MISSED_POINTS)),
    }


@bp.get("/framing")
@spec.validate(resp=responses(s.FramingOut))
def framing_json() -> Any:
    """Per domain, fact recall beside drill performance (core coverage, red-flag rate, time
    against target); the domains known but badly framed; and the drill habits that repeat."""
    framing = knowing_and_framing(collection(), now())
    return {
        "domains": records(framing.report),
        "known_but_badly_framed": framing.gaps,
        "habits": {
            "missed": [h.to_dict() for h in framing.missed],
            "red_flags": [h.to_dict() for h in framing.flagged],
        },
    }
