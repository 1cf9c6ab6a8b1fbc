"""Adding and editing a card: the form, its live preview (`POST /api/cards/preview`) and the save.

Every rule (where the card is stored, who may edit which deck, what a valid card is) is the
collection's (`Collection.save_card`); this module turns the form into a `CardDraft` and shows
each problem beside its field.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from trainer import CardDraft, DeckError
from trainer.decks.cardform import LIST_FIELDS, TEXT_FIELDS
from trainer.model import CardKind, DrillStyle

from . import schemas as s
from .apispec import CSRF, responses, spec
from .context import accounts_on, collection, now

bp = Blueprint("authoring", __name__)
KINDS = (
    (CardKind.FACT.value, "Fact", "A question and its answer."),
    (CardKind.CLOZE.value, "Cloze", "A sentence with gaps to fill: one card per gap number."),
    (CardKind.DRILL.value, "Drill", "A spoken answer judged against a rubric of points."),
)


def _draft() -> CardDraft:
    """The posted form as a draft (concepts come from a multiple choice list)."""
    form = request.form
    fields: dict[str, Any] = {name: form.get(name, "") for name in (*TEXT_FIELDS, *LIST_FIELDS)}
    fields["concepts"] = form.getlist("concepts")
    return CardDraft.from_text(form.get("kind", ""), **fields)


def _page(draft: CardDraft, card_id: str | None, problems: list[Any] | None = None, status: int = 200) -> Any:
    errors: dict[str, list[str]] = {}
    for problem in problems or []:
        key = problem.field if problem.field in (*TEXT_FIELDS, *LIST_FIELDS, "kind") else ""
        errors.setdefault(key, []).append(str(problem) if not key else problem.message)
    values = {name: getattr(draft, name) for name in (*TEXT_FIELDS, *LIST_FIELDS)}
    for name in LIST_FIELDS:
        values[name] = ", ".join(values[name]) if name == "tags" else "\n".join(values[name])
    return render_template(
        "card_form.html",
        card_id=card_id,
        kind=draft.kind,
        kinds=KINDS,
        values=values,
        chosen=set(draft.concepts),
        concepts=collection().concepts(),
        styles=[style.value for style in DrillStyle],
        errors=errors,
    ), status


def _save(card_id: str | None) -> Any:
    draft = _draft()
    try:
        ids = collection().save_card(
            draft, card_id, folder=current_app.config["DATA_DIR"], study_group=accounts_on(), now=now()
        )
    except DeckError as exc:
        return _page(draft, card_id, exc.problems, 400)
    shown = card_id if card_id in ids else ids[0]
    flash(f"Saved {shown}." if card_id else f"Added {shown} to My cards.")
    return redirect(url_for("library.card", card_id=shown), code=303)


@bp.get("/new-card")
def new_card() -> Any:
    """An empty form for a card of the learner's own deck (`?kind=cloze` picks the kind)."""
    kind = request.args.get("kind", CardKind.FACT.value)
    if kind not in CardKind.__members__.values():
        abort(400, "kind must be fact, cloze or drill")
    return _page(CardDraft(kind=kind), None)


@bp.post("/new-card")
def add_card() -> Any:
    """Add the card to the learner's own deck, or show every problem beside its field."""
    return _save(None)


@bp.get("/cards/<card_id>/edit")
def edit_card(card_id: str) -> Any:
    """The form filled with the card's content (for a cloze, its whole text)."""
    col = collection()
    draft = col.card_draft(card_id)
    if not col.can_edit(card_id, study_group=accounts_on()):
        abort(403, "only an admin of the study group may edit the shared decks; add a card of your own")
    return _page(draft, card_id)


@bp.post("/cards/<card_id>/edit")
def save_card(card_id: str) -> Any:
    """Save the card's new content under its id, keeping its progress and history."""
    return _save(card_id)


@bp.post("/api/cards/preview")
@spec.validate(resp=responses(s.CardPreviewOut), security=CSRF)
def preview(json: s.CardPreviewRequest) -> Any:
    """The card as it would be shown, rendered and sanitised by the server, valid or not."""
    shown = collection().preview_card(json.draft())
    return {
        "sides": [{"front": front, "back": back} for front, back in shown.sides],
        "why": shown.why,
        "points": shown.points,
        "optional": shown.optional,
        "red_flags": shown.red_flags,
    }


@bp.app_context_processor
def _editing() -> dict[str, Any]:
    """`may_edit(card_id)` for templates: whether to offer the card's Edit link."""

    def may_edit(card_id: str) -> bool:
        return collection().can_edit(card_id, study_group=accounts_on())

    return {"may_edit": may_edit}
