"""What every view needs: the learner's collection, the current time and the deck folders."""

from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, g

from trainer import Collection
from trainer.clock import require_utc

EXTENSION = "trainer_collection"
LEARNER_COLLECTION = "learner_collection"
ACCOUNT = "account"


def accounts_on() -> bool:
    """Whether the app serves several learners, each logged in to their own account."""
    return bool(current_app.config.get("ACCOUNTS"))


def collection() -> Collection:
    """The collection of the learner making the request: the logged-in learner's when accounts
    are on (a request without a login is refused), else the app's one learner."""
    learner = g.get(LEARNER_COLLECTION)
    if learner is not None:
        return learner  # type: ignore[no-any-return]
    if accounts_on():
        abort(401, "log in first")
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def is_host() -> bool:
    """Whether the requester may change shared content (decks): always without accounts, else
    only an admin account."""
    if not accounts_on():
        return True
    account = g.get(ACCOUNT)
    return bool(account is not None and account.is_admin)


def now() -> datetime:
    """The current time in UTC, from the app's CLOCK if one is configured (tests fix it)."""
    clock = current_app.config.get("CLOCK")
    return require_utc(clock() if clock else None)


def deck_paths() -> list[str]:
    """The deck folders a sync from the web reads."""
    return list(current_app.config["DECK_PATHS"])
