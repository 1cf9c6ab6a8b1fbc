"""The drill fields of the JSON API: card JSON (variant, style, rubric lists, follow-ups),
the rubric suggestion, and answers with their marks and typed answer, all validated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.support import Clock, collection_of, web_app


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
