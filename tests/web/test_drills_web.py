"""Drills on the review pages: variants, the weighted rubric and its explained suggestion,
follow-ups, typed answers sent by POST and kept, and the learner's own story."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from tests.web.support import Clock, collection_of, csrf_token, hidden, web_app
from trainer import Rating
from trainer.model import STORY_POINTS


@pytest.fixture
def drill_app(db_url: str, drill_decks_dir: Path, tmp_path: Path, clock: Clock) -> Iterator[Flask]:
    with web_app(db_url, drill_decks_dir, tmp_path / "data", clock) as built:
        yield built


@pytest.fixture
def drill_client(drill_app: Flask) -> FlaskClient:
    return drill_app.test_client()


def _front(client: FlaskClient, card_id: str) -> str:
    col = collection_of(client.application)
    for other in (
        "a-fact",
        "a-cloze",
        "a-drill",
        "b-one",
        "b-two",
        "b-three",
        "d-story",
        "d-design",
        "d-framing",
    ):
        if other != card_id and not col.card(other).memory.suspended:
            col.suspend(other)
    col.suspend(card_id, suspended=False)
    page = client.get("/review").get_data(as_text=True)
    assert hidden(page, "card_id") == card_id
    return page


def _reveal(client: FlaskClient, page: str, typed: str = "") -> str:
    form = {name: hidden(page, name) for name in ("csrf_token", "card_id", "request_id", "shown_at")}
    response = client.post("/review/reveal", data={**form, "typed": typed})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _answer(client: FlaskClient, page: str, rating: str, **marks: list[str]) -> int:
    form: dict[str, object] = {
        name: hidden(page, name)
        for name in ("csrf_token", "card_id", "request_id", "expected_reps", "shown_at")
    }
    form.update(rating=rating, drill="1", **marks)
    typed = re.search(r'name="typed" value="([^"]*)"', page)
    if typed:
        form["typed"] = typed.group(1)
    return client.post("/review/answer", data=form).status_code


def test_the_question_shows_style_time_target_and_variant(drill_client: FlaskClient, clock: Clock) -> None:
    page = _front(drill_client, "d-framing")
    assert "Which metric matters more in patient alerts" in page
    assert "framing" in page and "aim for 1:00" in page and 'data-target="60"' in page
    assert 'data-variant="0"' in page and "version 1 of 3" in page
    assert 'method="post" action="/review/reveal"' in page
    assert _answer(drill_client, _reveal(drill_client, page), "3", points=["0"]) == 303
    clock.advance(minutes=15)
    again = drill_client.get("/review").get_data(as_text=True)
    assert 'data-variant="1"' in again and "one nurse per 30 beds" in again


def test_a_red_flag_caps_the_accepted_suggestion_at_hard(drill_app: Flask, drill_client: FlaskClient) -> None:
    back = _reveal(drill_client, _front(drill_client, "d-framing"))
    for text in (
        "Mentions alarm fatigue",
        "Leads with accuracy",
        "Ignores the base rate",
        "Drift in the inputs first.",
    ):
        assert text in back
    assert "Again: 0 of 4 core points" in back
    status = _answer(
        drill_client, back, "suggested", points=["0", "1", "2", "3"], optional=["0", "1"], flags=["1"]
    )
    assert status == 303
    [entry] = collection_of(drill_app).history("d-framing")
    assert entry.rating == Rating.Hard
    assert (entry.points_ticked, entry.optional_ticked, entry.flags_raised) == ((0, 1, 2, 3), (0, 1), (1,))


def test_the_suggestion_endpoint_explains_itself(drill_client: FlaskClient) -> None:
    got = drill_client.get("/review/suggest?card_id=d-framing&ticked=0,1,2&optional=&flags=0").get_json()
    assert (
        got["rating"] == 2 and got["explanation"] == "Hard: 3 of 4 core points; red flag: Leads with accuracy"
    )
    bad = drill_client.get("/review/suggest?card_id=d-framing&ticked=7")
    assert bad.status_code == 400 and "points_ticked" in bad.get_data(as_text=True)


def test_typed_answers_go_by_post_and_come_back_next_time(
    drill_app: Flask, drill_client: FlaskClient, clock: Clock
) -> None:
    page = _front(drill_client, "d-framing")
    back = _reveal(drill_client, page, typed="Recall, because a miss costs a life.")
    assert "Recall, because a miss costs a life." in back and "Your previous answer" not in back
    assert _answer(drill_client, back, "3", points=["0", "1"], follow_ups=["1"]) == 303
    [entry] = collection_of(drill_app).history("d-framing")
    assert entry.typed_answer == "Recall, because a miss costs a life." and entry.follow_ups_done == (1,)
    clock.advance(minutes=15)
    second = drill_client.get("/review").get_data(as_text=True)
    assert "Recall, because a miss costs a life." not in second
    revealed = _reveal(drill_client, second)
    assert "Your previous answer" in revealed and "Recall, because a miss costs a life." in revealed
    leaked = drill_client.get("/review/reveal?card_id=d-framing&typed=SECRET-IN-URL").get_data(as_text=True)
    assert "SECRET-IN-URL" not in leaked
    card_page = drill_client.get("/cards/d-framing").get_data(as_text=True)
    assert "Recall, because a miss costs a life." in card_page


def test_an_oversized_typed_answer_is_refused_and_nothing_recorded(
    drill_app: Flask, drill_client: FlaskClient
) -> None:
    back = _reveal(drill_client, _front(drill_client, "d-framing"), typed="x" * 20_001)
    assert _answer(drill_client, back, "3", points=["0"]) == 400
    assert collection_of(drill_app).history() == []


def test_a_story_drill_keeps_the_learners_own_story(drill_app: Flask, drill_client: FlaskClient) -> None:
    back = _reveal(drill_client, _front(drill_client, "d-story"))
    assert (
        "Example story (not the answer: tell yours)" in back
        and "An example story about routing tickets." in back
    )
    assert (
        "States their own role, not the team&#39;s" in back or "States their own role, not the team's" in back
    )
    form = {name: hidden(back, name) for name in ("csrf_token", "card_id", "request_id", "shown_at")}
    saved = drill_client.post(
        "/review/story", data={**form, "story": "I built the routing model; misroutes fell a third."}
    )
    assert saved.status_code == 200
    assert "I built the routing model; misroutes fell a third." in saved.get_data(as_text=True)
    assert collection_of(drill_app).story("d-story") == "I built the routing model; misroutes fell a third."
    empty = drill_client.post("/review/story", data={**form, "story": "  "})
    assert empty.status_code == 400
    token = csrf_token(drill_client)
    assert (
        drill_client.post(
            "/review/story", data={"csrf_token": token, "card_id": "d-framing", "story": "x"}
        ).status_code
        == 400
    )


def test_browse_counts_the_answers_kept(drill_client: FlaskClient) -> None:
    back = _reveal(drill_client, _front(drill_client, "d-framing"), typed="My framing.")
    assert _answer(drill_client, back, "3", points=["0"]) == 303
    page = drill_client.get("/browse?deck=drills").get_data(as_text=True)
    assert re.search(r'href="/cards/d-framing#history">1</a>', page)


def test_the_card_page_edits_a_story_and_shows_the_drill_fields(
    drill_app: Flask, drill_client: FlaskClient
) -> None:
    page = drill_client.get("/cards/d-framing").get_data(as_text=True)
    for text in (
        "Optional points",
        "Red flags",
        "Leads with accuracy",
        "Variants",
        "Follow-ups",
        "aim for 1:00",
    ):
        assert text in page
    story_page = drill_client.get("/cards/d-story").get_data(as_text=True)
    token = hidden(story_page, "csrf_token")
    saved = drill_client.post(
        "/cards/d-story/story", data={"csrf_token": token, "story": "Result first: a third fewer misroutes."}
    )
    assert saved.status_code == 303
    assert "Result first: a third fewer misroutes." in drill_client.get("/cards/d-story").get_data(
        as_text=True
    )
    assert collection_of(drill_app).story("d-story") == "Result first: a third fewer misroutes."


STORY_ON_ITS_OWN_POINTS = """  - id: d-story-failure
    kind: drill
    style: story
    prompt: Tell me about a project that failed.
    answer: An example story about a failed launch.
    points: [Owns their part, Names the mechanism, States the lesson]
    concepts: [class-imbalance]
"""


def test_a_story_drill_on_its_own_points_shows_what_every_story_needs(
    db_url: str, drill_decks_dir: Path, tmp_path: Path, clock: Clock
) -> None:
    with (drill_decks_dir / "drills.yaml").open("a") as deck:
        deck.write(STORY_ON_ITS_OWN_POINTS)
    with web_app(db_url, drill_decks_dir, tmp_path / "data", clock) as app:
        client = app.test_client()
        revealed = _reveal(client, _front(client, "d-story-failure"))
        card_page = client.get("/cards/d-story-failure").get_data(as_text=True)
        graded_on_it = client.get("/cards/d-story").get_data(as_text=True)
    for page in (revealed, card_page):
        assert "What every story needs" in page
        assert all(str(escape(point)) in page for point in STORY_POINTS)
    # A story drill graded on the generic rubric already shows it once, as its core points.
    assert "What every story needs" not in graded_on_it
