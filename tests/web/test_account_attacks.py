"""Attacks on accounts over HTTP: guessing passwords and invites, racing the throttle, locking
others out, and taking over a learner by signing up under their name."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import NOW
from tests.web.support import Clock, collection_of, csrf_token, web_app
from tests.web.test_sessions import ALICE, BOB, log_in
from trainer import Collection
from trainer.accounts import passwords
from trainer.accounts.users import Accounts


@pytest.fixture
def app(db_url: str, decks_dir: Path, tmp_path: Path, clock: Clock) -> Iterator[Flask]:
    with web_app(db_url, decks_dir, tmp_path / "data", clock, ACCOUNTS=True) as built:
        accounts = Accounts(collection_of(built).engine)
        accounts.create(*ALICE, admin=True, now=NOW)
        accounts.create(*BOB, now=NOW)
        yield built


def sign_up(app: Flask, name: str, password: str, invite: str, address: str = "10.5.5.5") -> tuple[int, str]:
    client = app.test_client()
    form = {"csrf_token": csrf_token(client), "name": name, "invite": invite}
    response = client.post(
        "/signup",
        data={**form, "password": password, "confirm": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code, response.get_data(as_text=True)


def test_five_wrong_passwords_do_not_lock_the_owner_out(app: Flask, clock: Clock) -> None:
    for _ in range(5):
        assert log_in(app.test_client(), "alice", "not it at all", address="10.0.0.66") == 401
    clock.advance(seconds=1)
    assert log_in(app.test_client(), *ALICE, address="10.0.0.1") == 303
    client = app.test_client()
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "name": "alice", "password": ALICE[1]},
        environ_base={"REMOTE_ADDR": "10.0.0.66"},
    )
    assert response.status_code == 429 and int(response.headers["Retry-After"]) == 15 * 60
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_concurrent_guesses_get_at_most_five_password_checks(app: Flask) -> None:
    def guess(_: int) -> int:
        return log_in(app.test_client(), "alice", "a guess at the password", address="10.0.0.77")

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(guess, range(30)))
    assert statuses.count(401) == 5 and statuses.count(429) == 25, statuses


def test_the_current_password_check_is_throttled(app: Flask, clock: Clock) -> None:
    client = app.test_client()
    assert log_in(client, *ALICE) == 303
    form = {"csrf_token": csrf_token(client), "new": BOB[1] + " x", "confirm": BOB[1] + " x"}
    for _ in range(5):
        assert client.post("/account/password", data={**form, "current": "a wrong guess"}).status_code == 400
    throttled = client.post("/account/password", data={**form, "current": ALICE[1]})
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    assert "Too many failed attempts" in throttled.get_data(as_text=True)
    clock.advance(seconds=1)
    assert log_in(app.test_client(), *ALICE, address="10.0.0.2") == 303


def test_sign_up_checks_the_invite_first_and_throttles_guesses(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[str] = []
    real_hash = passwords.hash_password
    monkeypatch.setattr(passwords, "hash_password", lambda p: hashed.append(p) or real_hash(p))
    for i in range(20):
        status, page = sign_up(app, "alice", "correct horse battery staple", f"guess-{i}")
        assert status == 400 and "unknown, used up or expired" in page
        assert "taken" not in page and "password" not in page.split("</h1>", 1)[-1].split("<form")[0]
    assert hashed == []
    code = Accounts(collection_of(app).engine).create_invite(NOW)
    status, page = sign_up(app, "dora", ALICE[1] + " two", code)
    assert status == 429 and "Too many failed attempts" in page
    assert sign_up(app, "dora", ALICE[1] + " two", code, address="10.6.6.6")[0] == 303


def test_sign_up_cannot_take_over_a_learner_without_a_password(app: Flask) -> None:
    url = collection_of(app).engine.url.render_as_string(hide_password=False)
    with Collection.open(url, user="carol") as carol:
        carol.answer("a-fact", 3, now=NOW)
    code = Accounts(collection_of(app).engine).create_invite(NOW, uses=2)
    status, page = sign_up(app, "carol", ALICE[1] + " three", code)
    assert status == 400 and "already taken" in page
    carol_now = Accounts(collection_of(app).engine).get("carol")
    assert not carol_now.has_password
    assert sign_up(app, "carla", ALICE[1] + " three", code)[0] == 303
