"""The JSON API under /api/: each route declares its query, body and responses with the models in
`web.schemas`, which validate the request and generate the OpenAPI document at /api/openapi.json.

State-changing calls need the CSRF token (GET /api/csrf) in the X-CSRFToken header.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_wtf.csrf import generate_csrf

from trainer import DrillAnswer
from trainer.decks.browse import CardQuery, search_cards
from trainer.errors import Problem
from trainer.study.estimates import estimate_day
from trainer.study.rubric import coverage, suggested_rating

from . import schemas as s
from .apispec import CSRF, RequestError, document, responses, spec
from .context import collection, now
from .present import card_json, drill_json, finite_or_none, memory_json

bp = Blueprint("api", __name__, url_prefix="/api")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _next(domain: str | None) -> dict[str, Any] | None:
    col = collection()
    moment = now()
    study = col.next_card(now=moment, domain=domain)
    return card_json(col, study, moment) if study else None


@bp.before_request
def _json_object_only() -> None:
    """A POST's body, when there is one, must be a JSON object (a form post is refused too)."""
    has_body = request.content_length or request.mimetype in FORM_TYPES
    if request.method == "POST" and has_body and not isinstance(request.get_json(silent=True), dict):
        raise RequestError.from_problems([Problem("the body must be a JSON object")])


@bp.get("/csrf")
@spec.validate(resp=responses(s.CsrfOut))
def csrf_token() -> Any:
    """A CSRF token for this session, to send as X-CSRFToken."""
    return {"csrf_token": generate_csrf()}


@bp.get("/next")
@spec.validate(resp=responses(s.NextOut, 404))
def next_card(query: s.NextQuery) -> Any:
    """The next card due now (in `domain`, if given), or null."""
    return {"card": _next(query.domain)}


@bp.post("/answer")
@spec.validate(resp=responses(s.AnswerOut, 404, 409), security=CSRF)
def answer(json: s.AnswerRequest) -> Any:
    """Answer a card (once per request_id); returns its new memory and the next card."""
    col = collection()
    moment = now()
    memory, following = col.answer_and_next(
        json.card_id,
        json.rating,
        now=moment,
        duration_ms=json.duration_ms,
        domain=json.domain or None,
        drill=json.drill_answer(),
        request_id=json.request_id,
        expected_reps=json.expected_reps,
    )
    next_json = card_json(col, following, moment) if following else None
    return {"card_id": json.card_id, "memory": memory_json(memory), "next": next_json}


@bp.post("/undo")
@spec.validate(resp=responses(s.UndoOut, 409), security=CSRF)
def undo() -> Any:
    """Revert the learner's last answer, suspend or bury, if taken in the learner's current
    day; returns the card's id, the kind of action undone and the next card (that same card,
    when it can be studied now)."""
    undone = collection().undo_last(now(), today_only=True)
    return {"card_id": undone.card_id, "action": undone.action, "next": _next(None)}


@bp.post("/suspend")
@spec.validate(resp=responses(s.SuspendOut, 404, 409), security=CSRF)
def suspend(json: s.SuspendRequest) -> Any:
    """Suspend a card (or unsuspend it with "suspended": false)."""
    collection().suspend(json.card_id, suspended=json.suspended, now=now())
    return {"card_id": json.card_id, "suspended": json.suspended}


@bp.post("/bury")
@spec.validate(resp=responses(s.BuryOut, 404, 409), security=CSRF)
def bury(json: s.CardRequest) -> Any:
    """Hide a card until the learner's next day."""
    collection().bury(json.card_id, now=now())
    return {"card_id": json.card_id, "buried": True}


@bp.get("/today")
@spec.validate(resp=responses(s.TodayOut))
def today() -> Any:
    """Today's counts overall and per domain, and the minutes they will take."""
    col = collection()
    moment = now()
    counts = col.today_counts(now=moment)
    estimate = estimate_day(col, counts, now=moment)
    return {
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


@bp.get("/stats/domains")
@spec.validate(resp=responses(s.DomainStatsList))
def domain_stats() -> Any:
    """Per-domain progress, one record per domain; missing values are null."""
    frame = collection().domain_stats(now=now())
    records = [
        {key: finite_or_none(value.item() if hasattr(value, "item") else value) for key, value in row.items()}
        for row in frame.to_dict(orient="records")
    ]
    return records


@bp.get("/cards/<card_id>")
@spec.validate(resp=responses(s.CardOut, 404))
def card(card_id: str) -> Any:
    """One card's content, memory and retrievability now."""
    col = collection()
    study = col.card(card_id)
    return {
        "card": {**study.card.to_dict(), **drill_json(study)},
        "memory": memory_json(study.memory),
        "retrievability": col.retrievability(card_id, now=now()),
    }


@bp.get("/cards/<card_id>/story")
@spec.validate(resp=responses(s.StoryOut, 404))
def story(card_id: str) -> Any:
    """The learner's own story for a story drill (null until written); theirs alone."""
    col = collection()
    col.card(card_id)
    return {"card_id": card_id, "story": col.story(card_id)}


@bp.post("/cards/<card_id>/story")
@spec.validate(resp=responses(s.StoryOut, 404), security=CSRF)
def save_story(card_id: str, json: s.StoryRequest) -> Any:
    """Write or replace the learner's own story for a story drill; a card that is not a story
    drill, or an empty or over-long story, is a 400 and nothing is saved."""
    saved = collection().save_story(card_id, json.story, now=now())
    return {"card_id": card_id, "story": saved}


@bp.get("/cards")
@spec.validate(resp=responses(s.CardsOut))
def cards(query: s.CardsQuery) -> Any:
    """Cards matching every word of q (best first) and every filter; at most `limit` from `offset`."""
    wanted = CardQuery(
        text=query.q or "",
        deck=query.deck or None,
        concept=query.concept or None,
        kind=query.kind,
        state=query.state,
        due=query.due,
        leech=query.leech,
        suspended=query.suspended,
    )
    result = search_cards(collection(), wanted, limit=query.limit, offset=query.offset, now=now())
    return {
        "total": result.total,
        "cards": [
            {"id": c.id, "deck": c.card.deck, "kind": c.card.kind.value, "memory": memory_json(c.memory)}
            for c in result.cards
        ],
    }


@bp.get("/rubric/suggest")
@spec.validate(resp=responses(s.SuggestionOut, 404))
def rubric_suggest(query: s.RubricQuery) -> Any:
    """The rating the marks on a drill suggest, with its reasons in the order the rules applied
    (see decks/README.md); marks that do not fit the drill's current variant are a 400."""
    if query.card_id is None:
        assert query.total is not None
        ticked = query.ticked[0] if query.ticked else 0
        rating = suggested_rating(ticked, query.total)
        reasons = [f"{ticked} of {query.total} core points"]
        return {
            "rating": int(rating),
            "name": rating.name,
            "reasons": reasons,
            "coverage": coverage(ticked, query.total),
        }
    col = collection()
    study = col.card(query.card_id)
    marks = DrillAnswer.of(query.ticked, query.optional, query.flags)
    suggestion = col.suggest_rating(study, marks, query.duration_ms)
    core = len(drill_json(study).get("points", []))
    return {**suggestion.to_dict(), "coverage": len(set(query.ticked)) / core if core else None}


@bp.get("/openapi.json")
@spec.validate()
def openapi() -> Any:
    """The OpenAPI document describing this API, generated from the routes' models."""
    return document()
