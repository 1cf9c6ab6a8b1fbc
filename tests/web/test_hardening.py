"""Hardening seen from outside: no caching of personal responses, idle sessions end, the review
log numbered per learner, a private SQLite file, strict deck slugs, safe deck descriptions in
Anki packages."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from tests.conftest import NOW
from tests.web.support import Clock, collection_of, csrf_token, web_app
from tests.web.test_sessions import ALICE, BOB, log_in
from trainer import Collection, Rating
from trainer.accounts.users import Accounts
from trainer.cli import cli


def test_personal_responses_are_never_cached(app: Flask) -> None:
    client = app.test_client()
    for url in ("/", "/settings", "/api/next", "/api/csrf", "/export/reviews.csv", "/no-such-page"):
        with client.get(url) as response:
            assert response.headers["Cache-Control"] == "no-store", url
    with client.get("/static/app.js") as asset:
        assert asset.status_code == 200 and asset.headers.get("Cache-Control") != "no-store"


@pytest.fixture
def accounts_app(db_url: str, decks_dir: Path, tmp_path: Path, clock: Clock) -> Iterator[Flask]:
    with web_app(db_url, decks_dir, tmp_path / "data", clock, ACCOUNTS=True) as built:
        accounts = Accounts(collection_of(built).engine)
        accounts.create(*ALICE, now=NOW)
        accounts.create(*BOB, now=NOW)
        yield built


def test_a_session_idle_for_two_hours_ends(accounts_app: Flask, clock: Clock) -> None:
    client = accounts_app.test_client()
    assert log_in(client, *ALICE) == 303
    for _ in range(3):
        clock.advance(minutes=119)
        assert client.get("/").status_code == 200
    clock.advance(minutes=121)
    ended = client.get("/")
    assert ended.status_code == 303 and ended.headers["Location"].startswith("/login")
    assert client.get("/api/next").status_code == 401


def test_the_review_log_is_numbered_per_learner(accounts_app: Flask) -> None:
    engine = collection_of(accounts_app).engine
    bob = Accounts(engine).get(BOB[0])
    others = Collection(engine, bob.id, bob.name)
    for card_id in ("a-fact", "b-one", "a-cloze"):
        others.answer(card_id, Rating.Good, NOW)
    client = accounts_app.test_client()
    assert log_in(client, *ALICE) == 303
    answered = client.post(
        "/api/answer", json={"card_id": "a-fact", "rating": 3}, headers={"X-CSRFToken": csrf_token(client)}
    )
    assert answered.status_code == 200
    with client.get("/export/reviews.csv", buffered=True) as log:
        rows = list(csv.DictReader(io.StringIO(log.get_data(as_text=True))))
    assert [(row["number"], row["card_id"]) for row in rows] == [("1", "a-fact")]
    assert "id" not in rows[0]


def test_a_new_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path, decks_dir: Path) -> None:
    database = tmp_path / "private" / "trainer.db"
    previous = os.umask(0o022)
    try:
        result = CliRunner().invoke(cli, ["--db", f"sqlite:///{database}", "sync", str(decks_dir)])
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    for path in database.parent.iterdir():
        if path.name.startswith("trainer.db") and not path.name.endswith(".lock"):
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, (path.name, oct(path.stat().st_mode))


def test_a_deck_slug_ending_in_a_line_break_is_refused(decks_dir: Path, tmp_path: Path) -> None:
    deck = decks_dir / "alpha.yaml"
    deck.write_text(deck.read_text().replace("deck: alpha\n", 'deck: "alpha\\n"\n', 1))
    result = CliRunner().invoke(
        cli, ["--db", f"sqlite:///{tmp_path / 't.db'}", "sync", "--check", str(decks_dir)]
    )
    assert result.exit_code != 0 and "alpha.yaml" in result.output, result.output


def test_deck_descriptions_reach_anki_sanitised(decks_dir: Path, tmp_path: Path) -> None:
    deck = decks_dir / "alpha.yaml"
    hostile = "'<img src=x onerror=alert(1)> **Fraud** <script>alert(2)</script>'"
    deck.write_text(
        deck.read_text().replace("description: A small deck for tests.", f"description: {hostile}")
    )
    url = f"sqlite:///{tmp_path / 't.db'}"
    out = tmp_path / "out.apkg"
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", url, "sync", str(decks_dir)]).exit_code == 0
    result = runner.invoke(cli, ["--db", url, "export", "anki", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        archive.extract("collection.anki2", tmp_path)
    db = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
    finally:
        db.close()
    descriptions = [d["desc"] for d in decks.values() if "Fraud" in d.get("desc", "")]
    assert descriptions and all("<img" not in d and "<script" not in d for d in descriptions)
    assert "<strong>Fraud</strong>" in descriptions[0]
