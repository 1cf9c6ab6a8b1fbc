"""The JSON API under /api/; described by the OpenAPI document at /api/openapi.json.

State-changing calls need the CSRF token (GET /api/csrf) in the X-CSRFToken header.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask_wtf.csrf import generate_csrf

from trainer.decks.browse import MAX_OFFSET, search_cards
from trainer.study.estimates import estimate_day
from trainer.study.rubric import coverage, suggested_rating

from .context import collection, now
from .openapi import document
from .present import card_json, finite_or_none, memory_json, rating_from

bp = Blueprint("api", __name__, url_prefix="/api")


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, "the body must be a JSON object")
    return data


def _optional_int(data: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        abort(400, f"{name} must be a whole number from {low} to {high}")
    return value


def _int_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in value)


def _card_id(data: dict[str, Any]) -> str:
    card_id = data.get("card_id")
    if not isinstance(card_id, str) or not card_id:
        abort(400, "card_id must be a card's id")
    return card_id


def _next(domain: str | None) -> dict[str, Any] | None:
    col = collection()
    moment = now()
    study = col.next_card(now=moment, domain=domain)
    return card_json(col, study, moment) if study else None


def _domain(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        abort(400, "domain must be a deck's slug")
    return value


@bp.get("/csrf")
def csrf_token() -> Any:
    """A CSRF token for this session, to send as X-CSRFToken."""
    return jsonify({"csrf_token": generate_csrf()})


@bp.get("/next")
def next_card() -> Any:
    """The next card due now (in `domain`, if given), or null."""
    return jsonify({"card": _next(_domain(request.args.get("domain")))})


@bp.post("/answer")
def answer() -> Any:
    """Answer a card once per request_id; returns its new memory and the next card."""
    data = _body()
    card_id = _card_id(data)
    try:
        rating = rating_from(data.get("rating"))
    except ValueError as exc:
        abort(400, str(exc))
    ticked = data.get("points_ticked")
    if ticked is not None and (
        not isinstance(ticked, list)
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ticked)
    ):
        abort(400, "points_ticked must be a list of point indexes")
    request_id = data.get("request_id")
    if request_id is not None and (not isinstance(request_id, str) or not 1 <= len(request_id) <= 64):
        abort(400, "request_id must be text of 1 to 64 characters")
    col = collection()
    moment = now()
    memory, following = col.answer_and_next(
        card_id,
        rating,
        now=moment,
        duration_ms=_optional_int(data, "duration_ms", 0, 86_400_000),
        domain=_domain(data.get("domain")),
        points_ticked=ticked,
        request_id=request_id,
        expected_reps=_optional_int(data, "expected_reps", 0, 2**31 - 1),
    )
    next_json = card_json(col, following, moment) if following else None
    return jsonify({"card_id": card_id, "memory": memory_json(memory), "next": next_json})


@bp.post("/undo")
def undo() -> Any:
    """Revert the learner's last answer, suspend or bury; returns the card's id, the kind of
    action undone and the next card (that same card, when it can be studied now)."""
    undone = collection().undo_last()
    return jsonify({"card_id": undone.card_id, "action": undone.action, "next": _next(None)})


@bp.post("/suspend")
def suspend() -> Any:
    """Suspend a card (or unsuspend it with "suspended": false)."""
    data = _body()
    card_id = _card_id(data)
    suspended = data.get("suspended", True)
    if not isinstance(suspended, bool):
        abort(400, "suspended must be true or false")
    collection().suspend(card_id, suspended=suspended, now=now())
    return jsonify({"card_id": card_id, "suspended": suspended})


@bp.post("/bury")
def bury() -> Any:
    """Hide a card until the learner's next day."""
    card_id = _card_id(_body())
    collection().bury(card_id, now=now())
    return jsonify({"card_id": card_id, "buried": True})


@bp.get("/today")
def today() -> Any:
    """Today's counts overall and per domain, and the minutes they will take."""
    col = collection()
    moment = now()
    counts = col.today_counts(now=moment)
    estimate = estimate_day(col, counts, now=moment)
    return jsonify(
        {
            "new": counts.new,
            "learning": counts.learning,
            "review": counts.review,
            "minutes": estimate.minutes,
            "answered_today": estimate.answered_today,
            "domains": {
                deck: {"new": c.new, "learning": c.learning, "review": c.review}
                for deck, c in col.due_counts(now=moment).items()
            },
        }
    )


@bp.get("/stats/domains")
def domain_stats() -> Any:
    """Per-domain progress, one record per domain; missing values are null."""
    frame = collection().domain_stats(now=now())
    records = [
        {key: finite_or_none(value.item() if hasattr(value, "item") else value) for key, value in row.items()}
        for row in frame.to_dict(orient="records")
    ]
    return jsonify(records)


@bp.get("/cards/<card_id>")
def card(card_id: str) -> Any:
    """One card's content, memory and retrievability now."""
    col = collection()
    moment = now()
    study = col.card(card_id)
    return jsonify(
        {
            "card": study.card.to_dict(),
            "memory": memory_json(study.memory),
            "retrievability": col.retrievability(card_id, now=moment),
        }
    )


@bp.get("/cards")
def cards() -> Any:
    """Cards matching text (q), deck, concept and state; at most `limit` from `offset`."""
    args = request.args
    try:
        limit = int(args.get("limit", "50"))
        offset = int(args.get("offset", "0"))
    except ValueError:
        abort(400, "limit and offset must be whole numbers")
    if not 1 <= limit <= 500 or not 0 <= offset <= MAX_OFFSET:
        abort(400, f"limit must be 1 to 500 and offset 0 to {MAX_OFFSET}")
    try:
        result = search_cards(
            collection(),
            text=args.get("q"),
            deck=args.get("deck") or None,
            concept=args.get("concept") or None,
            state=args.get("state") or None,
            limit=limit,
            offset=offset,
        )
    except ValueError as exc:
        abort(400, str(exc))
    return jsonify(
        {
            "total": result.total,
            "cards": [
                {"id": s.id, "deck": s.card.deck, "kind": s.card.kind.value, "memory": memory_json(s.memory)}
                for s in result.cards
            ],
        }
    )


@bp.get("/rubric/suggest")
def rubric_suggest() -> Any:
    """The rating a drill's rubric coverage suggests, for `ticked` of `total` points."""
    try:
        ticked = int(request.args.get("ticked", ""))
        total = int(request.args.get("total", ""))
        share = coverage(ticked, total)
    except ValueError as exc:
        abort(400, f"ticked and total must be whole numbers with 0 <= ticked <= total, total >= 1 ({exc})")
    rating = suggested_rating(ticked, total)
    return jsonify({"rating": int(rating), "name": rating.name, "coverage": share})


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3 document describing this API."""
    return jsonify(document())
