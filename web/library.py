"""Browse, the card page and Decks: finding cards, one card's memory and history, deck sync."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from trainer import CardKind, DeckError
from trainer.decks.browse import CardQuery, DueFilter, StateFilter, deck_counts, search_cards
from trainer.decks.render import card_snippet
from trainer.insights.charts import forgetting_curve
from trainer.study.feedback import SUSPENDED, UNSUSPENDED
from trainer.study.scheduling import format_interval

from .apispec import validate
from .context import collection, deck_paths, is_host, now
from .present import STATE_NAMES, back_html, drill_view, format_seconds, front_html, why_html
from .schemas import SuspendRequest

bp = Blueprint("library", __name__)
bp.add_app_template_filter(card_snippet, "snippet")
PAGE_SIZE = 50
MAX_PAGE = 1_000_000
FILTERS = ("deck", "concept", "kind", "state", "due", "leech", "suspended")


@bp.app_context_processor
def _deck_names() -> dict[str, Any]:
    """`deck_name(slug)` for templates: the deck's short name ("Finance"), read once a request."""

    def deck_name(slug: str) -> str:
        if "deck_names" not in g:
            g.deck_names = {deck.slug: deck.name for deck in collection().decks()}
        return str(g.deck_names.get(slug, slug))

    return {"deck_name": deck_name}


@bp.get("/browse")
def browse() -> str:
    """Search cards by words in any order, with filters that combine."""
    args = request.args
    try:
        query = CardQuery.parse(args.get("q"), **{name: args.get(name) for name in FILTERS})
    except ValueError as exc:
        abort(400, str(exc))
    try:
        page = max(1, min(int(args.get("page", "1")), MAX_PAGE))
    except ValueError:
        abort(400, "page must be a whole number")
    col = collection()
    result = search_cards(col, query, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, now=now())
    concepts = sorted(col.concepts())
    return render_template(
        "browse.html",
        result=result,
        page=page,
        pages=max(1, -(-result.total // PAGE_SIZE)),
        decks=col.decks(),
        concepts=concepts,
        kinds=[(k.value, k.value.capitalize()) for k in CardKind],
        states=[(s.value, s.value.capitalize()) for s in StateFilter],
        dues=[(DueFilter.TODAY.value, "Today"), (DueFilter.OVERDUE.value, "Overdue")],
        kept={name: args[name] for name in ("q", *FILTERS) if args.get(name)},
        args=args,
        state_names=STATE_NAMES,
        answers_kept=col.typed_answer_counts([study.id for study in result.cards]),
    )


@bp.get("/cards/<card_id>")
def card(card_id: str) -> str:
    """One card: its content, stability, difficulty, retrievability now, next due and history."""
    moment = now()
    col = collection()
    study = col.card(card_id)
    history = [
        {
            "entry": entry,
            "interval": format_interval((entry.after.due - entry.reviewed_at).total_seconds())
            if entry.after.due
            else "-",
        }
        for entry in reversed(col.history(card_id))
    ]
    return render_template(
        "card.html",
        study=study,
        front=front_html(study),
        back=back_html(study),
        why=why_html(study),
        retrievability=col.retrievability(card_id, now=moment),
        history=history,
        state_names=STATE_NAMES,
        drill=drill_view(col, study, revealed=True),
        format_seconds=format_seconds,
        curve=forgetting_curve(col, card_id, moment),
    )


@bp.post("/cards/<card_id>/story")
def save_story(card_id: str) -> Response:
    """Save the learner's own story for a story drill."""
    collection().save_story(card_id, request.form.get("story", ""), now=now())
    flash("Your story was saved.")
    return redirect(url_for("library.card", card_id=card_id), code=303)


@bp.post("/cards/<card_id>/suspend")
def toggle_suspend(card_id: str) -> Response:
    """Suspend the card, or unsuspend it if `suspended` is 0."""
    posted: SuspendRequest = validate(
        SuspendRequest, {**request.form.to_dict(), "card_id": card_id}, strict=False
    )
    collection().suspend(card_id, suspended=posted.suspended)
    flash(SUSPENDED if posted.suspended else UNSUSPENDED)
    return redirect(url_for("library.card", card_id=card_id), code=303)


def _decks_page(status: int = 200, **extra: Any) -> Any:
    col = collection()
    return render_template(
        "decks.html", decks=col.decks(), counts=deck_counts(col), paths=deck_paths(), **extra
    ), status


@bp.get("/decks")
def decks() -> Any:
    """The synced decks with their card counts, and a sync button."""
    return _decks_page()


@bp.post("/decks/sync")
def sync() -> Any:
    """Sync the deck files; show what changed, or every problem found (nothing is applied).
    With accounts on, only an admin may sync: the decks are shared by every learner."""
    if not is_host():
        abort(403, "only the host (an admin account) can sync the decks")
    try:
        report = collection().sync_decks(deck_paths(), now=now())
    except DeckError as exc:
        return _decks_page(400, problems=exc.problems, summary=exc.summary)
    return _decks_page(report=report)
