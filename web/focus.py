"""Focus sessions: "weakest" (the weakest domains' due cards, then their least-recalled cards
early) and "interview" (in the final days, the cards predicted below target on the date).

The cards come from `Collection.focus_card`; showing, revealing and answering them is the plain
review flow, which carries the `focus` mode along and comes back here after each answer.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from trainer.focus import MODES

from .context import collection, now
from .present import front_html, new_request_id
from .study import day_progress

bp = Blueprint("focus", __name__)

TITLES = {"weakest": "Focus: weakest domains", "interview": "Interview mode"}


@bp.get("/focus/<mode>")
def session(mode: str) -> str:
    """The next card of a focus session in `mode`, or the done page when it has nothing left."""
    if mode not in MODES:
        abort(404, f"no focus session {mode!r}; the sessions are {', '.join(MODES)}")
    moment = now()
    study = collection().focus_card(now=moment, mode=mode)
    context = {"domain": None, "focus": mode, "focus_title": TITLES[mode], "progress": day_progress(moment)}
    if study is None:
        return render_template("done.html", **context)
    return render_template(
        "review.html",
        study=study,
        front=front_html(study),
        revealed=False,
        request_id=new_request_id(),
        shown_at=moment.isoformat(),
        **context,
    )
