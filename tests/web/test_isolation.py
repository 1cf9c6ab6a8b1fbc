"""Isolation: with accounts on, every route and API endpoint, walked as learner A, neither shows
nor changes learner B's card states, reviews or settings, whatever A puts in the request.

Cards are shared content, so a URL names a card, never a learner's state of it: A's request for
a card shows A's own state. Unknown cards are 404 everywhere, and nothing takes a learner from
the request (the walk adds B's id and name to every request to prove it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NOW
from tests.web.support import Clock, collection_of, csrf_token, web_app
from tests.web.test_sessions import log_in
from trainer import Collection, Settings
from trainer.accounts.users import Accounts
from web.preferences import form_values

A = ("alice", "violet tractor quantum lemon")
B = ("bobbington", "copper lantern sleepy walrus")
B_ZONE = "Pacific/Chatham"
A_ZONE = "Europe/Berlin"
REVIEWED, SUSPENDED = "a-fact", "b-one"
# Settings suggests every time zone name; that public list holds B's zone too.
ZONE_SUGGESTIONS = re.compile(r'<datalist id="zone-names">.*?</datalist>', re.DOTALL)
B_REQUEST = "b-second-answer"
# B's own card: its answer holds B's zone, so any page that shows it to A fails the walk.
B_OWN = "copper-secret-plan"


@pytest.fixture
def app(db_url: str, decks_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    with web_app(db_url, decks_dir, tmp_path / "data", Clock(), ACCOUNTS=True) as built:
        accounts = Accounts(collection_of(built).engine)
        accounts.create(*A, now=NOW)
        accounts.create(*B, now=NOW)
        yield built


def learner_collection(app: Flask, name: str) -> Collection:
    account = Accounts(collection_of(app).engine).get(name)
    return Collection(collection_of(app).engine, account.id, account.name)


def b_collection(app: Flask) -> Collection:
    return learner_collection(app, B[0])


def snapshot(col: Collection) -> tuple[Any, ...]:
    return (
        [(e.card_id, e.rating, e.after) for e in col.history()],
        [(s.id, s.memory, s.card) for s in col.cards(include_retired=True)],
        col.settings.to_dict(),
    )


def b_studies(client: FlaskClient) -> None:
    """As B: answer one card twice, suspend another, and save distinctive settings."""
    token = csrf_token(client)
    for request_id in ("b-first-answer", B_REQUEST):
        body = {"card_id": REVIEWED, "rating": 3, "request_id": request_id}
        assert client.post("/api/answer", json=body, headers={"X-CSRFToken": token}).status_code == 200
    suspend = client.post("/api/suspend", json={"card_id": SUSPENDED}, headers={"X-CSRFToken": token})
    assert suspend.status_code == 200
    own = {"kind": "fact", "prompt": "Copper secret plan", "answer": B_ZONE, "concepts": "class-imbalance"}
    added = client.post("/new-card", data={**own, "csrf_token": token})
    assert (added.status_code, added.headers["Location"]) == (303, f"/cards/{B_OWN}")
    form = form_values(b_collection(client.application).settings)
    form.update(csrf_token=token, timezone=B_ZONE, desired_retention="0.87")
    assert client.post("/settings", data=form).status_code == 303


# (endpoint, method, path, body): form bodies for pages, JSON bodies under /api/.
WALK: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("static", "GET", "/static/style.css", None),
    ("auth.login", "GET", "/login", None),
    ("auth.signup", "GET", "/signup", None),
    ("auth.signup", "POST", "/signup", {"name": B[0], "password": "x", "confirm": "x", "invite": "x"}),
    ("auth.change_password", "GET", "/account/password", None),
    ("auth.change_password", "POST", "/account/password", {"current": B[1], "new": "a", "confirm": "a"}),
    ("exports.review_log", "GET", "/export/reviews.csv", None),
    ("exports.anki_package", "GET", "/export/anki.apkg?with_progress=1", None),
    ("media.image", "GET", "/media/none.png", None),
    ("study.today", "GET", "/", None),
    ("study.review", "GET", "/review", None),
    ("study.reveal", "GET", f"/review/reveal?card_id={REVIEWED}", None),
    ("study.reveal", "POST", "/review/reveal", {"card_id": REVIEWED, "typed": "mine"}),
    ("study.suggest", "GET", "/review/suggest?card_id=a-drill&ticked=0", None),
    ("study.save_story", "POST", "/review/story", {"card_id": REVIEWED, "story": "mine"}),
    (
        "study.answer",
        "POST",
        "/review/answer",
        {"card_id": REVIEWED, "rating": "good", "request_id": B_REQUEST},
    ),
    ("study.undo", "POST", "/review/undo", {}),
    ("study.suspend", "POST", "/review/suspend", {"card_id": REVIEWED}),
    ("study.bury", "POST", "/review/bury", {"card_id": REVIEWED}),
    ("library.browse", "GET", "/browse?suspended=yes", None),
    ("library.card", "GET", f"/cards/{REVIEWED}", None),
    ("library.save_story", "POST", f"/cards/{REVIEWED}/story", {"story": "mine"}),
    ("library.toggle_suspend", "POST", f"/cards/{SUSPENDED}/suspend", {"suspended": "0"}),
    ("library.decks", "GET", "/decks", None),
    ("library.sync", "POST", "/decks/sync", {}),
    ("authoring.new_card", "GET", "/new-card?kind=fact", None),
    (
        "authoring.add_card",
        "POST",
        "/new-card",
        {"kind": "fact", "prompt": "Alice's own", "answer": "Mine.", "concepts": "class-imbalance"},
    ),
    ("authoring.edit_card", "GET", f"/cards/{B_OWN}/edit", None),
    (
        "authoring.save_card",
        "POST",
        f"/cards/{B_OWN}/edit",
        {"kind": "fact", "prompt": "Alice was here", "answer": "x", "concepts": "class-imbalance"},
    ),
    ("authoring.preview", "POST", "/api/cards/preview", {"kind": "fact", "prompt": "p", "answer": "a"}),
    ("preferences.settings", "GET", "/settings", None),
    ("preferences.save_settings", "POST", "/settings", {**form_values(Settings()), "timezone": A_ZONE}),
    ("preferences.reset_parameters", "POST", "/settings/parameters/reset", {}),
    ("preferences.choose_timezone", "POST", "/settings/timezone", {"choice": "use", "timezone": A_ZONE}),
    ("api.csrf_token", "GET", "/api/csrf", None),
    ("api.next_card", "GET", "/api/next", None),
    ("api.answer", "POST", "/api/answer", {"card_id": REVIEWED, "rating": 3, "request_id": B_REQUEST}),
    ("api.undo", "POST", "/api/undo", {}),
    ("api.suspend", "POST", "/api/suspend", {"card_id": SUSPENDED, "suspended": False}),
    ("api.bury", "POST", "/api/bury", {"card_id": REVIEWED}),
    ("api.today", "GET", "/api/today", None),
    ("api.domain_stats", "GET", "/api/stats/domains", None),
    ("api.card", "GET", f"/api/cards/{REVIEWED}", None),
    ("api.story", "GET", f"/api/cards/{REVIEWED}/story", None),
    ("api.save_story", "POST", f"/api/cards/{REVIEWED}/story", {"story": "mine"}),
    ("api.cards", "GET", "/api/cards?suspended=true", None),
    ("api.rubric_suggest", "GET", "/api/rubric/suggest?ticked=1&total=2", None),
    ("api.openapi", "GET", "/api/openapi.json", None),
    ("stats_api.readiness_json", "GET", "/api/stats/readiness", None),
    ("stats_api.weakness_json", "GET", "/api/stats/weakness", None),
    ("stats_api.framing_json", "GET", "/api/stats/framing", None),
    ("insights.stats", "GET", "/stats", None),
    ("insights.optimize_parameters", "POST", "/settings/optimize", {}),
    ("focus.session", "GET", "/focus/weakest", None),
    ("auth.login", "POST", "/login", {"name": A[0], "password": A[1]}),
    ("auth.logout", "POST", "/logout", {}),
]
UNKNOWN_CARD: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/review/reveal?card_id=no-such-card", None),
    ("POST", "/review/answer", {"card_id": "no-such-card", "rating": "good"}),
    ("POST", "/review/suspend", {"card_id": "no-such-card"}),
    ("POST", "/review/bury", {"card_id": "no-such-card"}),
    ("GET", "/cards/no-such-card", None),
    ("GET", "/review/suggest?card_id=no-such-card&ticked=0", None),
    ("POST", "/review/story", {"card_id": "no-such-card", "story": "mine"}),
    ("POST", "/cards/no-such-card/story", {"story": "mine"}),
    ("GET", "/api/cards/no-such-card/story", None),
    ("POST", "/api/cards/no-such-card/story", {"story": "mine"}),
    ("POST", "/cards/no-such-card/suspend", {}),
    ("GET", "/api/cards/no-such-card", None),
    ("POST", "/api/answer", {"card_id": "no-such-card", "rating": 3}),
    ("POST", "/api/suspend", {"card_id": "no-such-card"}),
    ("POST", "/api/bury", {"card_id": "no-such-card"}),
]


def send(client: FlaskClient, method: str, path: str, body: dict[str, Any] | None, learner_id: int) -> Any:
    """The request as A, with B's id and name slipped into the query and the body."""
    naming = {"learner_id": learner_id, "user": B[0], "learner": B[0]}
    separator = "&" if "?" in path else "?"
    url = f"{path}{separator}learner_id={learner_id}&user={B[0]}"
    if method == "GET":
        return client.get(url)
    token = csrf_token(client)
    if path.startswith("/api/"):
        return client.post(url, json={**naming, **(body or {})}, headers={"X-CSRFToken": token})
    return client.post(url, data={**naming, **(body or {}), "csrf_token": token})


def test_the_walk_covers_every_route(app: Flask) -> None:
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }
    assert routes == {(endpoint, method) for endpoint, method, _, _ in WALK}


def test_every_route_as_another_learner_leaves_b_untouched_and_unseen(app: Flask) -> None:
    b_client, a_client = app.test_client(), app.test_client()
    assert log_in(b_client, *B) == 303 and log_in(a_client, *A) == 303
    b_studies(b_client)
    b_col = b_collection(app)
    before = snapshot(b_col)
    assert len(before[0]) == 2 and before[2]["timezone"] == B_ZONE
    for endpoint, method, path, body in WALK:
        response = send(a_client, method, path, body, b_col.learner_id)
        assert response.status_code < 500, (endpoint, response.status_code)
        text = ZONE_SUGGESTIONS.sub("", response.get_data().decode("utf-8", "replace"))
        response.close()
        assert B_ZONE not in text, endpoint
        if endpoint != "auth.signup":
            assert B[0] not in text, endpoint
        if endpoint == "api.answer":
            assert response.get_json()["memory"]["reps"] == 1, "A was given B's earlier answer"
        if endpoint == "api.card":
            assert response.get_json()["memory"]["reps"] == 0
        if endpoint == "exports.review_log":
            assert response.status_code == 200 and len(text.strip().splitlines()) == 1, text
        if endpoint == "library.sync":
            assert response.status_code == 403
        if endpoint in ("authoring.edit_card", "authoring.save_card"):
            assert response.status_code == 404, "A reached B's own card"
        if endpoint == "authoring.add_card":
            assert response.status_code == 303, "A's own card was refused, so nothing was tried"
        if endpoint == "preferences.save_settings":
            assert response.status_code == 303, "A's own settings were refused, so nothing was tried"
            assert learner_collection(app, A[0]).settings.timezone == A_ZONE
        assert snapshot(b_col) == before, endpoint
    assert b_client.get("/api/today").status_code == 200, "A's logout ended B's session"


def test_unknown_cards_are_404_for_pages_and_api(app: Flask) -> None:
    client = app.test_client()
    log_in(client, *A)
    for method, path, body in UNKNOWN_CARD:
        assert send(client, method, path, body, 0).status_code == 404, path


def test_b_state_is_b_own_in_every_read(app: Flask) -> None:
    a_client, b_client = app.test_client(), app.test_client()
    log_in(a_client, *A)
    log_in(b_client, *B)
    b_studies(b_client)
    for client, reps, suspended_total in ((a_client, 0, 0), (b_client, 2, 1)):
        assert client.get(f"/api/cards/{REVIEWED}").get_json()["memory"]["reps"] == reps
        assert client.get("/api/cards?suspended=true").get_json()["total"] == suspended_total
        history = client.get(f"/cards/{REVIEWED}").get_data(as_text=True)
        assert ("No reviews yet." in history) == (reps == 0)
        assert history.count("<td>Good</td>") == reps


def test_anonymous_requests_reach_nothing(app: Flask) -> None:
    client = app.test_client()
    public = {"static", "auth.login", "auth.signup", "api.csrf_token"}
    for endpoint, method, path, body in WALK:
        if endpoint in public:
            continue
        response = send(client, method, path, body, 1)
        response.close()
        assert response.status_code in (303, 401, 400), (endpoint, response.status_code)
        if response.status_code == 303:
            assert response.headers["Location"].startswith("/login")
