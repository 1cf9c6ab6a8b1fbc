"""Shared fixtures: a fresh database per test (SQLite and, where configured, PostgreSQL), the web app."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, text

from trainer import Collection

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from tests.web.support import Clock

FIXTURE_DECKS = Path(__file__).parent / "fixtures" / "decks"
REPO_DECKS = Path(__file__).resolve().parent.parent / "decks"
POSTGRES_ENV = "TRAINER_TEST_POSTGRES_URL"
SLOW_ENV = "TRAINER_SLOW"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _postgres_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url and os.environ.get("TRAINER_REQUIRE_POSTGRES") == "1":
        raise RuntimeError(f"{POSTGRES_ENV} must be set when TRAINER_REQUIRE_POSTGRES=1")
    return url


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or the test PostgreSQL server wiped clean."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trainer.db'}"
    url = _postgres_url()
    if not url:
        pytest.skip(f"set {POSTGRES_ENV} to run against PostgreSQL")
    _reset_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database file."""
    return f"sqlite:///{tmp_path / 'trainer.db'}"


@pytest.fixture
def decks_dir(tmp_path: Path) -> Path:
    """A writable copy of the small test decks."""
    target = tmp_path / "decks"
    shutil.copytree(FIXTURE_DECKS, target)
    return target


@pytest.fixture
def open_collection() -> Iterator[Callable[..., Collection]]:
    """Open collections that are closed when the test ends."""
    opened: list[Collection] = []

    def opener(url: str, user: str | None = None) -> Collection:
        collection = Collection.open(url, user=user)
        opened.append(collection)
        return collection

    yield opener
    for collection in opened:
        collection.close()


def _synced(open_collection: Callable[..., Collection], url: str, decks_dir: Path) -> Collection:
    collection = open_collection(url)
    collection.sync_decks([decks_dir], now=NOW)
    return collection


@pytest.fixture
def col(db_url: str, decks_dir: Path, open_collection: Callable[..., Collection]) -> Collection:
    """A collection on a fresh database with the small test decks synced."""
    return _synced(open_collection, db_url, decks_dir)


@pytest.fixture
def sqlite_col(sqlite_url: str, decks_dir: Path, open_collection: Callable[..., Collection]) -> Collection:
    """The same on a SQLite file only, for tests whose subject is not the database."""
    return _synced(open_collection, sqlite_url, decks_dir)


@pytest.fixture
def clock() -> Clock:
    """A clock the test moves by hand, starting at NOW (the web app's CLOCK)."""
    from tests.web.support import Clock

    return Clock()


@pytest.fixture
def app(db_url: str, decks_dir: Path, tmp_path: Path, clock: Clock) -> Iterator[Flask]:
    """The web app on a fresh database with the small test decks synced; modules needing other
    settings (accounts, a SQLite file only) define their own."""
    from tests.web.support import web_app

    with web_app(db_url, decks_dir, tmp_path / "data", clock) as built:
        yield built


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def assert_clean_error(result: Any, exit_code: int = 1) -> None:
    """A click command ended with a handled error: its message and exit status, not an exception.

    Click's test runner never prints a traceback; an unhandled exception shows up as
    `result.exception` instead, so that is what has to be checked.
    """
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Error:" in result.output, result.output


def slow_size(short: int, full: int) -> int:
    """How big a `slow` reliability run is: `short` (what every run and CI does, still real kills
    and real concurrency) unless TRAINER_SLOW=full asks for the long run."""
    return full if os.environ.get(SLOW_ENV, "").strip().lower() == "full" else short


FIXTURE_DRILLS = Path(__file__).parent / "fixtures" / "drills.yaml"


@pytest.fixture
def drill_decks_dir(decks_dir: Path) -> Path:
    """The small test decks plus a `drills` deck with framing (variants, follow-ups, red flags),
    story and old-style design drills."""
    shutil.copy(FIXTURE_DRILLS, decks_dir / "drills.yaml")
    return decks_dir


@pytest.fixture
def drill_col(db_url: str, drill_decks_dir: Path, open_collection: Callable[..., Collection]) -> Collection:
    """A collection on a fresh database with the test decks and the drills deck synced."""
    return _synced(open_collection, db_url, drill_decks_dir)
