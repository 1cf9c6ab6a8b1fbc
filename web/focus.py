"""Focus sessions: "weakest" (the weakest domains' due cards, then their least-recalled cards
early) and "interview" (in the final days, the cards predicted below target on the date).

The cards come from `Collection.focus_card`; showing, revealing and answering them is the plain
review flow, which carries the `focus` mode along and comes back here after each answer.
"""

from __future__ import annotations

from flask import Blueprint, abort

from trainer.insights.focus import MODES, empty_reason

from .context import collection, now
from .study import day_progress, question_page, serve_undone_first

bp = Blueprint("focus", __name__)

TITLES = {"weakest": "Focus: weakest domains", "interview": "Interview mode"}


@bp.get("/focus/<mode>")
def session(mode: str) -> str:
    """The next card of a focus session in `mode`, or the done page when it has nothing left."""
    if mode not in MODES:
        abort(404, f"no focus session {mode!r}; the sessions are {', '.join(MODES)}")
    moment = now()
    serve_undone_first()
    col = collection()
    study = col.focus_card(now=moment, mode=mode)
    context = {"domain": None, "focus": mode, "focus_title": TITLES[mode], "progress": day_progress(moment)}
    if study is None:
        context["reason"] = empty_reason(col, moment)
    return question_page(study, moment, context)
