"""Cookies and CSRF tokens verified once are remembered, and trusted only as far as a full check
would trust them: the token must match this session's, a tampered or expired one is refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask
import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

import web.security
from tests.web.support import collection_of, csrf_token, web_app
from web.memo import BoundedMemo

BODY = {"card_id": "a-fact", "rating": 3}


@pytest.fixture
def app(sqlite_url: str, decks_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    with web_app(sqlite_url, decks_dir, tmp_path / "data") as built:
        yield built


def _reviews(app: Flask) -> int:
    return len(collection_of(app).history())


def _answer(client: FlaskClient, token: str, **extra: Any) -> int:
    response = client.post("/api/answer", json=BODY, headers={"X-CSRFToken": token}, **extra)
    return response.status_code


def _remembered(client: FlaskClient, app: Flask) -> str:
    """A token that has been accepted (and so remembered) twice for this client's session."""
    token = csrf_token(client)
    assert _answer(client, token) == 200
    assert client.post("/api/undo", headers={"X-CSRFToken": token}).status_code == 200
    assert _reviews(app) == 0
    return token


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + seconds)


def test_a_remembered_token_is_refused_with_another_session(app: Flask) -> None:
    token = _remembered(app.test_client(), app)
    other = app.test_client()
    csrf_token(other)
    assert _answer(other, token) == 400
    assert _answer(app.test_client(), token) == 400
    assert _reviews(app) == 0


def test_a_tampered_token_is_refused_after_the_real_one_was_remembered(app: Flask) -> None:
    client = app.test_client()
    token = _remembered(client, app)
    assert _answer(client, token[:-2] + ("xx" if not token.endswith("xx") else "yy")) == 400
    assert _answer(client, "") == 400
    assert _reviews(app) == 0


def test_over_tls_a_remembered_token_still_needs_the_referrer(app: Flask) -> None:
    client = app.test_client()
    token = _remembered(client, app)
    assert _answer(client, token, base_url="https://localhost") == 400
    referred = client.post(
        "/api/answer",
        json=BODY,
        base_url="https://localhost",
        headers={"X-CSRFToken": token, "Referer": "https://localhost/review"},
    )
    assert referred.status_code == 200
    assert _reviews(app) == 1


def test_with_a_time_limit_a_remembered_token_still_expires(
    sqlite_url: str, decks_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with web_app(sqlite_url, decks_dir, tmp_path / "data", WTF_CSRF_TIME_LIMIT=600) as app:
        client = app.test_client()
        token = _remembered(client, app)
        _later(monkeypatch, 3600)
        assert _answer(client, token) == 400
        assert _reviews(app) == 0


def test_a_remembered_session_cookie_still_expires(
    sqlite_url: str, decks_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with web_app(
        sqlite_url, decks_dir, tmp_path / "data", PERMANENT_SESSION_LIFETIME=timedelta(hours=1)
    ) as app:
        client = app.test_client()
        token = _remembered(client, app)
        _later(monkeypatch, 2 * 3600)
        assert _answer(client, token) == 400
        assert _reviews(app) == 0


def test_a_tampered_session_cookie_opens_an_empty_session(app: Flask) -> None:
    client = app.test_client()
    token = _remembered(client, app)
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value[:-2] + ("xx" if not cookie.value.endswith("xx") else "yy"))
    assert _answer(client, token) == 400
    with client.session_transaction() as opened:
        assert dict(opened) == {}
    assert _reviews(app) == 0


def test_changing_a_remembered_session_does_not_change_the_cookie_it_came_from(app: Flask) -> None:
    client = app.test_client()
    with client.session_transaction() as opened:
        opened["items"] = [1]
    cookie = client.get_cookie("session")
    assert cookie is not None
    for _ in range(2):
        client.set_cookie("session", cookie.value)
        with client.session_transaction() as opened:
            assert opened["items"] == [1]
            opened["items"].append(2)
            opened["extra"] = True


def test_a_bounded_memo_forgets_everything_when_full() -> None:
    memo: BoundedMemo[str, int] = BoundedMemo(limit=2)
    memo.remember("a", 1)
    memo.remember("b", 2)
    assert (memo.get("a"), memo.get("b"), len(memo)) == (1, 2, 2)
    memo.remember("c", 3)
    assert (memo.get("a"), memo.get("b"), memo.get("c"), len(memo)) == (None, None, 3, 1)


def test_a_remembered_token_and_cookie_are_not_verified_again(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    token = _remembered(client, app)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("verified again")

    monkeypatch.setattr(web.security, "validate_csrf", refuse)
    monkeypatch.setattr(URLSafeTimedSerializer, "loads", refuse)
    assert _answer(client, token) == 200
    assert _reviews(app) == 1


def test_an_unchanged_session_sets_no_cookie_and_varies_on_cookie(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/api/undo", headers={"X-CSRFToken": token})
    assert response.status_code == 409  # nothing to undo yet
    assert response.headers["Vary"] == "Cookie"
    assert "Set-Cookie" not in response.headers
    with app.test_request_context():
        interface = app.session_interface
        session = interface.open_session(app, flask.request)
        assert session is not None
        session["csrf_token"] = "x"
        session.modified = False
        session.accessed = True
        varied = flask.Response(headers={"Vary": "Accept-Encoding"})
        interface.save_session(app, session, varied)
        assert varied.headers["Vary"] == "Accept-Encoding, Cookie"
        assert "Set-Cookie" not in varied.headers


def test_a_form_token_is_checked_first_as_flask_wtf_does(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    for _ in range(2):  # before and after the header token is remembered
        refused = client.post("/api/undo", data={"csrf_token": "bogus"}, headers={"X-CSRFToken": token})
        assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
        assert client.post("/api/undo", headers={"X-CSRFToken": token}).status_code == 409


def test_changing_a_session_first_opened_does_not_change_what_its_cookie_opens(app: Flask) -> None:
    client = app.test_client()
    with client.session_transaction() as opened:
        opened["items"] = [1]
    cookie = client.get_cookie("session")
    assert cookie is not None
    interface = app.session_interface
    for _ in range(2):  # the first open remembers the cookie, the second comes from the memo
        request = flask.Request.from_values(headers={"Cookie": f"session={cookie.value}"})
        session = interface.open_session(app, request)
        assert session is not None and session["items"] == [1]
        session["items"].append(2)
