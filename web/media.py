"""Card images: the files of the decks' `media/` folders, and nothing else, from this origin."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_file
from werkzeug.wrappers import Response

from trainer.decks.media import IMAGE_TYPES, deck_folders, find_media

from .context import collection, deck_paths

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.get("/<name>")
def image(name: str) -> Response:
    """The image `name` from the media folder beside the synced decks (or the configured deck
    folders): a plain file name with an image extension, at most 2 MB; 404 for anything else."""
    sources = [*deck_paths(), *(deck.path for deck in collection().decks() if deck.path)]
    found = find_media(deck_folders(sources), name)
    if found is None:
        abort(404)
    response = send_file(found, mimetype=IMAGE_TYPES[Path(name).suffix.lower()], max_age=3600)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
