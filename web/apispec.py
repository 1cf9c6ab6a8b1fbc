"""Request validation and the OpenAPI document of the JSON API, both from the models in `web.schemas`.

Each route under /api/ is decorated with `spec.validate(query=..., json=..., resp=...)`. spectree
validates the request with those models before the view runs; a request that fails raises
`RequestError`, listing every problem with the field it concerns, which `web.errors` answers in
the `Error` shape with status 400. `document()` is the OpenAPI document generated from the same
declarations. Response models are documented; they are checked at run time only when the app's
`CHECK_RESPONSES` setting is true (the tests set it), so serving stays as fast as plain JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, make_response, request
from pydantic import BaseModel, ValidationError
from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree
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


def _declared_parts(query: type[BaseModel] | None, json: type[BaseModel] | None) -> dict[str, BaseModel]:
    """The request's query and JSON body validated by their models (the body straight from its
    bytes, without building Python objects first); `RequestError` lists every problem."""
    parts: dict[str, BaseModel] = {}
    try:
        if query is not None:
            parts["query"] = query.model_validate(get_multidict_items(request.args, query))
        if json is not None and request.method not in ("GET", "DELETE"):
            parts["json"] = json.model_validate_json(request.get_data() or b"{}")
    except ValidationError as exc:
        raise RequestError.from_validation(exc) from None
    return parts


class _Plugin(FlaskPlugin):
    """spectree's Flask plugin, cut down to what the routes here declare (a query and a JSON
    body, never form fields, headers or cookies): each request part is validated by its model
    and handed to the view, and the response is checked against its model only under
    CHECK_RESPONSES (the tests set it), else made as Flask would make it."""

    def validate(
        self,
        func: Callable[..., Any],
        query: type[BaseModel] | None,
        json: type[BaseModel] | None,
        form: Any,
        headers: Any,
        cookies: Any,
        resp: Response | None,
        before: Any,
        after: Any,
        validation_error_status: int,
        skip_validation: bool,
        force_resp_serialize: bool,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if form or headers or cookies or skip_validation:
            return super().validate(
                func, query, json, form, headers, cookies, resp, before, after,
                validation_error_status, skip_validation, force_resp_serialize, *args, **kwargs,
            )  # fmt: skip
        result = func(*args, **kwargs, **_declared_parts(query, json))
        if not current_app.config["CHECK_RESPONSES"]:
            return make_response(result)
        response, error = super().validate_response(result, resp, False, force_resp_serialize)
        after(request, response, error, None, self.model_adapter)
        return response


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
