"""Adding and editing cards on the web: the form, errors beside fields, CSRF, the sanitised
preview, history kept through an edit, and in a study group shared decks edited by admins only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NOW
from tests.web.support import Clock, collection_of, csrf_token, web_app
from tests.web.test_sessions import ALICE, BOB, log_in
from trainer import Rating
from trainer.accounts.users import Accounts

CLOZE = "Recall is {{c1::TP / (TP + FN)}}."
ATTACK = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def post_card(client: FlaskClient, url: str = "/new-card", **fields: str | list[str]) -> tuple[int, str, str]:
    """Post the card form; returns status, Location and page."""
    response = client.post(url, data={"csrf_token": csrf_token(client), **fields})
    return response.status_code, response.headers.get("Location", ""), response.get_data(as_text=True)


def test_each_kind_is_added_from_the_form_to_the_learners_own_deck(
    client: FlaskClient, tmp_path: Path
) -> None:
    assert 'href="/new-card"' in client.get("/").get_data(as_text=True)
    for kind in ("fact", "cloze", "drill"):
        assert client.get(f"/new-card?kind={kind}").status_code == 200
    fact = post_card(
        client, kind="fact", prompt="What is AUC?", answer="Ranking quality.", concepts="class-imbalance"
    )
    cloze = post_card(client, kind="cloze", text=CLOZE, concepts=["class-imbalance", "latency-budget"])
    drill = post_card(
        client,
        kind="drill",
        prompt="Design a fraud model.",
        answer="Costs first.",
        style="framing",
        time_target_s="75",
        points="Prices both errors\r\nNames a baseline",
        concepts="cost-asymmetry",
    )
    assert [result[:2] for result in (fact, cloze, drill)] == [
        (303, "/cards/what-is-auc"),
        (303, "/cards/recall-is-tp-tp-fn"),
        (303, "/cards/design-a-fraud-model"),
    ]
    page = client.get("/cards/design-a-fraud-model").get_data(as_text=True)
    assert "Added design-a-fraud-model to My cards." in page and "Names a baseline" in page and "1:15" in page
    written = (tmp_path / "data" / "my-cards" / "my-cards.yaml").read_text()
    assert "id: what-is-auc" in written and "concepts: [class-imbalance, latency-budget]" in written


def test_problems_are_shown_beside_their_fields_and_nothing_is_saved(client: FlaskClient, app: Flask) -> None:
    before = collection_of(app).cards()
    status, _, page = post_card(
        client, kind="drill", prompt="Design it.", points="one\ntwo", time_target_s="soon"
    )
    assert status == 400
    for name in ("answer", "points", "time_target_s", "concepts"):
        field = re.search(
            rf'<div class="field invalid"[^>]*>\s*<label for="{name}">.*?</div>', page, re.DOTALL
        )
        assert field is not None, name
        assert f'id="{name}-error"' in field.group(0) and 'aria-invalid="true"' in field.group(0)
    assert "Design it." in page and "one\ntwo" in page  # what was typed stays in the form
    assert collection_of(app).cards() == before


def test_every_post_needs_the_csrf_token(client: FlaskClient, app: Flask) -> None:
    assert client.post("/new-card", data={"kind": "fact", "prompt": "x"}).status_code == 400
    assert client.post("/cards/a-fact/edit", data={"kind": "fact", "prompt": "x"}).status_code == 400
    assert client.post("/api/cards/preview", json={"kind": "fact", "prompt": "x"}).status_code == 400
    assert collection_of(app).card("a-fact").card.prompt == "How rare is fraud?"


def test_the_preview_is_rendered_and_sanitised_by_the_server(client: FlaskClient) -> None:
    headers = {"X-CSRFToken": csrf_token(client)}
    shown = client.post(
        "/api/cards/preview",
        json={"kind": "cloze", "text": f"{CLOZE} {{{{c2::x}}}} {ATTACK}", "why": ATTACK},
        headers=headers,
    )
    assert shown.status_code == 200
    data = shown.get_json()
    assert len(data["sides"]) == 2 and '<span class="cloze">[...]</span>' in data["sides"][0]["front"]
    for html in (data["sides"][0]["front"], data["sides"][1]["back"], data["why"]):
        assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
    drill = client.post(
        "/api/cards/preview",
        json={"kind": "drill", "prompt": "p", "points": "**a**\nb", "style": "story"},
        headers=headers,
    ).get_json()
    assert drill["points"] == ["<strong>a</strong>", "b"]
    refused = client.post("/api/cards/preview", json={"kind": "poem"}, headers=headers)
    assert refused.status_code == 400 and refused.get_json()["problems"][0]["field"] == "kind"


def test_html_typed_into_a_card_is_text_on_its_page(client: FlaskClient) -> None:
    status, location, _ = post_card(
        client, kind="fact", prompt=f"Safe? {ATTACK}", answer=ATTACK, concepts="class-imbalance"
    )
    assert status == 303
    page = client.get(location).get_data(as_text=True)
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_edit_keeps_the_cards_history(client: FlaskClient, app: Flask, clock: Clock) -> None:
    _, location, _ = post_card(client, kind="cloze", text=CLOZE, concepts="class-imbalance")
    card_id = location.rsplit("/", 1)[1]
    collection_of(app).answer(card_id, Rating.Good, now=NOW)
    form = client.get(f"/cards/{card_id}/edit").get_data(as_text=True)
    assert "Recall is {{c1::TP / (TP + FN)}}." in form and "selected>class-imbalance" in form
    clock.advance(hours=1)
    status, saved, _ = post_card(
        client,
        f"/cards/{card_id}/edit",
        kind="cloze",
        text="Recall: {{c1::TP over TP plus FN}}.",
        concepts="class-imbalance",
    )
    assert (status, saved) == (303, location)
    page = client.get(saved).get_data(as_text=True)
    assert "TP over TP plus FN" in page and "Good" in page and "No reviews yet." not in page
    assert len(collection_of(app).history(card_id)) == 1
    assert "Edit this card" in page
    unknown = client.get("/cards/no-such-card/edit")
    assert unknown.status_code == 404


@pytest.fixture
def group_app(db_url: str, decks_dir: Path, tmp_path: Path, clock: Clock) -> Iterator[Flask]:
    with web_app(db_url, decks_dir, tmp_path / "data", clock, ACCOUNTS=True) as built:
        accounts = Accounts(collection_of(built).engine)
        accounts.create(*ALICE, admin=True, now=NOW)
        accounts.create(*BOB, now=NOW)
        yield built


def test_in_a_study_group_only_admins_edit_the_shared_decks(group_app: Flask) -> None:
    bob, alice = group_app.test_client(), group_app.test_client()
    assert log_in(bob, *BOB) == 303 and log_in(alice, *ALICE) == 303
    assert "Edit this card" not in bob.get("/cards/a-fact").get_data(as_text=True)
    assert bob.get("/cards/a-fact/edit").status_code == 403
    refused = post_card(
        bob, "/cards/a-fact/edit", kind="fact", prompt="Bob was here", answer="x", concepts="class-imbalance"
    )
    assert refused[0] == 403 and "admin" in refused[2]
    assert "Edit this card" in alice.get("/cards/a-fact").get_data(as_text=True)
    edited = post_card(
        alice,
        "/cards/a-fact/edit",
        kind="fact",
        prompt="Alice edits",
        answer="ok",
        concepts="class-imbalance",
    )
    assert edited[:2] == (303, "/cards/a-fact")
    assert "Alice edits" in bob.get("/cards/a-fact").get_data(as_text=True)
    # Bob's own card is his to edit, and nobody else's to see.
    status, location, _ = post_card(
        bob, kind="fact", prompt="Bob's own", answer="Mine.", concepts="class-imbalance"
    )
    assert status == 303 and "Edit this card" in bob.get(location).get_data(as_text=True)
    assert alice.get(location).status_code == 404 and alice.get(location + "/edit").status_code == 404
