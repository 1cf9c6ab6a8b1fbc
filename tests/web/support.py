"""Helpers shared by the web tests: an app on a fresh database with a clock the test controls."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NOW
from trainer import Collection
from web import close_app, create_app
from web.context import EXTENSION


class Clock:
    """A settable clock for the app's CLOCK: starts at NOW, moves only when told."""

    def __init__(self, start: datetime = NOW):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@contextmanager
def web_app(
    db_url: str, decks: Path, data_dir: Path, clock: Clock | None = None, **extra: Any
) -> Iterator[Flask]:
    """An app on `db_url` with `decks` synced at NOW, closed on exit."""
    app = create_app(
        {
            "DATABASE_URL": db_url,
            "DATA_DIR": str(data_dir),
            "DECK_PATHS": [str(decks)],
            "CLOCK": clock or Clock(),
            "TESTING": True,
            "CHECK_RESPONSES": True,
            **extra,
        }
    )
    try:
        collection_of(app).sync_decks([decks], now=NOW)
        yield app
    finally:
        close_app(app)


def collection_of(app: Flask) -> Collection:
    """The app's collection."""
    return app.extensions[EXTENSION]  # type: ignore[no-any-return]


def csrf_token(client: FlaskClient) -> str:
    """A CSRF token for the client's session."""
    return str(client.get("/api/csrf").get_json()["csrf_token"])


def hidden(html: str, name: str) -> str:
    """The value of the hidden input `name` in a page."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden input {name!r}"
    return found.group(1)
