"""The API's declared models: every field of every route refuses a wrong type with a 400 naming it,
every problem is reported at once, and the review page's answer form is validated by the same model."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient

from tests.web.support import collection_of, csrf_token

# A value of the wrong JSON type for each declared type.
WRONG_JSON = {"integer": "seven", "number": "seven", "string": 12345, "boolean": "yes", "array": "seven"}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return _resolve(document, document["components"]["schemas"][name])
    return schema


def _types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema accepts besides null (a rating is an integer or a name)."""
    if "type" in schema:
        return {schema["type"]} - {"null"}
    return {t for option in schema.get("anyOf", []) + schema.get("oneOf", []) for t in _types(option)}


def _wrong_json(schema: dict[str, Any]) -> Any:
    accepted = _types(schema)
    if len(accepted) > 1:
        return []  # a rating: a number or a name, never a list
    [kind] = accepted
    return WRONG_JSON[kind]


def _problem_fields(response: Any) -> set[str | None]:
    return {problem["field"] for problem in response.get_json()["problems"]}


def test_a_wrong_type_in_any_field_of_any_route_is_a_400_naming_that_field(
    app: Flask, client: FlaskClient
) -> None:
    document = client.get("/api/openapi.json").get_json()
    headers = {"X-CSRFToken": csrf_token(client)}
    tried: set[tuple[str, str]] = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if parameter["in"] != "query" or (_types(schema) == {"string"} and "enum" not in schema):
                    continue  # free text in a query string has no wrong type
                response = client.open(
                    f"{path}?{urlencode({parameter['name']: 'seven'})}", method=method, headers=headers
                )
                assert response.status_code == 400, (path, parameter["name"])
                assert parameter["name"] in _problem_fields(response), (path, parameter["name"])
                tried.add((path, parameter["name"]))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            for name, schema in _resolve(document, body["schema"])["properties"].items():
                response = client.open(path, method=method, json={name: _wrong_json(schema)}, headers=headers)
                assert response.status_code == 400, (path, name)
                assert name in _problem_fields(response), (path, name, response.get_json())
                tried.add((path, name))
    assert collection_of(app).history() == []
    expected = {"card_id", "rating", "request_id", "expected_reps", "duration_ms", "points_ticked", "domain"}
    assert {("/api/answer", name) for name in expected} <= tried
    assert {("/api/cards", "limit"), ("/api/cards", "state"), ("/api/rubric/suggest", "ticked")} <= tried
    assert ("/api/suspend", "suspended") in tried


def test_every_problem_in_a_request_is_reported_at_once(client: FlaskClient) -> None:
    body = {"card_id": "", "rating": 9, "expected_reps": -1, "duration_ms": 1.5, "points_ticked": [0, "x"]}
    response = client.post("/api/answer", json=body, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 400
    data = response.get_json()
    assert _problem_fields(response) == {"card_id", "rating", "expected_reps", "duration_ms", "points_ticked"}
    assert data["error"].startswith("invalid request: ") and "rating must be 1 to 4" in data["error"]
    assert any(p["message"].startswith("item 1: ") for p in data["problems"] if p["field"] == "points_ticked")
    suggest = client.get("/api/rubric/suggest?ticked=5&total=4")
    assert suggest.status_code == 400 and _problem_fields(suggest) == {"total"}


def test_the_review_form_is_validated_by_the_answer_model(app: Flask, client: FlaskClient) -> None:
    form = {
        "csrf_token": csrf_token(client),
        "card_id": "a-drill",
        "rating": "4",
        "drill": "1",
        "points": ["0", "two"],
        "expected_reps": "none",
        "duration_ms": "soon",
    }
    response = client.post("/review/answer", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for field in ("points_ticked", "expected_reps", "duration_ms"):
        assert f"{field}: " in page, field
    assert collection_of(app).history() == []
    good = dict(form, points=["0", "2"], expected_reps="0", duration_ms="4000")
    assert client.post("/review/answer", data=good).status_code == 303
    [entry] = collection_of(app).history()
    assert entry.points_ticked == (0, 2) and entry.duration_ms == 4000


def test_the_review_pages_rubric_is_validated_by_its_model_naming_each_field(client: FlaskClient) -> None:
    """/review/suggest (the drill rubric's JSON for app.js) refuses a wrong type in each field of
    `SuggestQuery` with a 400 in the API's `Error` shape, and a missing card_id too."""
    from web.schemas import SuggestQuery

    good = {"card_id": "a-drill", "ticked": "0", "optional": "", "flags": "", "duration_ms": "4000"}
    assert set(good) == set(SuggestQuery.model_fields)
    assert client.get(f"/review/suggest?{urlencode(good)}").get_json()["rating"] in (1, 2, 3, 4)
    for name in ("ticked", "optional", "flags", "duration_ms"):
        response = client.get(f"/review/suggest?{urlencode(dict(good, **{name: 'seven'}))}")
        assert response.status_code == 400, name
        assert _problem_fields(response) == {name}, name
    missing = client.get("/review/suggest?ticked=0")
    assert missing.status_code == 400 and _problem_fields(missing) == {"card_id"}
    # The time the page counted is brought into 0 to a day, as for the answer form.
    late = client.get(f"/review/suggest?{urlencode(dict(good, duration_ms=str(10**12)))}")
    assert late.status_code == 200


def test_the_card_pages_suspend_and_the_review_pages_bury_use_the_apis_models(client: FlaskClient) -> None:
    refused = client.post(
        "/cards/a-drill/suspend", data={"csrf_token": csrf_token(client), "suspended": "maybe"}
    )
    assert refused.status_code == 400 and "suspended: " in refused.get_data(as_text=True)
    unknown = client.post("/review/bury", data={"csrf_token": csrf_token(client)})
    assert unknown.status_code == 400 and "card_id: " in unknown.get_data(as_text=True)
    done = client.post("/cards/a-drill/suspend", data={"csrf_token": csrf_token(client), "suspended": "1"})
    assert done.status_code == 303


def test_responses_are_checked_against_their_models_when_the_app_asks(
    app: Flask, client: FlaskClient, monkeypatch: Any
) -> None:
    """The tests' apps check every response (CHECK_RESPONSES): one that does not fit its model is
    a 500. A served app leaves responses as the views made them."""
    import web.api

    monkeypatch.setattr(web.api, "memory_json", lambda memory: {"state": "not a number"})
    headers = {"X-CSRFToken": csrf_token(client)}
    card = client.get("/api/next").get_json()["card"]
    body = {"card_id": card["id"], "rating": 3}
    assert client.post("/api/answer", json=body, headers=headers).status_code == 500
    app.config["CHECK_RESPONSES"] = False
    served = client.post("/api/answer", json=body, headers=headers)
    assert served.status_code == 200 and served.get_json()["memory"] == {"state": "not a number"}
