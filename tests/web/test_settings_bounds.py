"""Settings with numbers that are not finite or dates far off: refused on the web, found by `check`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import update

from tests.conftest import NOW
from tests.web.support import collection_of, csrf_token
from trainer import Collection
from trainer.cli import cli
from trainer.settings import Settings
from trainer.storage import store
from web.preferences import form_values

PAGES = ("/", "/stats", "/settings", "/api/today", "/api/next", "/review")


def test_the_settings_form_refuses_nan_and_far_off_dates(app: Flask) -> None:
    client = app.test_client()
    form = {**form_values(Settings()), "enable_fuzzing": "on", "csrf_token": csrf_token(client)}
    bad = {
        "learning_steps": "1 nan",
        "relearning_steps": "inf",
        "desired_retention": "nan",
        "interview_date": "9999-12-31",
    }
    for name, value in bad.items():
        response = client.post("/settings", data={**form, name: value})
        assert response.status_code == 400, name
        assert f'id="{name}-error"' in response.get_data(as_text=True), name
    assert collection_of(app).settings == Settings()
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    assert client.post("/settings", data={**form, "interview_date": "2026-06-01"}).status_code == 303


@pytest.mark.parametrize(
    ("name", "value"), [("learning_steps", [1.0, float("nan")]), ("interview_date", "9999-12-31")]
)
def test_check_reports_settings_that_are_not_valid(
    name: str, value: object, tmp_path: Path, decks_dir: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'trainer.db'}"
    with Collection.open(url) as col:
        col.sync_decks([decks_dir], now=NOW)
        col.configure(now=NOW, new_per_day=10)
        with col.engine.begin() as conn:
            conn.execute(update(store.learner_settings).values(data={**Settings().to_dict(), name: value}))
    result = CliRunner().invoke(cli, ["--db", url, "check"])
    assert result.exit_code == 1, result.output
    assert f"[settings] learner 1: setting {name}" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("name", "value"), [("learning_steps", [1.0, float("nan")]), ("interview_date", "9999-12-31")]
)
def test_settings_saved_invalid_are_a_clear_error_until_check_repair_resets_them(
    name: str, value: object, app: Flask, db_url: str
) -> None:
    if name == "learning_steps" and not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's JSON type cannot hold NaN")
    col = collection_of(app)
    col.configure(now=NOW, new_per_day=7)
    saved = {**col.settings.to_dict(), name: value}
    with col.engine.begin() as conn:
        generation = store.learner_settings.c.generation + 1
        conn.execute(update(store.learner_settings).values(data=saved, generation=generation))
    client = app.test_client()
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 400, url
        assert "trainer check --repair" in response.get_data(as_text=True), url

    result = CliRunner().invoke(cli, ["--db", db_url, "check", "--repair"])

    assert f"learner 1: setting {name} put back to its default" in result.output, result.output
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    confirmed = col.settings.timezone_confirmed
    assert col.settings == Settings().updated(new_per_day=7, timezone_confirmed=confirmed)
