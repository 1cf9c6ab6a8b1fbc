"""Downloads: the decks as an Anki package (optionally with the learner's progress) and the
review log as CSV, each written by the exporters to a temporary file and streamed from it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, request, send_file
from werkzeug.wrappers import Response

from exporters.anki_export import export_anki
from trainer.insights.summary import export_review_log

from .context import collection, now

bp = Blueprint("exports", __name__, url_prefix="/export")

APKG_TYPE = "application/octet-stream"
CSV_TYPE = "text/csv"
TRUE_VALUES = frozenset({"1", "on", "true", "yes"})


def send_temporary(write: Callable[[Path], object], download_name: str, mimetype: str) -> Response:
    """Run `write(path)` on a path in a fresh temporary folder and stream the file it writes as
    an attachment. The folder is removed before the response is sent: the open handle keeps
    the data readable until the response closes it, so nothing is left behind either way."""
    folder = Path(tempfile.mkdtemp(prefix="trainer-export-"))
    try:
        path = folder / download_name
        write(path)
        handle = path.open("rb")
        size = os.fstat(handle.fileno()).st_size
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    response = send_file(handle, mimetype=mimetype, as_attachment=True, download_name=download_name)
    response.content_length = size
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/anki.apkg")
def anki_package() -> Response:
    """The decks (all, or each `deck` given) as an Anki package; `with_progress=1` adds the
    learner's scheduling and review history. 404 for an unknown deck."""
    col, moment = collection(), now()
    decks = [slug for slug in request.args.getlist("deck") if slug] or None
    with_progress = request.args.get("with_progress", "").lower() in TRUE_VALUES
    stamp = moment.date().isoformat()
    name = f"ml-interview-{'progress-' if with_progress else ''}{stamp}.apkg"
    return send_temporary(
        lambda path: export_anki(col, path, decks=decks, with_progress=with_progress, now=moment),
        name,
        APKG_TYPE,
    )


@bp.get("/reviews.csv")
def review_log() -> Response:
    """The learner's review log as CSV, oldest first (columns as `trainer export csv` writes)."""
    col = collection()
    name = f"ml-interview-reviews-{now().date().isoformat()}.csv"
    return send_temporary(lambda path: export_review_log(col, path), name, CSV_TYPE)
