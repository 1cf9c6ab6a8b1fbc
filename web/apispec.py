"""Request validation and the OpenAPI document of the JSON API, both from the models in `web.schemas`.

Each route under /api/ is decorated with `spec.validate(query=..., json=..., resp=...)`. spectree
validates the request with those models before the view runs; a request that fails raises
`RequestError`, listing every problem with the field it concerns, which `web.errors` answers in
the `Error` shape with status 400. `document()` is the OpenAPI document generated from the same
declarations. Response models are documented; they are checked at run time only when the app's
`CHECK_RESPONSES` setting is true (the tests set it), so serving stays as fast as plain JSON.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, make_response
from pydantic import BaseModel, ValidationError
from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree
from spectree.plugins.base import Context
from spectree.plugins.flask_plugin import FlaskPlugin
from spectree.utils import get_multidict_items

from trainer.errors import Problem, ProblemsError

from .schemas import ErrorOut

CSRF: dict[str, list[str]] = {"csrfToken": []}
NOT_OBJECT = ("model_type", "dict_type", "model_attributes_type")


class RequestError(ProblemsError):
    """A request's query, body or form failed its model; every problem names its field."""

    @classmethod
    def from_validation(cls, error: ValidationError) -> RequestError:
        """The problems pydantic found, one per field (and item, for lists)."""
        return cls.from_problems(problems_of(error))

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> RequestError:
        """A refusal listing `problems`; its summary repeats them, for clients that read only that."""
        return cls("invalid request: " + "; ".join(str(p) for p in problems), problems)


def problems_of(error: ValidationError) -> list[Problem]:
    """Each of pydantic's errors as a `Problem` whose field is the request field's name."""
    problems = []
    for item in error.errors(include_url=False, include_context=False, include_input=False):
        location = item["loc"]
        if not location:
            message = "the body must be a JSON object" if item["type"] in NOT_OBJECT else item["msg"]
            problems.append(Problem(message))
            continue
        message = item["msg"][0].lower() + item["msg"][1:]
        if len(location) > 1:
            message = f"item {'.'.join(str(part) for part in location[1:])}: {message}"
        problems.append(Problem(message, field=str(location[0])))
    return problems


def validate(model: type[BaseModel], data: Any, *, strict: bool | None = None) -> Any:
    """`data` validated by `model`, or `RequestError` listing every problem."""
    try:
        return model.model_validate(data, strict=strict)
    except ValidationError as exc:
        raise RequestError.from_validation(exc) from None


def _refuse(request: Any, response: Any, error: Exception | None, instance: Any, adapter: Any) -> None:
    if isinstance(error, ValidationError):
        raise RequestError.from_validation(error)


class _Plugin(FlaskPlugin):
    """spectree's Flask plugin, reading only the parts of a request a route declares (no route
    here declares headers or cookies) and checking responses only under CHECK_RESPONSES."""

    def request_validation(
        self, request: Any, query: Any, json: Any, form: Any, headers: Any, cookies: Any
    ) -> None:
        if form or headers or cookies:
            super().request_validation(request, query, json, form, headers, cookies)
            return
        adapter = self.model_adapter
        has_body = json is not None and request.method not in ("GET", "DELETE")
        request.context = Context(
            adapter.validate_obj(query, get_multidict_items(request.args, query)) if query else None,
            adapter.validate_obj(json, request.get_json(silent=True) or {}) if has_body else None,
            None,
            None,
            None,
        )

    def validate_response(
        self, resp: Any, resp_model: Response | None, skip_validation: bool, force_resp_serialize: bool
    ) -> Any:
        if skip_validation or not current_app.config["CHECK_RESPONSES"]:
            # Unchecked, the view's return value is made a response as Flask would, without the
            # plugin's walk through the whole payload looking for model instances.
            return make_response(resp), None
        return super().validate_response(resp, resp_model, skip_validation, force_resp_serialize)


spec = SpecTree(
    backend=_Plugin,
    mode="strict",
    title="ML interview trainer API",
    version="1",
    description="Study, answer and undo; POST calls need the X-CSRFToken header (GET /api/csrf).",
    validation_error_status=400,
    validation_error_model=ErrorOut,
    before=_refuse,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda parent, child: child,
    security_schemes=[
        SecurityScheme(
            name="csrfToken",
            data=SecuritySchemeData(type="apiKey", name="X-CSRFToken", field_in="header"),  # type: ignore[arg-type]
        )
    ],
)


def responses(ok: type[BaseModel] | None, *errors: int) -> Response:
    """The documented responses: `ok` for 200 and the `Error` shape for each status in `errors`."""
    return Response(HTTP_200=ok, **{f"HTTP_{status}": ErrorOut for status in errors})


def document() -> dict[str, Any]:
    """The OpenAPI document of every validated route, generated from the app's routes and models."""
    return spec.spec  # type: ignore[no-any-return]
