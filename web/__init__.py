"""The trainer's web UI and JSON API: a Flask app factory over `trainer.Collection`.

    from web import create_app
    app = create_app({"DATABASE_URL": "sqlite:////tmp/trainer.db"})

The app holds one `Collection` (thread-safe: one pooled engine, one transaction per call);
`close_app(app)` releases it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from flask import Flask

from trainer import Collection
from trainer.storage.paths import bundled_decks, data_dir

from . import (
    api,
    auth,
    authoring,
    errors,
    exports,
    focus,
    insights,
    library,
    media,
    preferences,
    security,
    sessions,
    stats_api,
    study,
)
from .context import EXTENSION
from .json_provider import OrjsonProvider

MAX_CONTENT_LENGTH = 256 * 1024


# Browsers expect the web app manifest as JSON of its own type.
mimetypes.add_type("application/manifest+json", ".webmanifest")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` may set DATABASE_URL, USER, DATA_DIR, SECRET_KEY, DECK_PATHS (the
    deck folders the Decks page syncs), CLOCK (a callable giving the current aware datetime) and
    CHECK_RESPONSES (check every API response against its declared model, as the tests do).

    For a study group: ACCOUNTS (every request logs in; see `web.auth`), OPEN_SIGNUP (sign-up
    without an invite), TRUSTED_HOSTS (Flask's list of accepted Host names), PROXY_FIX (how many
    reverse proxies to trust for the client address and scheme) and SESSION_COOKIE_SECURE."""
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    app.config.update(
        DATABASE_URL=None,
        USER=None,
        DATA_DIR=None,
        DECK_PATHS=None,
        CLOCK=None,
        CHECK_RESPONSES=False,
        ACCOUNTS=False,
        OPEN_SIGNUP=False,
        PROXY_FIX=0,
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
    )
    app.config.update(config or {})
    folder = Path(app.config["DATA_DIR"] or data_dir())
    app.config["DATA_DIR"] = str(folder)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = security.load_or_create_secret(folder)
    app.config["DECK_PATHS"] = [str(p) for p in app.config["DECK_PATHS"] or [bundled_decks()]]
    app.extensions[EXTENSION] = Collection.open(app.config["DATABASE_URL"], user=app.config["USER"])
    security.init_app(app)
    sessions.init_app(app)
    auth.init_app(app, app.extensions[EXTENSION].engine)
    errors.init_app(app)
    for blueprint in (study.bp, library.bp, preferences.bp, api.bp):
        app.register_blueprint(blueprint)
    for blueprint in (insights.bp, focus.bp, exports.bp, stats_api.bp, media.bp, authoring.bp):
        app.register_blueprint(blueprint)
    return app


def close_app(app: Flask) -> None:
    """Close the app's collection and its database connections."""
    collection = app.extensions.pop(EXTENSION, None)
    if collection is not None:
        collection.close()


__all__ = ["close_app", "create_app"]
