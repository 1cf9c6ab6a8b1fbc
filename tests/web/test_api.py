"""The JSON API under /api/ and its OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NOW
from tests.web.support import Clock, collection_of, csrf_token
from trainer import Rating
from trainer.study.scheduling import format_interval


@pytest.fixture
def headers(client: FlaskClient) -> dict[str, str]:
    return {"X-CSRFToken": csrf_token(client)}


def _answer(client: FlaskClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/answer", json=body, headers=headers)


def test_next_answer_and_next_again(
    app: Flask, client: FlaskClient, headers: dict[str, str], clock: Clock
) -> None:
    card = client.get("/api/next").get_json()["card"]
    assert card["id"] == "a-fact" and card["kind"] == "fact" and card["reps"] == 0
    assert "Well under 1%" in card["back_html"] and "Accuracy misleads" in card["why_html"]
    expected = [format_interval(p.interval_seconds) for p in collection_of(app).previews("a-fact", now=NOW)]
    # Easy's interval is fuzzed (a few days either way around fsrs's own), the others are not.
    assert [p["interval"] for p in card["previews"]] == expected
    assert expected[:3] == ["1m", "6m", "10m"] and re.fullmatch(r"\d+d", expected[3])
    clock.advance(seconds=5)
    response = _answer(
        client,
        headers,
        card_id=card["id"],
        rating=3,
        request_id=card["request_id"],
        expected_reps=card["reps"],
        duration_ms=4200,
    )
    assert response.status_code == 200
    data = response.get_json()
    assert data["memory"]["reps"] == 1 and data["memory"]["state_name"] == "learning"
    assert data["next"]["id"] == "b-one"
    [entry] = collection_of(app).history()
    assert (entry.card_id, entry.rating, entry.duration_ms) == ("a-fact", Rating.Good, 4200)
    # Drills are mixed into new cards: a domain's second new card is a drill.
    assert client.get("/api/next?domain=alpha").get_json()["card"]["id"] == "a-drill"


def test_a_repeated_answer_is_applied_once(app: Flask, client: FlaskClient, headers: dict[str, str]) -> None:
    card = client.get("/api/next").get_json()["card"]
    body = {"card_id": card["id"], "rating": "Good", "request_id": card["request_id"], "expected_reps": 0}
    first = _answer(client, headers, **body).get_json()
    second = _answer(client, headers, **body).get_json()
    assert first["memory"] == second["memory"]
    assert len(collection_of(app).history()) == 1
    stale = _answer(client, headers, **dict(body, request_id="fresh-request"))
    assert stale.status_code == 409 and "answered elsewhere" in stale.get_json()["error"]
    assert len(collection_of(app).history()) == 1


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"card_id": "nope", "rating": 3}, 404, "no card"),
        ({"card_id": "a-fact", "rating": 5}, 400, "rating must be 1 to 4"),
        ({"card_id": "a-fact", "rating": "Great"}, 400, "rating must be"),
        ({"card_id": "a-fact", "rating": True}, 400, "rating must be"),
        ({"card_id": "a-fact"}, 400, "rating: field required"),
        ({"rating": 3}, 400, "card_id"),
        ({"card_id": "a-fact", "rating": 3, "duration_ms": -1}, 400, "duration_ms"),
        ({"card_id": "a-fact", "rating": 3, "expected_reps": "0"}, 400, "expected_reps"),
        ({"card_id": "a-drill", "rating": 3, "points_ticked": [9]}, 400, "points_ticked"),
        ({"card_id": "a-drill", "rating": 3, "points_ticked": "0"}, 400, "points_ticked"),
        ({"card_id": "a-fact", "rating": 3, "domain": "nope"}, 404, "no deck"),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(
    app: Flask, client: FlaskClient, headers: dict[str, str], body: dict[str, Any], status: int, message: str
) -> None:
    response = _answer(client, headers, **body)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert collection_of(app).history() == []


def test_body_must_be_a_json_object(client: FlaskClient, headers: dict[str, str]) -> None:
    for payload in ("[1, 2]", "not json", "3"):
        response = client.post("/api/answer", data=payload, headers=headers, content_type="application/json")
        assert response.status_code == 400 and "JSON object" in response.get_json()["error"]


def test_drill_points_are_stored(app: Flask, client: FlaskClient, headers: dict[str, str]) -> None:
    assert _answer(client, headers, card_id="a-drill", rating=2, points_ticked=[1, 3]).status_code == 200
    [entry] = collection_of(app).history("a-drill")
    assert entry.points_ticked == (1, 3)
    suggestion = client.get("/api/rubric/suggest?ticked=2&total=4").get_json()
    assert suggestion == {"rating": 2, "name": "Hard", "reasons": ["2 of 4 core points"], "coverage": 0.5}
    assert client.get("/api/rubric/suggest?ticked=5&total=4").status_code == 400


def test_undo_suspend_bury(app: Flask, client: FlaskClient, headers: dict[str, str]) -> None:
    col = collection_of(app)
    assert client.post("/api/undo", headers=headers).status_code == 409
    _answer(client, headers, card_id="b-one", rating=1)
    response = client.post("/api/undo", headers=headers).get_json()
    assert (response["card_id"], response["action"], response["next"]["id"]) == ("b-one", "answer", "b-one")
    assert col.history() == []
    assert client.get("/api/next").get_json()["card"]["id"] == "b-one"
    assert client.post("/api/suspend", json={"card_id": "a-fact"}, headers=headers).status_code == 200
    assert col.card("a-fact").memory.suspended
    client.post("/api/suspend", json={"card_id": "a-fact", "suspended": False}, headers=headers)
    assert not col.card("a-fact").memory.suspended
    assert client.post("/api/bury", json={"card_id": "a-fact"}, headers=headers).get_json()["buried"]
    # The undone b-one is still first until it is answered, suspended or buried.
    assert client.get("/api/next").get_json()["card"]["id"] == "b-one"
    client.post("/api/bury", json={"card_id": "b-one"}, headers=headers)
    assert client.get("/api/next").get_json()["card"]["id"] == "a-cloze"
    assert client.post("/api/undo", headers=headers).get_json()["card_id"] == "b-one"
    assert client.post("/api/bury", json={"card_id": "zzz"}, headers=headers).status_code == 404
    undone = client.post("/api/undo", headers=headers).get_json()
    assert (undone["card_id"], undone["action"], undone["next"]["id"]) == ("a-fact", "bury", "a-fact")


def test_missing_csrf_token_is_a_json_400_and_nothing_changes(app: Flask, client: FlaskClient) -> None:
    response = client.post("/api/answer", json={"card_id": "a-fact", "rating": 3})
    assert response.status_code == 400
    assert "CSRF" in response.get_json()["error"]
    assert collection_of(app).history() == []


def test_stats_today_cards(app: Flask, client: FlaskClient, headers: dict[str, str]) -> None:
    stats = client.get("/api/stats/domains").get_json()
    assert [row["domain"] for row in stats] == ["alpha", "beta"]
    assert stats[0]["cards"] == 3 and stats[0]["retention_30d"] is None
    today = client.get("/api/today").get_json()
    assert (today["new"], today["learning"], today["review"]) == (6, 0, 0)
    assert today["domains"]["beta"] == {"new": 3, "learning": 0, "review": 0}
    assert today["minutes"] == 6.0
    found = client.get("/api/cards?q=beta&state=new&limit=2").get_json()
    assert found["total"] == 3 and [c["id"] for c in found["cards"]] == ["b-one", "b-two"]
    assert client.get("/api/cards?state=bogus").status_code == 400
    assert client.get(f"/api/cards?offset={2**63}").status_code == 400
    assert client.get(f"/browse?page={2**63}").status_code == 200
    one = client.get("/api/cards/a-drill").get_json()
    assert one["card"]["points"][0] == "Prices both errors" and one["retrievability"] == 0.0
    assert client.get("/api/cards/zzz").status_code == 404


def test_openapi_document_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    described = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            served |= {(path, m) for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    assert described == served
