"""Read the notes of an Anki package (.apkg) safely, without trusting anything inside it.

The archive must be a zip whose entry names stay inside it; the collection inside must be a
SQLite database that passes `PRAGMA integrity_check`; media names must be plain file names.
Only the collection and the media list are read (media files are not imported), each inflated
a chunk at a time up to a cap (`MAX_COLLECTION_BYTES`, `MAX_MEDIA_LIST_BYTES`), so a
decompression bomb is refused before it takes more memory or disk than that.
Packages from current Anki (`collection.anki21b`, zstd-compressed) and older ones
(`collection.anki21`, `collection.anki2`) are read.
"""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from trainer.errors import TrainerError

from .bounded import ZSTD_MAGIC, TooLarge, copy_bounded, describe_size, open_entry, read_bounded, zstd_stream

COLLECTION_NAMES = ("collection.anki21b", "collection.anki21", "collection.anki2")
SQLITE_MAGIC = b"SQLite format 3\x00"
MAX_COLLECTION_BYTES = 256 << 20
MAX_MEDIA_LIST_BYTES = 8 << 20
NORMAL_KIND, CLOZE_KIND = 0, 1


class PackageError(TrainerError):
    """An Anki package is damaged, unsafe or not a package; nothing was written."""


@dataclass(frozen=True)
class NoteType:
    """An Anki note type: its id, name, kind (0 standard, 1 cloze) and field names."""

    id: int
    name: str
    kind: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class AnkiNote:
    """One note read from a package: its fields by name, tags, deck and note type."""

    id: int
    guid: str
    notetype: NoteType
    fields: dict[str, str]
    tags: tuple[str, ...]
    deck: str


@dataclass(frozen=True)
class PackageContents:
    """Every note in a package, with the note types and deck names they use."""

    notes: tuple[AnkiNote, ...]
    notetypes: tuple[NoteType, ...]


def _check_entry_names(archive: zipfile.ZipFile, source: Path) -> None:
    for name in archive.namelist():
        path = PurePosixPath(name.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
            raise PackageError(f"{source}: entry {name!r} would be written outside the package folder")


def _check_media_names(archive: zipfile.ZipFile, source: Path) -> None:
    if "media" not in archive.namelist():
        return
    with _reading(source, "media"), open_entry(archive, "media", MAX_MEDIA_LIST_BYTES) as entry:
        raw = read_bounded(entry, MAX_MEDIA_LIST_BYTES)
        if raw.startswith(ZSTD_MAGIC):  # current Anki: zstd-compressed protobuf
            with zstd_stream(io.BytesIO(raw)) as inflated:
                raw = read_bounded(inflated, MAX_MEDIA_LIST_BYTES)
            names = _protobuf_media_names(raw)
        else:
            names = _json_media_names(raw, source)
    for name in names:
        if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
            raise PackageError(f"{source}: media file name {name!r} would leave the media folder")


def _json_media_names(raw: bytes, source: Path) -> list[str]:
    try:
        mapping = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"{source}: the media list is not valid JSON ({exc})") from None
    if not isinstance(mapping, dict):
        raise PackageError(f"{source}: the media list is not a mapping")
    return [str(v) for v in mapping.values()]


@contextmanager
def _reading(source: Path, entry: str) -> Iterator[None]:
    """Turn a refused or broken read of `entry` into a PackageError naming it."""
    import zstandard

    try:
        yield
    except TooLarge as exc:
        raise PackageError(
            f"{source}: {entry} inflates to more than {describe_size(exc.limit)}; "
            "refusing it (a damaged package or a decompression bomb)"
        ) from None
    except zstandard.ZstdError as exc:
        raise PackageError(f"{source}: {entry} is not valid zstd data ({exc})") from None
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise PackageError(f"{source}: {entry} is truncated or corrupt ({exc})") from None


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def protobuf_fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """The (field number, value) pairs of a protobuf message: varints as ints, the rest as bytes."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            yield number, value
        elif wire == 2:
            size, pos = _varint(data, pos)
            yield number, data[pos : pos + size]
            pos += size
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            yield number, data[pos : pos + width]
            pos += width
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _protobuf_media_names(data: bytes) -> list[str]:
    names = []
    for number, entry in protobuf_fields(data):
        if number == 1 and isinstance(entry, bytes):
            for inner, value in protobuf_fields(entry):
                if inner == 1 and isinstance(value, bytes):
                    names.append(value.decode("utf-8", "replace"))
    return names


def _collection_name(archive: zipfile.ZipFile, source: Path) -> str:
    names = set(archive.namelist())
    found = next((n for n in COLLECTION_NAMES if n in names), None)
    if found is None:
        raise PackageError(
            f"{source}: no Anki collection inside (expected one of {', '.join(COLLECTION_NAMES)})"
        )
    return found


def _extract_collection(archive: zipfile.ZipFile, name: str, target: Path, source: Path) -> None:
    """Inflate the collection into `target`, never past MAX_COLLECTION_BYTES."""
    with (
        _reading(source, name),
        open_entry(archive, name, MAX_COLLECTION_BYTES) as entry,
        open(target, "wb") as out,
    ):
        if name.endswith("anki21b"):
            with zstd_stream(entry) as inflated:
                copy_bounded(inflated, out, MAX_COLLECTION_BYTES)
        else:
            copy_bounded(entry, out, MAX_COLLECTION_BYTES)


@contextmanager
def open_collection_db(path: str | Path) -> Iterator[tuple[str, sqlite3.Connection]]:
    """The package's collection as a read-only SQLite connection, after every safety check."""
    source = Path(path)
    if not source.is_file():
        raise PackageError(f"{source}: no such file")
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{source}: not an Anki package (an .apkg is a zip archive): {exc}") from None
    with tempfile.TemporaryDirectory(prefix="trainer-anki-import-") as workdir:
        db_file = Path(workdir) / "collection.db"
        with archive:
            _check_entry_names(archive, source)
            _check_media_names(archive, source)
            name = _collection_name(archive, source)
            _extract_collection(archive, name, db_file, source)
        with open(db_file, "rb") as extracted:
            if extracted.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                raise PackageError(f"{source}: {name} is not a SQLite database")
        with closing(sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)) as conn:
            conn.create_collation("unicase", _unicase)  # Anki's schema names this collation
            try:
                verdict = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            except sqlite3.DatabaseError as exc:
                raise PackageError(f"{source}: {name} is not a readable SQLite database ({exc})") from None
            if verdict != ["ok"]:
                raise PackageError(f"{source}: {name} fails the integrity check: {verdict[0]}")
            yield name, conn


def _unicase(left: str, right: str) -> int:
    a, b = left.casefold(), right.casefold()
    return (a > b) - (a < b)


def _table_names(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _legacy_notetypes(conn: sqlite3.Connection) -> tuple[dict[int, NoteType], dict[int, str]]:
    models_json, decks_json = conn.execute("SELECT models, decks FROM col").fetchone()
    notetypes = {}
    for key, model in (json.loads(models_json or "{}") or {}).items():
        fields = tuple(f["name"] for f in sorted(model.get("flds", []), key=lambda f: f.get("ord", 0)))
        notetypes[int(key)] = NoteType(
            int(key), str(model.get("name", "")), int(model.get("type", 0)), fields
        )
    decks = {int(k): str(v.get("name", "")) for k, v in (json.loads(decks_json or "{}") or {}).items()}
    return notetypes, decks


def _current_notetypes(conn: sqlite3.Connection) -> tuple[dict[int, NoteType], dict[int, str]]:
    fields: dict[int, list[str]] = {}
    for ntid, name in conn.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
        fields.setdefault(int(ntid), []).append(str(name))
    notetypes = {}
    for ntid, name, config in conn.execute("SELECT id, name, config FROM notetypes"):
        kind = next((int(v) for n, v in protobuf_fields(config or b"") if n == 1 and isinstance(v, int)), 0)
        notetypes[int(ntid)] = NoteType(int(ntid), str(name), kind, tuple(fields.get(int(ntid), [])))
    decks = {int(i): str(n).replace("\x1f", "::") for i, n in conn.execute("SELECT id, name FROM decks")}
    return notetypes, decks


def read_package(path: str | Path) -> PackageContents:
    """Every note of the Anki package at `path`; raises `PackageError` for a damaged or unsafe package."""
    source = Path(path)
    with open_collection_db(source) as (name, conn):
        try:
            tables = _table_names(conn)
            reader = _current_notetypes if "notetypes" in tables else _legacy_notetypes
            notetypes, decks = reader(conn)
            first_deck = dict(conn.execute("SELECT nid, MIN(did) FROM cards GROUP BY nid").fetchall())
            rows = conn.execute("SELECT id, guid, mid, tags, flds FROM notes ORDER BY id").fetchall()
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
            raise PackageError(f"{source}: {name} is not a readable Anki collection ({exc})") from None
    notes = []
    for note_id, guid, mid, tags, flds in rows:
        notetype = notetypes.get(int(mid))
        if notetype is None:
            raise PackageError(f"{source}: note {note_id} uses note type {mid}, which the package lacks")
        values = str(flds).split("\x1f")
        notes.append(
            AnkiNote(
                id=int(note_id),
                guid=str(guid),
                notetype=notetype,
                fields=dict(zip(notetype.fields, values, strict=False)),
                tags=tuple(str(tags).split()),
                deck=decks.get(int(first_deck.get(note_id, 0)), ""),
            )
        )
    return PackageContents(tuple(notes), tuple(notetypes.values()))
