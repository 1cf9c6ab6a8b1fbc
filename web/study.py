"""Today and Review: the daily session as plain HTML forms (static/app.js adds keys and fetch)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from trainer import Conflict, DrillAnswer, NothingToUndo, StudyCard
from trainer.errors import Problem
from trainer.insights.focus import MODES as FOCUS_MODES
from trainer.study.estimates import estimate_day
from trainer.study.feedback import SUSPENDED, answer_feedback

from .apispec import RequestError, validate
from .context import collection, now
from .errors import answers_json
from .insights import today_summary
from .present import (
    back_html,
    drill_view,
    format_seconds,
    front_html,
    new_request_id,
    previews,
    why_html,
)
from .schemas import AnswerForm, CardRequest, SuggestQuery

bp = Blueprint("study", __name__)
DRILL_FIELDS = (
    ("points_ticked", "points"),
    ("optional_ticked", "optional"),
    ("flags_raised", "flags"),
    ("follow_ups_done", "follow_ups"),
)


def _domain() -> str | None:
    return request.values.get("domain") or None


def _focus() -> str | None:
    mode = request.values.get("focus")
    return mode if mode in FOCUS_MODES else None


def _review_url(domain: str | None, undone: str | None = None) -> str:
    extra: dict[str, Any] = {"undone": undone} if undone else {}
    if _focus():
        return url_for("focus.session", mode=_focus(), **extra)
    return url_for("study.review", domain=domain, **extra) if domain else url_for("study.review", **extra)


def serve_undone_first() -> None:
    """After an undo the redirect names the card (`undone`), so whichever server process takes
    the next request serves it first."""
    undone = request.args.get("undone")
    if undone:
        collection().serve_first(undone)


def day_progress(moment: datetime) -> dict[str, Any]:
    """Today's counts, the time estimate and the share of the day's work done, for the pages."""
    col = collection()
    counts = col.today_counts(now=moment)
    estimate = estimate_day(col, counts, now=moment)
    done = estimate.answered_today
    return {
        "counts": counts,
        "estimate": estimate,
        "answered": done,
        "percent": round(100 * done / (done + counts.total)) if done + counts.total else 100,
    }


@bp.get("/")
def today() -> str:
    """Due counts per domain, the minutes they will take and the day's progress."""
    moment = now()
    col = collection()
    titles = {deck.slug: deck.name for deck in col.decks()}
    per_domain = col.due_counts(now=moment)
    return render_template(
        "today.html",
        titles=titles,
        per_domain=per_domain,
        progress=day_progress(moment),
        insights=today_summary(col, moment),
    )


@bp.get("/review")
def review() -> str:
    """The next card's question side, or a done page when nothing is due."""
    moment = now()
    col = collection()
    domain = _domain()
    serve_undone_first()
    study = col.next_card(now=moment, domain=domain)
    return question_page(study, moment, {"domain": domain, "progress": day_progress(moment)})


def question_page(study: StudyCard | None, moment: datetime, context: dict[str, Any]) -> str:
    """The review page showing `study`'s question side, or the done page when it is None."""
    if study is None:
        return render_template("done.html", **context)
    drill = drill_view(collection(), study, revealed=False)
    return render_template(
        "review.html",
        study=study,
        front=drill["prompt"] if drill else front_html(study),
        drill=drill,
        format_seconds=format_seconds,
        revealed=False,
        request_id=new_request_id(),
        shown_at=moment.isoformat(),
        **context,
    )


@bp.route("/review/reveal", methods=["GET", "POST"])
def reveal() -> str:
    """The card with its answer, why, rubric (drills) and the four ratings with their intervals.

    A typed answer comes only in a POST body, never in the URL.
    """
    return answer_page(collection().card(request.values.get("card_id", "")))


def answer_page(study: StudyCard) -> str:
    """The answer side of `study` for the review in progress (ids and times from the request)."""
    moment = now()
    col = collection()
    drill = drill_view(col, study, revealed=True)
    suggestion = col.suggest_rating(study, DrillAnswer.of([])) if drill else None
    return render_template(
        "review.html",
        study=study,
        front=drill["prompt"] if drill else front_html(study),
        back=drill["answer"] if drill else back_html(study),
        why=why_html(study),
        drill=drill,
        format_seconds=format_seconds,
        suggestion=suggestion,
        revealed=True,
        previews=previews(col, study, moment),
        request_id=request.values.get("request_id") or new_request_id(),
        shown_at=request.values.get("shown_at") or moment.isoformat(),
        typed=request.form.get("typed", ""),
        domain=_domain(),
        focus=_focus(),
        progress=day_progress(moment),
    )


@bp.post("/review/story")
def save_story() -> str:
    """Save the learner's own story for a story drill and show the answer side again."""
    col = collection()
    card_id = request.form.get("card_id", "")
    col.save_story(card_id, request.form.get("story", ""), now=now())
    flash("Your story was saved.")
    return answer_page(col.card(card_id))


@bp.get("/review/suggest")
@answers_json
def suggest() -> Any:
    """The suggested rating for the marks given (indexes in `ticked`, `optional`, `flags`) on
    the drill's current variant, with its one-line explanation, as JSON for the page."""
    query: SuggestQuery = validate(SuggestQuery, request.args.to_dict())
    suggestion = collection().suggest_rating(query.card_id, query.drill_answer(), query.duration_ms)
    return jsonify({**suggestion.to_dict(), "explanation": suggestion.explanation()})


def _shown_for_ms(moment: datetime) -> int | None:
    """The time since the page showed the card (its shown_at field), when the page did not count it."""
    try:
        shown = datetime.fromisoformat(request.form.get("shown_at", ""))
    except ValueError:
        return None
    if shown.tzinfo is None:
        return None
    return int((moment - shown).total_seconds() * 1000)


def answer_form(moment: datetime) -> AnswerForm:
    """The posted answer form validated by the model the API's answers use; every problem at once."""
    form = request.form
    data: dict[str, Any] = {
        name: form[name] for name in ("card_id", "request_id", "expected_reps", "domain") if form.get(name)
    }
    data["rating"] = form.get("rating", "")
    if form.get("drill") == "1":
        for field, name in DRILL_FIELDS:
            data[field] = form.getlist(name)
        data["typed_answer"] = form.get("typed") or None
    data["duration_ms"] = form.get("duration_ms") or _shown_for_ms(moment)
    return validate(AnswerForm, data, strict=False)  # type: ignore[no-any-return]


@bp.post("/review/answer")
def answer() -> Any:
    """Record the answer (once per request id) and go on to the next card."""
    moment = now()
    col = collection()
    domain = _domain()
    posted = answer_form(moment)
    drill = posted.drill_answer()
    if posted.rating == "suggested":
        if drill is None:
            raise RequestError.from_problems([Problem("only a drill has a suggested rating", field="rating")])
        rating = col.suggest_rating(posted.card_id, drill, posted.duration_ms).rating
    else:
        rating = posted.rating
    try:
        memory = col.answer(
            posted.card_id,
            rating,
            now=moment,
            duration_ms=posted.duration_ms,
            drill=drill,
            request_id=posted.request_id,
            expected_reps=posted.expected_reps,
        )
    except Conflict as exc:
        return render_template("conflict.html", message=str(exc), domain=domain), 409
    flash(answer_feedback(rating, memory, moment))
    return redirect(_review_url(domain), code=303)


@bp.post("/review/undo")
def undo() -> Response:
    """Revert the last answer, suspend or bury of the learner's day; that card is shown again
    at once."""
    try:
        undone = collection().undo_last(now(), today_only=True)
    except NothingToUndo:
        flash("There is nothing to undo today.")
        return redirect(_review_url(_domain()), code=303)
    flash(undone.describe())
    return redirect(_review_url(_domain(), undone.card_id), code=303)


@bp.post("/review/suspend")
def suspend() -> Response:
    """Take the card out of every queue."""
    posted: CardRequest = validate(CardRequest, request.form.to_dict(), strict=False)
    collection().suspend(posted.card_id, now=now())
    flash(SUSPENDED)
    return redirect(_review_url(_domain()), code=303)


@bp.post("/review/bury")
def bury() -> Response:
    """Hide the card until tomorrow."""
    posted: CardRequest = validate(CardRequest, request.form.to_dict(), strict=False)
    collection().bury(posted.card_id, now=now())
    flash("Buried until tomorrow.")
    return redirect(_review_url(_domain()), code=303)
