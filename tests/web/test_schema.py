"""Schemathesis against /api/openapi.json: generated requests never get a 5xx and every
response matches the documented status codes, content types and schemas."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import FIXTURE_DECKS
from tests.web.support import web_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("schema")
    with web_app(f"sqlite:///{folder / 'trainer.db'}", FIXTURE_DECKS, folder / "data") as app:
        yield app


@pytest.fixture(scope="module")
def api_schema(api_app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", api_app)


@pytest.fixture(scope="module")
def session(api_app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    """A CSRF header and the session cookie it belongs to, so state-changing calls get through."""
    client = api_app.test_client()
    response = client.get("/api/csrf")
    cookie = SimpleCookie(response.headers["Set-Cookie"])
    cookies = {key: morsel.value for key, morsel in cookie.items()}
    return {"X-CSRFToken": response.get_json()["csrf_token"]}, cookies


def _fuzz(operation: Any, headers: dict[str, str], cookies: dict[str, str], seen: set[int]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def call(case: Any) -> None:
        response = case.call_and_validate(headers=headers, cookies=cookies, checks=CHECKS)
        seen.add(response.status_code)

    call()


def test_api_conforms_to_its_openapi_document(
    api_schema: Any, session: tuple[dict[str, str], dict[str, str]]
) -> None:
    headers, cookies = session
    statuses: dict[str, set[int]] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        _fuzz(operation, headers, cookies, statuses.setdefault(operation.label, set()))
    assert {"GET /api/next", "POST /api/answer", "POST /api/undo", "GET /api/stats/domains"} <= set(statuses)
    # A 400 is also what a missing CSRF token gets; a 404 or 409 proves the calls reached the handler.
    assert statuses["POST /api/answer"] - {400}, "no generated answer got past the CSRF check"


def test_documented_posts_are_reached_with_the_token(
    api_app: Flask, session: tuple[dict[str, str], dict[str, str]]
) -> None:
    headers, cookies = session
    client = api_app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    response = client.post(
        "/api/answer",
        json={"card_id": "b-two", "rating": 3, "request_id": "schema-check"},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
