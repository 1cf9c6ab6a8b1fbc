"""What an Anki package holds beyond its notes: each card's deck, ordinal and queue, the review
log, the note types' question templates and the media files, read with the same safety checks
as the notes (`anki_package.open_collection_db`)."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .anki_package import MAX_MEDIA_LIST_BYTES, PackageError, open_collection_db, protobuf_fields
from .bounded import ZSTD_MAGIC, TooLarge, open_entry, read_bounded, zstd_stream

MAX_MEDIA_FILE_BYTES = 2 << 20
SUSPENDED_QUEUE = -1
MANUAL_REVLOG_TYPE = 4


@dataclass(frozen=True)
class AnkiCard:
    """One Anki card: its note, template ordinal, deck name, whether it is suspended and whether
    it carries one of Anki's coloured flags."""

    id: int
    note_id: int
    ordinal: int
    deck: str
    suspended: bool
    flagged: bool = False


@dataclass(frozen=True)
class AnkiReview:
    """One answer from Anki's review log (manual rescheduling left out)."""

    card_id: int
    reviewed_at: datetime
    rating: int
    duration_ms: int


@dataclass(frozen=True)
class PackageCards:
    """The cards, reviews and question templates (by note type id) of a package."""

    cards: tuple[AnkiCard, ...]
    reviews: tuple[AnkiReview, ...]
    templates: dict[int, tuple[str, ...]]


def read_cards(path: str | Path) -> PackageCards:
    """The cards, review log and question templates of the package at `path`."""
    source = Path(path)
    with open_collection_db(source) as (name, conn):
        try:
            current = "notetypes" in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            decks = _deck_names(conn, current)
            templates = _current_templates(conn) if current else _legacy_templates(conn)
            cards = tuple(
                AnkiCard(
                    int(cid),
                    int(nid),
                    int(ordinal),
                    decks.get(int(did), ""),
                    queue == SUSPENDED_QUEUE,
                    bool(flags & 7),
                )
                for cid, nid, ordinal, did, queue, flags in conn.execute(
                    "SELECT id, nid, ord, did, queue, flags FROM cards ORDER BY nid, ord"
                )
            )
            reviews = tuple(
                AnkiReview(
                    int(cid), datetime.fromtimestamp(int(rid) / 1000, UTC), int(ease), max(int(taken), 0)
                )
                for rid, cid, ease, taken, kind in conn.execute(
                    "SELECT id, cid, ease, time, type FROM revlog ORDER BY id"
                )
                if 1 <= int(ease) <= 4 and int(kind) != MANUAL_REVLOG_TYPE
            )
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
            raise PackageError(f"{source}: {name} is not a readable Anki collection ({exc})") from None
    return PackageCards(cards, reviews, templates)


def _deck_names(conn: sqlite3.Connection, current: bool) -> dict[int, str]:
    if current:
        return {int(i): str(n).replace("\x1f", "::") for i, n in conn.execute("SELECT id, name FROM decks")}
    (raw,) = conn.execute("SELECT decks FROM col").fetchone()
    return {int(k): str(v.get("name", "")) for k, v in (json.loads(raw or "{}") or {}).items()}


def _legacy_templates(conn: sqlite3.Connection) -> dict[int, tuple[str, ...]]:
    (raw,) = conn.execute("SELECT models FROM col").fetchone()
    found = {}
    for key, model in (json.loads(raw or "{}") or {}).items():
        ordered = sorted(model.get("tmpls", []), key=lambda t: t.get("ord", 0))
        found[int(key)] = tuple(str(t.get("qfmt", "")) for t in ordered)
    return found


def _current_templates(conn: sqlite3.Connection) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    for ntid, config in conn.execute("SELECT ntid, config FROM templates ORDER BY ntid, ord"):
        question = next(
            (v for n, v in protobuf_fields(config or b"") if n == 1 and isinstance(v, bytes)), b""
        )
        found.setdefault(int(ntid), []).append(question.decode("utf-8", "replace"))
    return {ntid: tuple(questions) for ntid, questions in found.items()}


@dataclass(frozen=True)
class PackageMedia:
    """The images read from a package, by their name in it, and the names left out as too large."""

    found: dict[str, bytes] = field(default_factory=dict)
    too_large: frozenset[str] = frozenset()


def read_media(path: str | Path, wanted: set[str]) -> PackageMedia:
    """The media files named in `wanted` that the package holds, each read a chunk at a time
    and at most MAX_MEDIA_FILE_BYTES once inflated; a larger file is named in `too_large`, a
    broken or missing one is left out."""
    found: dict[str, bytes] = {}
    too_large: set[str] = set()
    with zipfile.ZipFile(Path(path)) as archive:
        present = set(archive.namelist())
        for entry, name in _media_entries(archive).items():
            if name in wanted and entry in present:
                try:
                    data = _bounded(archive, entry)
                except TooLarge:
                    too_large.add(name)
                    continue
                if data is not None:
                    found[name] = data
    return PackageMedia(found, frozenset(too_large))


def _media_entries(archive: zipfile.ZipFile) -> dict[str, str]:
    """Zip entry name to media file name, from the package's media list (an old package's
    JSON mapping, or current Anki's zstd-compressed list whose n-th file is entry `n`)."""
    if "media" not in archive.namelist():
        return {}
    try:
        with open_entry(archive, "media", MAX_MEDIA_LIST_BYTES) as entry:
            raw = read_bounded(entry, MAX_MEDIA_LIST_BYTES)
        if not raw.startswith(ZSTD_MAGIC):
            mapping = json.loads(raw.decode("utf-8") or "{}")
            return {str(k): str(v) for k, v in mapping.items()} if isinstance(mapping, dict) else {}
        with zstd_stream(io.BytesIO(raw)) as inflated:
            listing = read_bounded(inflated, MAX_MEDIA_LIST_BYTES)
    except (TooLarge, ValueError, OSError, zipfile.BadZipFile, zlib.error, _zstd_error()):
        return {}
    entries = {}
    for index, (number, item) in enumerate(protobuf_fields(listing)):
        if number == 1 and isinstance(item, bytes):
            names = [v for n, v in protobuf_fields(item) if n == 1 and isinstance(v, bytes)]
            if names:
                entries[str(index)] = names[0].decode("utf-8", "replace")
    return entries


def _bounded(archive: zipfile.ZipFile, entry: str) -> bytes | None:
    """An entry's bytes inflated, None if it is broken; raises TooLarge past the image cap."""
    try:
        with open_entry(archive, entry, MAX_MEDIA_FILE_BYTES) as stream:
            data = read_bounded(stream, MAX_MEDIA_FILE_BYTES)
        if data.startswith(ZSTD_MAGIC):
            with zstd_stream(io.BytesIO(data)) as inflated:
                data = read_bounded(inflated, MAX_MEDIA_FILE_BYTES)
    except (OSError, zipfile.BadZipFile, zlib.error, _zstd_error()):
        return None
    return data


def _zstd_error() -> type[Exception]:
    import zstandard

    return zstandard.ZstdError  # type: ignore[no-any-return]
