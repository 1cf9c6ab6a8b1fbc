"""Today and Review: the daily session as plain HTML forms (static/app.js adds keys and fetch)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from trainer import Conflict, NothingToUndo, StudyCard
from trainer.insights.focus import MODES as FOCUS_MODES
from trainer.study.estimates import estimate_day
from trainer.study.rubric import suggested_rating

from .context import collection, now
from .insights import today_summary
from .present import back_html, front_html, new_request_id, previews, rating_from, suggestions, why_html

bp = Blueprint("study", __name__)
MAX_DURATION_MS = 86_400_000


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
    titles = {deck.slug: deck.title for deck in col.decks()}
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
    return render_template(
        "review.html",
        study=study,
        front=front_html(study),
        revealed=False,
        request_id=new_request_id(),
        shown_at=moment.isoformat(),
        **context,
    )


@bp.get("/review/reveal")
def reveal() -> str:
    """The card with its answer, why, rubric (drills) and the four ratings with their intervals."""
    moment = now()
    col = collection()
    card_id = request.args.get("card_id", "")
    study = col.card(card_id)
    return render_template(
        "review.html",
        study=study,
        front=front_html(study),
        back=back_html(study),
        why=why_html(study),
        revealed=True,
        previews=previews(col, study, moment),
        suggestions=suggestions(len(study.card.points)),
        request_id=request.args.get("request_id") or new_request_id(),
        shown_at=request.args.get("shown_at") or moment.isoformat(),
        typed=request.args.get("typed", ""),
        domain=_domain(),
        focus=_focus(),
        progress=day_progress(moment),
    )


def _duration_ms(moment: datetime) -> int | None:
    raw = request.form.get("duration_ms")
    if raw:
        try:
            return max(0, min(int(raw), MAX_DURATION_MS))
        except ValueError:
            abort(400, f"duration_ms must be a whole number of milliseconds, got {raw!r}")
    try:
        shown = datetime.fromisoformat(request.form.get("shown_at", ""))
    except ValueError:
        return None
    if shown.tzinfo is None:
        return None
    return max(0, min(int((moment - shown).total_seconds() * 1000), MAX_DURATION_MS))


def _ticked() -> list[int] | None:
    if request.form.get("drill") != "1":
        return None
    try:
        return [int(value) for value in request.form.getlist("points")]
    except ValueError:
        abort(400, "points must be point numbers")


def _int_field(name: str) -> int | None:
    raw = request.form.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        abort(400, f"{name} must be a whole number, got {raw!r}")


@bp.post("/review/answer")
def answer() -> Any:
    """Record the answer (once per request id) and go on to the next card."""
    moment = now()
    col = collection()
    domain = _domain()
    card_id = request.form.get("card_id", "")
    ticked = _ticked()
    raw_rating = request.form.get("rating", "")
    if raw_rating == "suggested":
        total = len(col.card(card_id).card.points)
        if ticked is None or total == 0:
            abort(400, "only a drill has a suggested rating")
        rating = suggested_rating(len(set(ticked)), total)
    else:
        try:
            rating = rating_from(raw_rating)
        except ValueError as exc:
            abort(400, str(exc))
    try:
        memory = col.answer(
            card_id,
            rating,
            now=moment,
            duration_ms=_duration_ms(moment),
            points_ticked=ticked,
            request_id=request.form.get("request_id") or None,
            expected_reps=_int_field("expected_reps"),
        )
    except Conflict as exc:
        return render_template("conflict.html", message=str(exc), domain=domain), 409
    due = memory.due.date().isoformat() if memory.due else "-"
    flash(f"{card_id}: {rating.name}. Next due {due}.")
    return redirect(_review_url(domain), code=303)


@bp.post("/review/undo")
def undo() -> Response:
    """Revert the last answer, suspend or bury; that card is shown again at once."""
    try:
        undone = collection().undo_last()
    except NothingToUndo:
        flash("There is nothing to undo.")
        return redirect(_review_url(_domain()), code=303)
    flash(undone.describe())
    return redirect(_review_url(_domain(), undone.card_id), code=303)


@bp.post("/review/suspend")
def suspend() -> Response:
    """Take the card out of every queue."""
    card_id = request.form.get("card_id", "")
    collection().suspend(card_id, now=now())
    flash(f"Suspended {card_id}.")
    return redirect(_review_url(_domain()), code=303)


@bp.post("/review/bury")
def bury() -> Response:
    """Hide the card until tomorrow."""
    card_id = request.form.get("card_id", "")
    collection().bury(card_id, now=now())
    flash(f"Buried {card_id} until tomorrow.")
    return redirect(_review_url(_domain()), code=303)
