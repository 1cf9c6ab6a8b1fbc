"""Requests an attacker crafts: NUL characters anywhere, and one answer sent many times at once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import NOW
from tests.web.support import Clock, collection_of, csrf_token, web_app
from trainer.accounts.users import Accounts


def test_nul_characters_are_refused_with_400_everywhere(app: Flask) -> None:
    client = app.test_client()
    headers = {"X-CSRFToken": csrf_token(client)}
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/api/answer", {"json": {"card_id": "a-fa\x00ct", "rating": 3}}),
        ("POST", "/api/answer", {"json": {"card_id": "a-fact", "rating": 3, "request_id": "r\x00"}}),
        ("GET", "/browse?q=%00", {}),
        ("GET", "/api/next?domain=al%00pha", {}),
        ("GET", "/cards/a-fact%00", {}),
        ("POST", "/review/answer", {"data": {"csrf_token": headers["X-CSRFToken"], "card_id": "a\x00"}}),
    ]
    for method, url, extra in requests:
        response = client.open(url, method=method, headers=headers, **extra)
        assert response.status_code == 400, (url, response.status_code)
        assert "NUL character" in response.get_data(as_text=True), url
    assert collection_of(app).history() == []


@pytest.fixture
def accounts_app(db_url: str, decks_dir: Path, tmp_path: Path, clock: Clock) -> Iterator[Flask]:
    with web_app(db_url, decks_dir, tmp_path / "data", clock, ACCOUNTS=True) as built:
        Accounts(collection_of(built).engine).create("alice", "violet tractor quantum lemon", now=NOW)
        yield built


def test_a_nul_character_in_a_login_name_is_refused_with_400(accounts_app: Flask) -> None:
    client = accounts_app.test_client()
    form = {"csrf_token": csrf_token(client), "name": "ali\x00ce", "password": "whatever it is"}
    response = client.post("/login", data=form)
    assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True)


@pytest.mark.parametrize("expected_reps", [None, 0])
def test_concurrent_repeats_of_one_answer_all_get_the_first_result(
    app: Flask, expected_reps: int | None
) -> None:
    first_client = app.test_client()
    token = csrf_token(first_client)
    cookie = first_client.get_cookie("session")
    assert cookie is not None
    body: dict[str, Any] = {"card_id": "a-fact", "rating": 3, "request_id": "answer-once"}
    if expected_reps is not None:
        body["expected_reps"] = expected_reps

    def send(_: int) -> tuple[int, Any]:
        client = app.test_client()
        client.set_cookie("session", cookie.value)
        response = client.post("/api/answer", json=body, headers={"X-CSRFToken": token})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(send, range(20)))
    assert [status for status, _ in results] == [200] * 20, results
    assert len({repr(reply["memory"]) for _, reply in results}) == 1
    assert len(collection_of(app).history()) == 1


def test_one_request_id_sent_for_different_cards_answers_one_and_refuses_the_rest(app: Flask) -> None:
    """Concurrent answers to four cards under one request_id: one is recorded, the others get
    409 naming the card that request answered (on PostgreSQL each holds its own card's lock,
    so the repeats reach the unique request_id)."""
    first_client = app.test_client()
    token = csrf_token(first_client)
    cookie = first_client.get_cookie("session")
    assert cookie is not None
    cards = ["a-fact", "b-one", "b-two", "b-three"] * 3

    def send(card_id: str) -> tuple[int, Any]:
        client = app.test_client()
        client.set_cookie("session", cookie.value)
        body = {"card_id": card_id, "rating": 3, "request_id": "shared-id"}
        response = client.post("/api/answer", json=body, headers={"X-CSRFToken": token})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=len(cards)) as pool:
        results = list(pool.map(send, cards))
    history = collection_of(app).history()
    assert len(history) == 1
    answered = history[0].card_id
    for card_id, (status, reply) in zip(cards, results, strict=True):
        if card_id == answered:
            assert status == 200, reply
        else:
            assert status == 409, (card_id, status, reply)
            assert answered in reply["error"]
