"""Anki's "Notes in Plain Text" files: `#key:value` header lines, then one note per row.

Headers read: `#separator:` (Tab, Comma, Semicolon, Space, Pipe, Colon or one character),
`#html:`, `#columns:`, `#notetype:`, `#deck:`, `#tags:`, and `#notetype column:`, `#deck
column:`, `#tags column:` and `#guid column:` (1-based). Rows are read as CSV with that
separator (quoted fields may hold separators and line breaks).
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
from pathlib import Path

from .anki_package import CLOZE_KIND, NORMAL_KIND, AnkiNote, NoteType, PackageContents, PackageError

SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}
MAX_TEXT_BYTES = 64 << 20
_TEXT_NOTETYPE_ID = 1


def is_anki_text(path: str | Path) -> bool:
    """Whether the file at `path` starts like an Anki plain-text export (a `#...:` header)."""
    with open(path, "rb") as handle:
        start = handle.read(64)
    return start.lstrip(b"\xef\xbb\xbf").startswith(b"#") and b":" in start.split(b"\n", 1)[0]


def read_anki_text(path: str | Path) -> PackageContents:
    """The notes of an Anki plain-text export; raises `PackageError` naming the line of a
    header or row it cannot read."""
    source = Path(path)
    if source.stat().st_size > MAX_TEXT_BYTES:
        raise PackageError(f"{source}: larger than {MAX_TEXT_BYTES >> 20} MB")
    try:
        text = source.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PackageError(f"{source}: not UTF-8 text ({exc})") from None
    lines = text.splitlines(keepends=True)
    headers: dict[str, str] = {}
    body_start = 0
    for number, line in enumerate(lines):
        if not line.startswith("#"):
            break
        key, colon, value = line[1:].rstrip("\r\n").partition(":")
        if not colon:
            raise PackageError(f"{source}:{number + 1}: header line without `:`: {line.strip()!r}")
        headers[key.strip().lower()] = value.strip()
        body_start = number + 1
    raw_separator = headers.get("separator", "tab")
    separator = SEPARATORS.get(raw_separator.lower(), raw_separator)
    if len(separator) != 1:
        raise PackageError(f"{source}: unknown #separator: {raw_separator!r}")
    is_html = headers.get("html", "false").lower() == "true"
    columns = [c for c in headers.get("columns", "").split(separator) if c] if "columns" in headers else []

    def column(name: str) -> int | None:
        value = headers.get(f"{name} column")
        return int(value) - 1 if value and value.isdigit() and int(value) > 0 else None

    special = {name: column(name) for name in ("notetype", "deck", "tags", "guid")}
    reader = csv.reader(io.StringIO("".join(lines[body_start:])), delimiter=separator)
    notes = []
    types: dict[str, NoteType] = {}
    for row_number, row in enumerate(reader, start=body_start + 1):
        if not any(cell.strip() for cell in row):
            continue
        values = [cell if is_html else html.escape(cell) for cell in row]

        def pick(name: str, row: list[str] = row) -> str | None:
            index = special[name]
            return row[index] if index is not None and index < len(row) else None

        fields = [v for i, v in enumerate(values) if i not in special.values()]
        notetype_name = pick("notetype") or headers.get("notetype", "")
        cloze = "cloze" in notetype_name.lower() or any("{{c" in f for f in fields[:1])
        names = _field_names(columns, special, cloze, len(fields))
        key = f"{notetype_name}|{int(cloze)}|{'/'.join(names)}"
        notetype = types.setdefault(
            key,
            NoteType(
                _TEXT_NOTETYPE_ID + len(types),
                notetype_name or ("Cloze" if cloze else "Basic"),
                CLOZE_KIND if cloze else NORMAL_KIND,
                tuple(names),
            ),
        )
        guid = pick("guid") or hashlib.sha1("\x1f".join(row).encode()).hexdigest()[:10]
        tags = (pick("tags") or "").split() + headers.get("tags", "").split()
        deck = pick("deck") or headers.get("deck", "")
        notes.append(
            AnkiNote(row_number, guid, notetype, dict(zip(names, fields, strict=False)), tuple(tags), deck)
        )
    if not notes:
        raise PackageError(f"{source}: no notes after the header lines")
    return PackageContents(tuple(notes), tuple(types.values()))


def _field_names(columns: list[str], special: dict[str, int | None], cloze: bool, count: int) -> list[str]:
    if columns:
        listed = [c for i, c in enumerate(columns) if i not in special.values()]
        if len(listed) >= count:
            return listed[:count]
    base = ["Text", "Back Extra"] if cloze else ["Front", "Back"]
    return base + [f"Field {n}" for n in range(len(base) + 1, count + 1)]
