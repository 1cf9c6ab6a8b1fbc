"""The drill fields of the JSON API: card JSON (variant, style, rubric lists, follow-ups),
the rubric suggestion, and answers with their marks and typed answer, all validated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NOW, REPO_DECKS
from tests.web.support import Clock, collection_of, csrf_token, web_app
from trainer import Collection, Rating


@pytest.fixture
def drill_app(db_url: str, drill_decks_dir: Path, tmp_path: Path, clock: Clock) -> Iterator[Flask]:
    with web_app(db_url, drill_decks_dir, tmp_path / "data", clock) as built:
        col = collection_of(built)
        for study in col.cards():
            if study.card.deck != "drills":
                col.suspend(study.id)
        yield built


@pytest.fixture
def api(drill_app: Flask) -> FlaskClient:
    return drill_app.test_client()


def test_next_card_json_for_drills_and_facts(drill_app: Flask, api: FlaskClient) -> None:
    col = collection_of(drill_app)
    for card_id in ("d-story", "d-design"):
        col.suspend(card_id)
    card = api.get("/api/next").get_json()["card"]
    assert card["id"] == "d-framing" and card["variant"] == 0 and card["style"] == "framing"
    assert "patient alerts" in card["front_html"] and "Recall at a bounded alert rate." in card["back_html"]
    col.suspend("d-framing")
    col.suspend("a-fact", suspended=False)
    fact = api.get("/api/next").get_json()["card"]
    assert fact["id"] == "a-fact" and fact["style"] is None and fact["variant"] == 0
    assert fact["red_flags"] == [] and fact["follow_ups"] == [] and fact["prompt"] == "How rare is fraud?"


def test_card_json_carries_the_variant_shown_and_its_rubric(drill_app: Flask, api: FlaskClient) -> None:
    card = api.get("/api/cards/d-framing").get_json()["card"]
    assert (card["style"], card["time_target_s"], card["variant"]) == ("framing", 60, 0)
    assert card["prompt"] == "Which metric matters more in patient alerts, and why?"
    assert card["optional"] == ["Mentions alarm fatigue", "Names PPV at the budget"]
    assert card["red_flags"] == ["Leads with accuracy", "Ignores the base rate"]
    assert card["follow_ups"][0] == {
        "prompt": "The alert rate doubles overnight. What do you check?",
        "answer": "Drift in the inputs first.",
    }
    collection_of(drill_app).answer("d-framing", Rating.Good, now=NOW)
    shown = api.get("/api/cards/d-framing").get_json()["card"]
    assert shown["variant"] == 1 and shown["prompt"].startswith("The ward has one nurse per 30 beds")
    assert shown["points"] == ["Names precision at k", "Ties k to nurse capacity"]
    assert shown["red_flags"] == ["Ignores nurse capacity"]
    assert shown["answer"] == "Precision at the top of the list."


def _post_answer(api: FlaskClient, **body: object) -> Any:
    return api.post("/api/answer", json=body, headers={"X-CSRFToken": csrf_token(api)})


def test_the_rubric_suggestion_follows_the_drill_and_its_variant(drill_app: Flask, api: FlaskClient) -> None:
    got = api.get("/api/rubric/suggest?card_id=d-framing&ticked=0,1,2,3&optional=0&flags=0&duration_ms=5000")
    assert got.status_code == 200
    assert got.get_json() | {"coverage": None} == {
        "rating": 2,
        "name": "Hard",
        "reasons": ["4 of 4 core points", "1 of 2 optional points", "red flag: Leads with accuracy"],
        "coverage": None,
    }
    slow = api.get("/api/rubric/suggest?card_id=d-framing&ticked=0,1,2&duration_ms=200000").get_json()
    assert slow["name"] == "Hard" and slow["reasons"][-1] == "200 s against a 60 s target"
    collection_of(drill_app).answer("d-framing", Rating.Good, now=NOW)
    variant = api.get("/api/rubric/suggest?card_id=d-framing&ticked=0,1").get_json()
    # Variant 1 has two core points of its own and keeps the base's two optional points.
    assert variant["name"] == "Good" and variant["reasons"] == [
        "2 of 2 core points",
        "0 of 2 optional points",
    ]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("card_id=d-framing&ticked=4", "points_ticked"),
        ("card_id=d-framing&ticked=0&optional=2", "optional_ticked"),
        ("card_id=d-design&ticked=0&flags=0", "flags_raised"),
        ("card_id=d-framing&ticked=a", "ticked"),
        ("card_id=a-fact&ticked=0", "only a drill"),
    ],
)
def test_a_suggestion_for_marks_that_do_not_fit_is_a_400(api: FlaskClient, query: str, reason: str) -> None:
    response = api.get(f"/api/rubric/suggest?{query}")
    assert response.status_code == 400
    assert reason in json.dumps(response.get_json())


def test_an_answer_keeps_its_marks_and_typed_answer(drill_app: Flask, api: FlaskClient) -> None:
    response = _post_answer(
        api,
        card_id="d-framing",
        rating=2,
        points_ticked=[0, 1],
        optional_ticked=[1],
        flags_raised=[0],
        follow_ups_done=[0],
        typed_answer="Recall, at an alert rate nurses can carry.",
    )
    assert response.status_code == 200
    [entry] = collection_of(drill_app).history("d-framing")
    assert (entry.points_ticked, entry.optional_ticked, entry.flags_raised) == ((0, 1), (1,), (0,))
    assert entry.typed_answer == "Recall, at an alert rate nurses can carry." and entry.variant == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"card_id": "d-framing", "points_ticked": [4]}, "points_ticked"),
        ({"card_id": "d-framing", "optional_ticked": [2]}, "optional_ticked"),
        ({"card_id": "d-design", "points_ticked": [0], "flags_raised": [0]}, "flags_raised"),
        ({"card_id": "d-framing", "typed_answer": "x" * 20_001}, "typed_answer"),
        ({"card_id": "d-framing", "flags_raised": [-1]}, "flags_raised"),
    ],
)
def test_an_answer_with_marks_that_do_not_fit_is_refused_and_nothing_recorded(
    drill_app: Flask, api: FlaskClient, body: dict[str, Any], reason: str
) -> None:
    response = _post_answer(api, rating=3, **body)
    assert response.status_code == 400
    assert reason in json.dumps(response.get_json())
    assert collection_of(drill_app).history() == []


def test_the_openapi_document_declares_the_drill_fields(api: FlaskClient) -> None:
    document = json.dumps(api.get("/api/openapi.json").get_json())
    for name in ("red_flags", "follow_ups", "time_target_s", "typed_answer", "flags_raised", "reasons"):
        assert f'"{name}"' in document


def test_a_first_session_through_the_api_with_the_bundled_decks_includes_drills(
    sqlite_url: str, tmp_path: Path, clock: Clock
) -> None:
    with web_app(sqlite_url, REPO_DECKS, tmp_path / "data", clock) as app:
        client = app.test_client()
        kinds = []
        for _ in range(20):
            card = client.get("/api/next").get_json()["card"]
            kinds.append(card["kind"])
            answered = _post_answer(client, card_id=card["id"], rating=4, request_id=card["request_id"])
            assert answered.status_code == 200
    # File order alone puts every deck's facts first: no drill among the first 20 cards.
    assert kinds.count("drill") >= 3, kinds


def test_a_learners_own_story_is_read_and_written_through_the_api(
    drill_app: Flask, api: FlaskClient, db_url: str
) -> None:
    assert api.get("/api/cards/d-story/story").get_json() == {"card_id": "d-story", "story": None}
    story = "I led the triage model; alerts per nurse fell from 40 to 12 (ward audit)."
    headers = {"X-CSRFToken": csrf_token(api)}
    saved = api.post("/api/cards/d-story/story", json={"story": f"  {story}\n"}, headers=headers)
    assert saved.status_code == 200 and saved.get_json() == {"card_id": "d-story", "story": story}
    assert api.get("/api/cards/d-story/story").get_json()["story"] == story
    col = collection_of(drill_app)
    for other in ("d-framing", "d-design"):
        col.suspend(other)
    shown = api.get("/api/next").get_json()["card"]
    assert (shown["id"], shown["style"], shown["story"]) == ("d-story", "story", story)
    # Refused with the reason, and nothing saved: not a story drill, empty, too long, no CSRF.
    for card_id, body in (
        ("d-framing", {"story": "x"}),
        ("d-story", {"story": "   "}),
        ("d-story", {"story": "x" * 20_001}),
        ("d-story", {}),
    ):
        refused = api.post(f"/api/cards/{card_id}/story", json=body, headers=headers)
        assert refused.status_code == 400 and refused.get_json()["problems"], (card_id, body)
    assert api.post("/api/cards/d-story/story", json={"story": "x"}).status_code in (400, 403)
    assert api.post("/api/cards/no-such-card/story", json={"story": "x"}, headers=headers).status_code == 404
    assert col.story("d-story") == story and col.story("d-framing") is None
    # The learner's alone: another learner on the same database has none.
    with Collection.open(db_url, user="another") as other:
        assert other.story("d-story") is None
    paths = api.get("/api/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/cards/{card_id}/story"])
