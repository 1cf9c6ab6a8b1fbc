"""Trainer errors and HTTP errors as clear pages, or JSON under /api/ and from a page's JSON views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from trainer import Conflict, Forbidden, NotFound, NothingToUndo, TrainerError
from trainer.errors import ProblemsError

View = TypeVar("View", bound=Callable[..., Any])
STATUS_OF: tuple[tuple[type[TrainerError], int], ...] = (
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (NothingToUndo, 409),
)


def status_of(error: TrainerError) -> int:
    """The HTTP status for a trainer error: 404 not found, 403 forbidden, 409 conflict, else 400."""
    for kind, status in STATUS_OF:
        if isinstance(error, kind):
            return status
    return 400


def answers_json(view: View) -> View:
    """Mark a page's view that answers in JSON (for the page's script), so its errors do too."""
    view.answers_json = True  # type: ignore[attr-defined]
    return view


def wants_json() -> bool:
    """Whether the request is an API call, or a call to a page's JSON view, answered in JSON."""
    if request.path.startswith("/api/"):
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "answers_json", False)


def problems_of(error: TrainerError) -> list[dict[str, Any]]:
    """Every problem a validation error lists, as JSON-ready dicts."""
    if not isinstance(error, ProblemsError):
        return []
    return [{"message": p.message, "field": p.field, "file": p.file, "line": p.line} for p in error.problems]


def error_response(message: str, status: int, problems: list[dict[str, Any]] | None = None) -> Any:
    """A JSON body for the API, a page for everything else."""
    if wants_json():
        return jsonify({"error": message, "problems": problems or []}), status
    return render_template("error.html", message=message, status=status, problems=problems or []), status


def _trainer_error(error: TrainerError) -> Any:
    message = error.summary if isinstance(error, ProblemsError) else str(error)
    return error_response(message, status_of(error), problems_of(error))


def _csrf_error(error: CSRFError) -> Any:
    return error_response(f"The request was refused: {error.description}", 400)


def _http_error(error: HTTPException) -> Any:
    if request_ctx.url_adapter is None:
        # The Host header was refused (TRUSTED_HOSTS): no URL can be built, so no page either.
        text = f"{error.code} {error.name}: {error.description}"
        return text, error.code or 400, {"Content-Type": "text/plain"}
    body, status = error_response(error.description or error.name, error.code or 500)
    extra = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return body, status, extra


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(TrainerError, _trainer_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
