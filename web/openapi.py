"""The OpenAPI 3 document for the JSON API, written out by hand to match `web.api`."""

from __future__ import annotations

from typing import Any

RATING_NAMES = ["Again", "Hard", "Good", "Easy"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = _json(_ref("Error"), "The request was refused; `error` says why.")
NOT_FOUND = _json(_ref("Error"), "No such card or deck.")
CONFLICT = _json(_ref("Error"), "The card changed since it was shown, or there is nothing to undo.")
CSRF: list[dict[str, list[str]]] = [{"csrfToken": []}]


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "nullable": True, **extra}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "problems"],
        "properties": {
            "error": {"type": "string"},
            "problems": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "message": {"type": "string"},
                        "field": _nullable("string"),
                        "file": _nullable("string"),
                        "line": _nullable("integer"),
                    },
                },
            },
        },
    },
    "Memory": {
        "type": "object",
        "required": ["state", "state_name", "reps", "lapses", "suspended", "leech"],
        "properties": {
            "state": {"type": "integer", "minimum": 0, "maximum": 3},
            "state_name": {"type": "string", "enum": ["new", "learning", "review", "relearning"]},
            "step": _nullable("integer"),
            "stability": _nullable("number"),
            "difficulty": _nullable("number"),
            "due": _nullable("string", format="date-time"),
            "last_review": _nullable("string", format="date-time"),
            "reps": {"type": "integer", "minimum": 0},
            "lapses": {"type": "integer", "minimum": 0},
            "suspended": {"type": "boolean"},
            "buried_until": _nullable("string", format="date-time"),
            "leech": {"type": "boolean"},
        },
    },
    "Preview": {
        "type": "object",
        "required": ["rating", "name", "interval", "due"],
        "properties": {
            "rating": {"type": "integer", "minimum": 1, "maximum": 4},
            "name": {"type": "string", "enum": RATING_NAMES},
            "interval": {"type": "string"},
            "due": {"type": "string", "format": "date-time"},
        },
    },
    "StudyCard": {
        "type": "object",
        "description": "A card to show; the HTML fields are rendered and sanitised.",
        "required": ["id", "deck", "kind", "front_html", "back_html", "reps", "request_id", "previews"],
        "properties": {
            "id": {"type": "string"},
            "deck": {"type": "string"},
            "kind": {"type": "string", "enum": ["fact", "cloze", "drill"]},
            "front_html": {"type": "string"},
            "back_html": {"type": "string"},
            "why_html": {"type": "string"},
            "points": {"type": "array", "items": {"type": "string"}},
            "suggestions": {"type": "array", "items": {"type": "string", "enum": RATING_NAMES}},
            "concepts": {"type": "array", "items": {"type": "string"}},
            "reps": {"type": "integer", "description": "Send back as expected_reps."},
            "state": {"type": "string"},
            "request_id": {"type": "string", "description": "Send back with the answer."},
            "previews": {"type": "array", "items": _ref("Preview")},
        },
    },
    "NextCard": {
        "type": "object",
        "required": ["card"],
        "properties": {"card": {**_ref("StudyCard"), "nullable": True}},
    },
    "AnswerRequest": {
        "type": "object",
        "example": {"card_id": "a-fact", "rating": 3, "expected_reps": 0, "duration_ms": 5000},
        "required": ["card_id", "rating"],
        "properties": {
            "card_id": {"type": "string", "minLength": 1},
            "rating": {
                "oneOf": [
                    {"type": "integer", "minimum": 1, "maximum": 4},
                    {"type": "string", "enum": RATING_NAMES},
                ]
            },
            "request_id": {"type": "string", "minLength": 1, "maxLength": 64},
            "expected_reps": {"type": "integer", "minimum": 0},
            "duration_ms": {"type": "integer", "minimum": 0, "maximum": 86400000},
            "points_ticked": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "domain": {"type": "string"},
        },
    },
    "AnswerResult": {
        "type": "object",
        "required": ["card_id", "memory", "next"],
        "properties": {
            "card_id": {"type": "string"},
            "memory": _ref("Memory"),
            "next": {**_ref("StudyCard"), "nullable": True},
        },
    },
    "CardRequest": {
        "type": "object",
        "required": ["card_id"],
        "properties": {"card_id": {"type": "string", "minLength": 1}, "suspended": {"type": "boolean"}},
    },
    "DomainStats": {
        "type": "object",
        "required": ["domain", "cards", "introduced", "mature", "due"],
        "properties": {
            "domain": {"type": "string"},
            "cards": {"type": "integer"},
            "introduced": {"type": "integer"},
            "mature": {"type": "integer"},
            "due": {"type": "integer"},
            "overdue": {"type": "integer"},
            "reviews_30d": {"type": "integer"},
            "retention_30d": _nullable("number"),
            "retention_low": _nullable("number"),
            "retention_high": _nullable("number"),
            "retrievability": _nullable("number"),
            "lapses": {"type": "integer"},
            "difficulty": _nullable("number"),
            "rubric_coverage": _nullable("number"),
        },
    },
    "Readiness": {
        "type": "object",
        "required": ["interview_date", "days_left", "overall", "per_domain", "cards", "target"],
        "properties": {
            "interview_date": {"type": "string", "format": "date"},
            "moment": {"type": "string", "format": "date-time"},
            "days_left": {"type": "integer", "minimum": 0},
            "overall": _nullable("number", minimum=0, maximum=1),
            "per_domain": {"type": "object", "additionalProperties": _nullable("number")},
            "cards": {"type": "integer", "minimum": 0},
            "target": {"type": "number"},
            "reviews_per_day": _nullable("integer", minimum=0),
        },
    },
    "Weakness": {
        "type": "object",
        "required": ["weakest", "concept_gaps", "domain_gaps", "weak_cells", "missed_points"],
        "properties": {
            "weakest": {"type": "array", "items": {"type": "string"}},
            "concept_gaps": {"type": "array", "items": {"type": "string"}},
            "domain_gaps": {"type": "array", "items": {"type": "string"}},
            "weak_cells": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["domain", "concept", "reviews", "failed", "rate", "gap"],
                    "properties": {
                        "domain": {"type": "string"},
                        "concept": {"type": "string"},
                        "reviews": {"type": "integer"},
                        "failed": {"type": "integer"},
                        "rate": {"type": "number"},
                        "domain_effect": _nullable("number"),
                        "concept_effect": _nullable("number"),
                        "gap": {"type": "string", "enum": ["concept", "domain", "both"]},
                    },
                },
            },
            "missed_points": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["card_id", "domain", "point", "index", "shown", "missed"],
                    "properties": {
                        "card_id": {"type": "string"},
                        "domain": {"type": "string"},
                        "point": {"type": "string"},
                        "index": {"type": "integer"},
                        "shown": {"type": "integer"},
                        "missed": {"type": "integer"},
                        "miss_rate": {"type": "number"},
                    },
                },
            },
        },
    },
    "Counts": {
        "type": "object",
        "required": ["new", "learning", "review"],
        "properties": {n: {"type": "integer", "minimum": 0} for n in ("new", "learning", "review")},
    },
}


def _strings(*names: str) -> dict[str, Any]:
    return {"type": "object", "required": list(names), "properties": {n: {"type": "string"} for n in names}}


def _get(
    summary: str,
    ok: dict[str, Any],
    parameters: list[Any] | None = None,
    errors: dict[str, Any] | None = None,
) -> dict[str, Any]:
    responses = {"200": ok, **(errors or {})}
    return {"get": {"summary": summary, "parameters": parameters or [], "responses": responses}}


def _post(
    summary: str, body: str | None, ok: dict[str, Any], errors: dict[str, Any] | None = None
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "security": CSRF,
        "responses": {"200": ok, "400": ERROR, **(errors or {})},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return {"post": operation}


def _query(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


PATHS: dict[str, Any] = {
    "/api/csrf": _get(
        "A CSRF token for this session",
        _json(
            {"type": "object", "required": ["csrf_token"], "properties": {"csrf_token": {"type": "string"}}},
            "A token.",
        ),
    ),
    "/api/next": _get(
        "The next card due now, or null",
        _json(_ref("NextCard"), "The next card."),
        [_query("domain", {"type": "string"})],
        errors={"404": NOT_FOUND},
    ),
    "/api/answer": _post(
        "Answer a card (once per request_id)",
        "AnswerRequest",
        _json(_ref("AnswerResult"), "The card's new memory and the next card."),
        errors={"404": NOT_FOUND, "409": CONFLICT},
    ),
    "/api/undo": _post(
        "Revert the last answer, suspend or bury",
        None,
        _json(
            {
                "type": "object",
                "required": ["card_id", "action", "next"],
                "properties": {
                    "card_id": {"type": "string"},
                    "action": {"type": "string", "enum": ["answer", "suspend", "unsuspend", "bury"]},
                    "next": {**_ref("StudyCard"), "nullable": True},
                },
            },
            "Undone; `next` is the card to study now, the undone card first.",
        ),
        errors={"409": CONFLICT},
    ),
    "/api/suspend": _post(
        "Suspend or unsuspend a card",
        "CardRequest",
        _json(
            {
                "type": "object",
                "required": ["card_id", "suspended"],
                "properties": {"card_id": {"type": "string"}, "suspended": {"type": "boolean"}},
            },
            "Done.",
        ),
        errors={"404": NOT_FOUND, "409": CONFLICT},
    ),
    "/api/bury": _post(
        "Hide a card until tomorrow",
        "CardRequest",
        _json(
            {
                "type": "object",
                "required": ["card_id", "buried"],
                "properties": {"card_id": {"type": "string"}, "buried": {"type": "boolean"}},
            },
            "Done.",
        ),
        errors={"404": NOT_FOUND, "409": CONFLICT},
    ),
    "/api/today": _get(
        "Today's counts and the minutes they will take",
        _json(
            {
                "type": "object",
                "required": ["new", "learning", "review", "minutes", "answered_today", "domains"],
                "properties": {
                    "new": {"type": "integer"},
                    "learning": {"type": "integer"},
                    "review": {"type": "integer"},
                    "minutes": {"type": "number", "minimum": 0},
                    "answered_today": {"type": "integer", "minimum": 0},
                    "domains": {"type": "object", "additionalProperties": _ref("Counts")},
                },
            },
            "Today's work.",
        ),
    ),
    "/api/stats/domains": _get(
        "Per-domain progress",
        _json({"type": "array", "items": _ref("DomainStats")}, "One record per domain."),
    ),
    "/api/stats/readiness": _get(
        "Predicted recall on the interview date",
        _json(
            {
                "type": "object",
                "required": ["readiness"],
                "properties": {"readiness": {**_ref("Readiness"), "nullable": True}},
            },
            "Readiness, or null when no interview date is set.",
        ),
    ),
    "/api/stats/weakness": _get(
        "Weakest domains, concept and domain gaps, most-missed rubric points",
        _json(_ref("Weakness"), "Where the learner is weak."),
    ),
    "/api/cards": _get(
        "Search cards",
        _json(
            {
                "type": "object",
                "required": ["total", "cards"],
                "properties": {
                    "total": {"type": "integer"},
                    "cards": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "deck", "kind", "memory"],
                            "properties": {
                                "id": {"type": "string"},
                                "deck": {"type": "string"},
                                "kind": {"type": "string"},
                                "memory": _ref("Memory"),
                            },
                        },
                    },
                },
            },
            "Matching cards.",
        ),
        [
            _query("q", {"type": "string"}),
            _query("deck", {"type": "string"}),
            _query("concept", {"type": "string"}),
            _query("state", {"type": "string", "enum": ["new", "learning", "review", "suspended", "leech"]}),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
            _query("offset", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
        ],
        errors={"400": ERROR},
    ),
    "/api/cards/{card_id}": {
        "parameters": [{"name": "card_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        **_get(
            "One card with its memory",
            _json(
                {
                    "type": "object",
                    "required": ["card", "memory", "retrievability"],
                    "properties": {
                        "card": {"type": "object"},
                        "memory": _ref("Memory"),
                        "retrievability": {"type": "number", "minimum": 0, "maximum": 1},
                    },
                },
                "The card.",
            ),
            errors={"404": NOT_FOUND},
        ),
    },
    "/api/rubric/suggest": _get(
        "The rating a drill's rubric coverage suggests",
        _json(
            {
                "type": "object",
                "required": ["rating", "name", "coverage"],
                "properties": {
                    "rating": {"type": "integer", "minimum": 1, "maximum": 4},
                    "name": {"type": "string", "enum": RATING_NAMES},
                    "coverage": {"type": "number", "minimum": 0, "maximum": 1},
                },
            },
            "The suggestion.",
        ),
        [
            _query("ticked", {"type": "integer", "minimum": 0}, required=True),
            _query("total", {"type": "integer", "minimum": 1}, required=True),
        ],
        errors={"400": ERROR},
    ),
    "/api/openapi.json": _get("This document", {"description": "The OpenAPI document."}),
}


def document() -> dict[str, Any]:
    """The OpenAPI 3.0 document for every route under /api/."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "ML interview trainer API",
            "version": "1",
            "description": "Study, answer and undo; POST calls need the X-CSRFToken header (GET /api/csrf).",
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"}},
        },
    }
