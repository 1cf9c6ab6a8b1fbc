"""The Stats page, its charts, the Today summary, focus sessions, the forgetting curve, the
Settings button that fits FSRS parameters, and the readiness and weakness JSON."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NOW
from tests.insights.test_optimize import simulated_collection
from tests.web.support import collection_of, csrf_token, hidden, web_app
from tests.web.test_security import _assert_inert, _hostile_decks
from trainer import Collection, Rating
from trainer.insights.readiness import readiness
from trainer.insights.stats import weakest_domains
from trainer.insights.weakness import domain_gaps, gap_attribution, missed_points
from web import close_app, create_app

CHARTS = ["calendar", "forecast", "retention", "concepts", "workload"]
SPEC = re.compile(
    r'<figure class="chart" data-chart="(\w+)".*?<script type="application/json">(.*?)</script>', re.S
)


def chart_specs(page: str) -> dict[str, dict[str, object]]:
    """The Vega-Lite specs embedded in a page, by chart name."""
    return {name: json.loads(html.unescape(spec)) for name, spec in SPEC.findall(page)}


ALPHA = ["a-fact", "a-cloze", "a-drill"]
BETA = ["b-one", "b-two", "b-three"]
INTERVIEW = date(2026, 3, 6)


def study_history(col: Collection) -> None:
    """Ten days of reviews before NOW: every alpha card fails each day (then passes in
    relearning), every beta card passes twice a day; the drill's answers tick two of four points."""
    start = NOW - timedelta(days=10)
    for card_id in ALPHA + BETA:
        col.answer(card_id, Rating.Easy, start, points_ticked=[0, 1, 2, 3] if card_id == "a-drill" else None)
    for day in range(1, 9):
        moment = start + timedelta(days=day)
        for card_id in ALPHA + BETA:
            ticks = [0, 1] if card_id == "a-drill" else None
            first = Rating.Again if card_id in ALPHA else Rating.Good
            col.answer(card_id, first, moment, points_ticked=ticks)
            col.answer(card_id, Rating.Good, moment + timedelta(hours=6), points_ticked=ticks)


@pytest.fixture
def app(sqlite_url: str, decks_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    with web_app(sqlite_url, decks_dir, tmp_path / "data") as built:
        yield built


@pytest.fixture
def studied(db_url: str, decks_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    """An app whose learner has the history of `study_history`, on SQLite and PostgreSQL."""
    with web_app(db_url, decks_dir, tmp_path / "data") as built:
        study_history(collection_of(built))
        yield built


def text_of(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_stats_page_for_a_collection_without_reviews(app: Flask) -> None:
    page = text_of(app.test_client(), "/stats")
    assert "No drill answers with missed points yet." in page
    assert "No reviews of studied cards yet." in page
    assert "Set your interview date" in page
    ranks = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<th scope=\"row\">(\w+)</th>", page)
    assert ranks == [("–", "Alpha"), ("–", "Beta")]
    assert chart_specs(page) == {"workload": chart_specs(page)["workload"]}
    for name in ["calendar", "forecast", "retention", "concepts"]:
        assert f'data-chart-empty="{name}"' in page
    assert "<img" not in page


def test_charts_appear_with_their_data_and_a_table_once_there_is_history(app: Flask) -> None:
    client = app.test_client()
    study_history(collection_of(app))
    page = text_of(client, "/stats")
    specs = chart_specs(page)
    assert sorted(specs) == sorted(CHARTS)
    assert "data-chart-empty" not in page
    for name, spec in specs.items():
        assert spec["description"], name
        assert spec["data"]["values"], name  # type: ignore[index]
        assert "config" not in spec, "colours come from the page's theme"
    calendar = specs["calendar"]["data"]["values"]  # type: ignore[index]
    assert sum(day["reviews"] for day in calendar) == 17 * len(ALPHA + BETA)
    assert page.count('<details class="chart-data">') == len(CHARTS)


def test_card_page_shows_its_forgetting_curve_once_studied(app: Flask) -> None:
    client = app.test_client()
    before = text_of(client, "/cards/a-fact")
    assert 'data-chart-empty="curve"' in before and "Not studied yet." in before
    collection_of(app).answer("a-fact", Rating.Good, NOW - timedelta(days=3))
    after = chart_specs(text_of(client, "/cards/a-fact"))
    assert after["curve"]["data"]["values"]  # type: ignore[index]


def test_stats_page_with_history_ranks_names_gaps_and_missed_points(studied: Flask) -> None:
    col = collection_of(studied)
    page = text_of(studied.test_client(), "/stats")
    ranks = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<th scope=\"row\">(\w+)</th>", page)
    assert ranks == [("1", "Alpha"), ("2", "Beta")]
    assert weakest_domains(col.domain_stats(NOW)) == ["alpha", "beta"]
    gaps = domain_gaps(gap_attribution(col))
    assert gaps == ["alpha"]
    assert '<li><a href="/browse?deck=alpha">Alpha</a></li>' in page
    missed = missed_points(col)
    assert set(missed["point"]) == {"Names a baseline", "Plans monitoring"}
    for point in missed["point"]:
        assert re.search(
            rf'<td>{point}</td><td><a href="/cards/a-drill">a-drill</a></td><td>\d+ of \d+</td>', page
        )
    assert "<caption>Alpha</caption>" in page and "<caption>Beta</caption>" in page
    assert "Set your interview date" in page


def test_readiness_on_stats_today_and_api_when_a_date_is_set(studied: Flask) -> None:
    col = collection_of(studied)
    client = studied.test_client()
    assert client.get("/api/stats/readiness").get_json() == {"readiness": None}
    assert "Interview mode" not in text_of(client, "/")
    col.configure(now=NOW, interview_date=INTERVIEW.isoformat())
    expected = readiness(col, NOW)
    assert expected is not None
    shown = f"{100 * expected.overall:.0f}%"
    stats = text_of(client, "/stats")
    assert f'<strong data-field="readiness">{shown}</strong>' in stats
    assert "Interview on 2026-03-06 (4 days left)" in stats
    for title, slug in (("Alpha", "alpha"), ("Beta", "beta")):
        assert f'<th scope="row">{title}</th><td>{100 * expected.per_domain[slug]:.0f}%</td>' in stats
    today = text_of(client, "/")
    assert f'<strong data-field="readiness">{shown}</strong>' in today
    assert 'href="/focus/interview"' in today
    body = client.get("/api/stats/readiness").get_json()["readiness"]
    assert body["interview_date"] == "2026-03-06" and body["days_left"] == 4
    assert body["overall"] == pytest.approx(expected.overall)
    assert body["per_domain"] == pytest.approx(expected.per_domain)
    assert body["reviews_per_day"] == expected.reviews_per_day


def test_today_names_the_weakest_domain_and_links_to_stats_and_focus(studied: Flask) -> None:
    page = text_of(studied.test_client(), "/")
    # Beta, recalled every time, is ranked second but is no weakest domain.
    assert '<strong data-field="weakest">Alpha</strong>' in page and "Beta:" not in page
    assert 'href="/stats"' in page and 'href="/focus/weakest"' in page


def test_today_without_reviews_says_there_is_no_weakest_domain_yet(app: Flask) -> None:
    page = text_of(app.test_client(), "/")
    assert "Not enough reviews yet to name a weakest domain (it takes 10 answers" in page


def test_weakness_api(studied: Flask) -> None:
    col = collection_of(studied)
    body = studied.test_client().get("/api/stats/weakness").get_json()
    assert body["weakest"] == ["alpha", "beta"]
    assert body["domain_gaps"] == domain_gaps(gap_attribution(col))
    assert {cell["gap"] for cell in body["weak_cells"]} <= {"concept", "domain", "both"}
    assert {(m["card_id"], m["point"]) for m in body["missed_points"]} == {
        ("a-drill", "Names a baseline"),
        ("a-drill", "Plans monitoring"),
    }


def test_weakness_api_without_reviews(app: Flask) -> None:
    body = app.test_client().get("/api/stats/weakness").get_json()
    assert body == {
        "weakest": [],
        "concept_gaps": [],
        "domain_gaps": [],
        "weak_cells": [],
        "missed_points": [],
    }


def test_focus_session_serves_the_weakest_domain_and_comes_back_after_each_answer(studied: Flask) -> None:
    col = collection_of(studied)
    client = studied.test_client()
    expected = col.focus_card(now=NOW, mode="weakest")
    assert expected is not None and expected.card.deck == "alpha"
    front = text_of(client, "/focus/weakest")
    card_id = hidden(front, "card_id")
    assert card_id == expected.id
    assert hidden(front, "focus") == "weakest"
    query = {"card_id": card_id, "request_id": hidden(front, "request_id"), "focus": "weakest"}
    back = text_of(client, "/review/reveal?" + "&".join(f"{k}={v}" for k, v in query.items()))
    assert hidden(back, "focus") == "weakest"
    form = {
        "csrf_token": hidden(back, "csrf_token"),
        "card_id": card_id,
        "request_id": hidden(back, "request_id"),
        "expected_reps": hidden(back, "expected_reps"),
        "rating": "3",
        "focus": "weakest",
    }
    if expected.card.kind.value == "drill":
        form["drill"] = "1"
    reps = expected.memory.reps
    response = client.post("/review/answer", data=form)
    assert response.status_code == 303
    assert response.headers["Location"] == "/focus/weakest"
    assert col.card(card_id).memory.reps == reps + 1


def test_focus_session_modes(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/focus/nonsense").status_code == 404
    # Without an interview date, interview mode is the weakest-domains session: on day one,
    # the least-seen domains' new cards.
    assert hidden(text_of(client, "/focus/interview"), "focus") == "interview"
    collection_of(app).configure(new_per_day=0)
    done = text_of(client, "/focus/interview")
    assert "Nothing more is due" in done and "no new card is left within today" in done


def test_optimize_refuses_a_short_history_and_changes_nothing(studied: Flask) -> None:
    col = collection_of(studied)
    client = studied.test_client()
    before = col.settings.parameters
    settings_page = text_of(client, "/settings")
    assert '<form method="post" action="/settings/optimize" id="fit-form">' in settings_page
    assert '<button type="submit" form="fit-form">Fit to my history</button>' in settings_page
    response = client.post("/settings/optimize", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing was changed: not enough review history to fit parameters" in page
    assert col.settings.parameters == before


def test_optimize_without_a_csrf_token_is_refused(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/settings/optimize")
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_optimize_adopts_a_better_fit_and_shows_the_metrics(
    tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    simulated = simulated_collection(tmp_path, open_collection)
    before = simulated.settings.parameters
    app = create_app({"DATABASE_URL": str(simulated.engine.url), "DATA_DIR": str(tmp_path / "data")})
    try:
        client = app.test_client()
        response = client.post("/settings/optimize", data={"csrf_token": csrf_token(client)})
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "The fitted parameters were adopted" in page
        rows = re.findall(r'<th scope="row">([^<]+)</th><td>(\d\.\d{4})</td><td>(\d\.\d{4})</td>', page)
        assert [name for name, _, _ in rows] == ["Default", "Before (current)", "Fitted"]
        assert float(rows[2][1]) < float(rows[1][1])
        after = collection_of(app).settings.parameters
        assert after != before
    finally:
        close_app(app)


def test_stats_page_is_inert_with_hostile_deck_text(tmp_path: Path) -> None:
    with web_app(f"sqlite:///{tmp_path / 'x.db'}", _hostile_decks(tmp_path), tmp_path / "data") as app:
        col = collection_of(app)
        col.answer("a-evil-drill", Rating.Good, NOW - timedelta(days=1), points_ticked=[1])
        page = text_of(app.test_client(), "/stats")
        _assert_inert(page)
        assert "&lt;img src=x onerror=alert(8)&gt;" in page
