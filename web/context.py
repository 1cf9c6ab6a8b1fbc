"""What every view needs: the app's collection, the current time and the deck folders."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from trainer import Collection
from trainer.clock import require_utc

EXTENSION = "trainer_collection"


def collection() -> Collection:
    """The app's collection."""
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def now() -> datetime:
    """The current time in UTC, from the app's CLOCK if one is configured (tests fix it)."""
    clock = current_app.config.get("CLOCK")
    return require_utc(clock() if clock else None)


def deck_paths() -> list[str]:
    """The deck folders a sync from the web reads."""
    return list(current_app.config["DECK_PATHS"])
