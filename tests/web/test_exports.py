"""Downloads from the Decks page: the Anki package (all or chosen decks, with or without
progress) and the review log as CSV, streamed from temporary files that are not left behind."""

from __future__ import annotations

import csv
import io
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tests.conftest import NOW
from tests.web.support import collection_of, web_app
from tests.web.test_sessions import log_in
from trainer import Collection, Rating
from trainer.accounts.users import Accounts

ALL_CARDS = 6
ALPHA_CARDS = 3


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder every temporary file goes to during the test, to prove none is left behind."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


@pytest.fixture
def app(sqlite_url: str, decks_dir: Path, tmp_path: Path, temp_root: Path) -> Iterator[Flask]:
    with web_app(sqlite_url, decks_dir, tmp_path / "data") as built:
        yield built


def answer_some(app: Flask) -> int:
    """Answer three cards over two days; returns the number of answers."""
    col = collection_of(app)
    col.answer("a-fact", Rating.Good, NOW - timedelta(days=2), duration_ms=4000)
    col.answer("a-fact", Rating.Good, NOW - timedelta(days=1))
    col.answer("b-one", Rating.Again, NOW - timedelta(days=1))
    col.answer("a-drill", Rating.Hard, NOW - timedelta(hours=2), points_ticked=[0, 2])
    return 4


def download(app: Flask, url: str) -> TestResponse:
    response = app.test_client().get(url, buffered=True)
    response.close()
    return response


def package_counts(response: TestResponse, folder: Path, *tables: str) -> list[int]:
    """Row counts of `tables` (a table name and an optional WHERE) in the collection database
    inside a downloaded .apkg."""
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert "collection.anki2" in archive.namelist()
        archive.extract("collection.anki2", folder)
    db = sqlite3.connect(f"file:{folder / 'collection.anki2'}?mode=ro", uri=True)
    try:
        return [int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) for table in tables]
    finally:
        db.close()


def test_decks_page_links_to_every_download(app: Flask) -> None:
    page = app.test_client().get("/decks").get_data(as_text=True)
    assert 'href="/export/anki.apkg"' in page
    assert 'href="/export/anki.apkg?with_progress=1"' in page
    assert 'href="/export/reviews.csv"' in page
    assert 'name="deck" value="alpha"' in page and 'name="with_progress" value="1"' in page


def test_anki_package_of_all_decks(app: Flask, tmp_path: Path, temp_root: Path) -> None:
    answer_some(app)
    response = download(app, "/export/anki.apkg")
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"] == "attachment; filename=ml-interview-2026-03-02.apkg"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.content_length == len(response.data)
    assert package_counts(response, tmp_path, "notes", "revlog") == [ALL_CARDS, 0]
    assert list(temp_root.iterdir()) == []


def test_anki_package_with_progress_carries_the_review_log(app: Flask, tmp_path: Path) -> None:
    answers = answer_some(app)
    response = download(app, "/export/anki.apkg?with_progress=1")
    assert response.status_code == 200
    assert "ml-interview-progress-2026-03-02.apkg" in response.headers["Content-Disposition"]
    counts = package_counts(response, tmp_path, "notes", "revlog", "cards WHERE type != 0")
    assert counts == [ALL_CARDS, answers, 3]


def test_anki_package_of_chosen_decks(app: Flask, tmp_path: Path) -> None:
    response = download(app, "/export/anki.apkg?deck=alpha")
    assert package_counts(response, tmp_path, "notes") == [ALPHA_CARDS]


def test_unknown_deck_is_a_404_and_leaves_no_file(app: Flask, temp_root: Path) -> None:
    response = download(app, "/export/anki.apkg?deck=nope")
    assert response.status_code == 404
    assert "no deck named &#39;nope&#39;" in response.get_data(as_text=True)
    assert list(temp_root.iterdir()) == []


def test_review_log_csv(app: Flask, temp_root: Path) -> None:
    empty = download(app, "/export/reviews.csv")
    assert empty.status_code == 200 and empty.mimetype == "text/csv"
    assert list(csv.DictReader(io.StringIO(empty.get_data(as_text=True)))) == []
    answers = answer_some(app)
    response = download(app, "/export/reviews.csv")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=ml-interview-reviews-2026-03-02.csv"
    )
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == answers
    assert [(r["card_id"], r["rating_name"]) for r in rows] == [
        ("a-fact", "Good"),
        ("a-fact", "Good"),
        ("b-one", "Again"),
        ("a-drill", "Hard"),
    ]
    assert rows[0]["duration_ms"] == "4000" and rows[-1]["points_ticked"] == "0;2"
    assert list(temp_root.iterdir()) == []


def test_with_accounts_each_learner_downloads_only_their_own_progress(
    sqlite_url: str, decks_dir: Path, tmp_path: Path, temp_root: Path
) -> None:
    alice, bob = ("alice", "violet tractor quantum lemon"), ("bobbington", "copper lantern sleepy walrus")
    with web_app(sqlite_url, decks_dir, tmp_path / "data", ACCOUNTS=True) as app:
        accounts = Accounts(collection_of(app).engine)
        accounts.create(*alice, now=NOW)
        bob_id = accounts.create(*bob, now=NOW).id
        Collection(collection_of(app).engine, bob_id, bob[0]).answer("a-fact", Rating.Good, NOW)
        client = app.test_client()
        assert client.get("/export/reviews.csv").headers["Location"].startswith("/login")
        assert log_in(client, *alice) in (302, 303)
        log = client.get("/export/reviews.csv", buffered=True)
        assert log.status_code == 200
        assert list(csv.DictReader(io.StringIO(log.get_data(as_text=True)))) == []
        package = client.get("/export/anki.apkg?with_progress=1", buffered=True)
        assert package_counts(package, tmp_path, "notes", "revlog") == [ALL_CARDS, 0]
    assert list(temp_root.iterdir()) == []
