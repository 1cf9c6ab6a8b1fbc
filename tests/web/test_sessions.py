"""Sessions on the web with accounts on: login, logout, password change, cookies, throttling."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NOW
from tests.web.support import Clock, collection_of, csrf_token, web_app
from trainer.accounts.users import LOGIN_REFUSED, Accounts

ALICE = ("alice", "violet tractor quantum lemon")
BOB = ("bob", "copper lantern sleepy walrus")


@pytest.fixture
def app(db_url: str, decks_dir: Path, tmp_path: Path, clock: Clock) -> Iterator[Flask]:
    with web_app(db_url, decks_dir, tmp_path / "data", clock, ACCOUNTS=True) as built:
        accounts = Accounts(collection_of(built).engine)
        accounts.create(*ALICE, admin=True, now=NOW)
        accounts.create(*BOB, now=NOW)
        yield built


def log_in(client: FlaskClient, name: str, password: str, address: str = "127.0.0.1") -> int:
    """Post the login form; returns the status."""
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "name": name, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_pages_redirect_to_login_and_the_api_answers_401(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/browse?q=x")
    assert page.status_code == 303 and page.headers["Location"] == "/login?next=/browse?q%3Dx"
    api = client.get("/api/next")
    assert api.status_code == 401 and api.get_json()["error"] == "log in first"
    assert client.get("/login").status_code == 200


def test_login_starts_a_fresh_session_with_a_new_csrf_token(app: Flask) -> None:
    client = app.test_client()
    before = csrf_token(client)
    anonymous_cookie = session_cookie(client)
    response = client.post(
        "/login", data={"csrf_token": before, "name": "alice", "password": ALICE[1], "next": "/browse"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/browse"
    assert session_cookie(client) != anonymous_cookie
    after = csrf_token(client)
    assert after != before
    refused = client.post("/api/undo", headers={"X-CSRFToken": before})
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]
    assert client.get("/api/next").status_code == 200


def test_login_refuses_to_redirect_off_site(app: Flask) -> None:
    client = app.test_client()
    targets = ("//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example")
    for target in (*targets, "/\n/x", "/\r\n/x", " //evil.example", "/\x7f/x", "/\u2028/x"):
        response = client.post(
            "/login",
            data={"csrf_token": csrf_token(client), "name": "alice", "password": ALICE[1], "next": target},
        )
        assert response.headers["Location"] == "/", target


def test_logout_really_ends_the_session(app: Flask) -> None:
    client = app.test_client()
    assert log_in(client, *ALICE) == 303
    stolen = session_cookie(client)
    other_device = app.test_client()
    assert log_in(other_device, *ALICE) == 303
    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 303
    assert client.get("/").status_code == 303
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/").status_code == 303
    assert replay.get("/api/today").status_code == 401
    assert other_device.get("/api/today").status_code == 401


def test_changing_the_password_ends_other_sessions_and_keeps_this_one(app: Flask) -> None:
    here, elsewhere = app.test_client(), app.test_client()
    assert log_in(here, *ALICE) == 303 and log_in(elsewhere, *ALICE) == 303
    new = "marble kettle orange hiking"
    bad = here.post(
        "/account/password",
        data={"csrf_token": csrf_token(here), "current": "wrong one, surely", "new": new, "confirm": new},
    )
    assert bad.status_code == 400 and "is not your current password" in bad.get_data(as_text=True)
    weak = here.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(here),
            "current": ALICE[1],
            "new": "password1234",
            "confirm": "password1234",
        },
    )
    assert weak.status_code == 400 and "leaked" in weak.get_data(as_text=True)
    assert elsewhere.get("/").status_code == 200
    done = here.post(
        "/account/password",
        data={"csrf_token": csrf_token(here), "current": ALICE[1], "new": new, "confirm": new},
    )
    assert done.status_code == 303
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 303
    assert log_in(app.test_client(), *ALICE) == 401
    assert log_in(app.test_client(), "alice", new) == 303


def test_disabling_an_account_ends_its_sessions_at_once(app: Flask) -> None:
    client = app.test_client()
    assert log_in(client, *BOB) == 303
    assert client.get("/").status_code == 200
    Accounts(collection_of(app).engine).set_active("bob", False)
    assert client.get("/").status_code == 303
    assert log_in(app.test_client(), *BOB) == 401


def test_login_errors_do_not_reveal_whether_the_account_exists(app: Flask) -> None:
    bodies = []
    for name, password in [("alice", "a wrong password"), ("nobody-here", "a wrong password")]:
        client = app.test_client()
        response = client.post(
            "/login", data={"csrf_token": csrf_token(client), "name": name, "password": password}
        )
        assert response.status_code == 401
        body = response.get_data(as_text=True)
        assert LOGIN_REFUSED in body
        bodies.append(re.sub(r'(content|value)="[^"]*"', "", body.replace(name, "NAME")))
    assert bodies[0] == bodies[1]


def test_failed_logins_are_throttled_per_client_and_account_with_429(app: Flask, clock: Clock) -> None:
    for _ in range(5):
        assert log_in(app.test_client(), "alice", "not it at all", address="10.0.0.1") == 401
    client = app.test_client()
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "name": "alice", "password": ALICE[1]},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) == 15 * 60 + 1
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert log_in(app.test_client(), *BOB, address="10.0.0.1") == 303
    clock.advance(minutes=15, seconds=1)
    assert log_in(app.test_client(), *ALICE, address="10.0.0.1") == 303


def test_failed_logins_are_throttled_per_address(app: Flask) -> None:
    for i in range(20):
        assert log_in(app.test_client(), f"someone{i}", "not it at all", address="10.7.7.7") == 401
    assert log_in(app.test_client(), *BOB, address="10.7.7.7") == 429
    assert log_in(app.test_client(), *BOB, address="10.7.7.8") == 303


def test_cookie_flags_and_secure_behind_a_tls_proxy(
    db_url: str, decks_dir: Path, tmp_path: Path, clock: Clock
) -> None:
    with web_app(db_url, decks_dir, tmp_path / "data", clock, ACCOUNTS=True, PROXY_FIX=1) as app:
        Accounts(collection_of(app).engine).create(*ALICE, now=NOW)
        plain = app.test_client().get("/api/csrf").headers["Set-Cookie"]
        assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
        proxied = app.test_client().get("/api/csrf", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in proxied.headers["Set-Cookie"]


def test_the_address_comes_from_the_proxy_only_when_configured(app: Flask) -> None:
    for i in range(20):
        log_in(app.test_client(), f"guess{i}", "not it at all", address="10.1.1.1")
    client = app.test_client()
    # Without PROXY_FIX a forged X-Forwarded-For changes nothing: the socket address counts.
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "name": "bob", "password": BOB[1]},
        headers={"X-Forwarded-For": "10.2.2.2"},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )
    assert response.status_code == 429


def test_trusted_hosts(db_url: str, decks_dir: Path, tmp_path: Path, clock: Clock) -> None:
    config = {"ACCOUNTS": True, "TRUSTED_HOSTS": ["trainer.example.org"]}
    with web_app(db_url, decks_dir, tmp_path / "data", clock, **config) as app:
        client = app.test_client()
        assert client.get("/login", headers={"Host": "trainer.example.org"}).status_code == 200
        assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400


def test_sign_up_by_invite_logs_in(app: Flask) -> None:
    code = Accounts(collection_of(app).engine).create_invite(NOW)
    client = app.test_client()
    page = client.get(f"/signup?invite={code}").get_data(as_text=True)
    assert f'value="{code}"' in page
    form = {"csrf_token": csrf_token(client), "name": "dora", "invite": code}
    mismatch = client.post("/signup", data={**form, "password": ALICE[1], "confirm": "other"})
    assert mismatch.status_code == 400 and "does not match" in mismatch.get_data(as_text=True)
    done = client.post("/signup", data={**form, "password": ALICE[1], "confirm": ALICE[1]})
    assert done.status_code == 303
    assert client.get("/").status_code == 200
    again = app.test_client()
    form["csrf_token"] = csrf_token(again)
    used = again.post("/signup", data={**form, "name": "erin", "password": BOB[1], "confirm": BOB[1]})
    assert used.status_code == 400 and "used up or expired" in used.get_data(as_text=True)


def test_open_sign_up_needs_no_invite(db_url: str, decks_dir: Path, tmp_path: Path, clock: Clock) -> None:
    with web_app(db_url, decks_dir, tmp_path / "data", clock, ACCOUNTS=True, OPEN_SIGNUP=True) as app:
        client = app.test_client()
        assert 'name="invite"' not in client.get("/signup").get_data(as_text=True)
        response = client.post(
            "/signup",
            data={"csrf_token": csrf_token(client), "name": "fay", "password": BOB[1], "confirm": BOB[1]},
        )
        assert response.status_code == 303 and client.get("/api/today").status_code == 200


def test_only_an_admin_syncs_the_shared_decks(app: Flask) -> None:
    admin, learner = app.test_client(), app.test_client()
    log_in(admin, *ALICE)
    log_in(learner, *BOB)
    assert learner.post("/decks/sync", data={"csrf_token": csrf_token(learner)}).status_code == 403
    assert admin.post("/decks/sync", data={"csrf_token": csrf_token(admin)}).status_code == 200


def test_without_accounts_loopback_use_stays_login_free(
    db_url: str, decks_dir: Path, tmp_path: Path, clock: Clock
) -> None:
    with web_app(db_url, decks_dir, tmp_path / "data", clock) as app:
        client = app.test_client()
        assert client.get("/").status_code == 200
        assert client.get("/api/next").get_json()["card"] is not None
        for url in ("/login", "/signup", "/account/password"):
            assert client.get(url).status_code == 404
        assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 404
