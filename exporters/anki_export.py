"""Export decks, and optionally the learner's progress, to an Anki package (.apkg) with genanki."""

from __future__ import annotations

import gc
import itertools
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import genanki

from trainer import Collection
from trainer.clock import require_utc
from trainer.decks.media import MEDIA_URL_PREFIX, deck_folders, find_media
from trainer.model import Card

from .anki_progress import ProgressWriter
from .notetypes import (
    DECK_PREFIX,
    MODELS,
    PARENT_DECK_ID,
    PARENT_DESCRIPTION,
    deck_description,
    deck_id,
    deck_name,
    note_fields,
    note_guid,
    note_tags,
)


@dataclass(frozen=True)
class AnkiExportReport:
    """What an export wrote."""

    path: Path
    decks: int
    notes: int
    reviewed_cards: int = 0
    review_rows: int = 0


class PackageNote(NamedTuple):
    """One note as it goes into the package: the Anki deck it lands in, its note type, when its
    content last changed (epoch seconds) and the trainer card of each of its card ordinals (a
    cloze's card of number N is ordinal N - 1, so its cards are the ordinals Anki's engine
    finds in its text, nested gaps included)."""

    deck_id: int
    model: genanki.Model
    guid: str
    fields: list[str]
    tags: list[str]
    modified: int
    card_ids: dict[int, str]


def package_notes(
    col: Collection,
    cards: Sequence[Card],
    leeches: frozenset[str] = frozenset(),
    stories: dict[str, str] | None = None,
    changed: Mapping[str, datetime] | None = None,
) -> tuple[list[genanki.Deck], list[PackageNote]]:
    """The genanki decks (the parent `ML Interview` and `ML Interview::<short title>` with their
    note types) and the notes for `cards`.

    A cloze's cards (one per cloze number) make one note. Notes come grouped by deck, decks in
    the order they first appear; cards in `leeches` get the tag `leech`; a story drill in
    `stories` carries the learner's own story. A note's modification time is the latest content
    change of its cards (`changed`, by card id, when already read).
    """
    infos = {d.slug: d for d in col.decks()}
    if changed is None:
        changed = col.content_changed_at(dict.fromkeys(card.deck for card in cards))
    seconds = {moment: int(moment.timestamp()) for moment in set(changed.values())}
    times = {card_id: seconds[moment] for card_id, moment in changed.items()}
    stories = stories or {}
    decks: dict[str, genanki.Deck] = {}
    grouped: dict[str, dict[str, PackageNote]] = {}
    for card in cards:
        slug = card.deck
        info = infos.get(slug)
        title = info.title if info else slug
        deck = decks.get(slug)
        if deck is None:
            # Anki shows a deck's description as HTML: it gets the cards' safe rendering.
            description = deck_description(title, info.description if info else "")
            deck = decks[slug] = genanki.Deck(deck_id(slug), deck_name(title), description)
            grouped[slug] = {}
        modified = times.get(card.id, 0)
        ordinal = max(card.cloze - 1, 0)
        note = grouped[slug].get(card.note_id)
        if note is not None:
            note.card_ids[ordinal] = card.id
            tags = note.tags if card.id not in leeches or "leech" in note.tags else [*note.tags, "leech"]
            grouped[slug][card.note_id] = note._replace(modified=max(note.modified, modified), tags=tags)
            continue
        model = MODELS[card.kind]
        deck.add_model(model)
        fields = note_fields(card, title, stories.get(card.id, ""))
        if "<img" in "".join(fields):
            fields = [_anki_media_links(v) for v in fields]
        tags = note_tags(card)
        if card.id in leeches:
            tags.append("leech")
        grouped[slug][card.note_id] = PackageNote(
            deck.deck_id,
            model,
            note_guid(card.note_id),
            fields,
            tags,
            modified,
            {ordinal: card.id},
        )
    parent = genanki.Deck(PARENT_DECK_ID, DECK_PREFIX, PARENT_DESCRIPTION)
    notes = [note for notes in grouped.values() for note in notes.values()]
    return [parent, *decks.values()], notes


# The columns every exported note and new card share are constants of the statements (usn -1,
# checksum, flags, data; a new card's type, queue, interval, ease, reps, lapses, steps left,
# original due and deck): binding them once per row cost more than writing them.
_INSERT_NOTE = "INSERT INTO notes VALUES (?, ?, ?, ?, -1, ?, ?, ?, 0, 0, '')"


def _anki_media_links(value: str) -> str:
    """Field HTML with its images pointing at Anki's media folder (a bare file name)."""
    return value.replace(f'src="{MEDIA_URL_PREFIX}', 'src="') if "<img" in value else value


_IMAGE_SOURCE = re.compile(r'<img[^>]*\ssrc="([^"]+)"')


def package_media(col: Collection, notes: Iterable[PackageNote]) -> list[Path]:
    """The image files the fields of `notes` show (any field, drill points and follow-ups
    included), found in the media folders beside their decks, without repeats."""
    shown = ("\x1f".join(note.fields) for note in notes)  # as Anki stores them
    names = {name: None for html in shown if "<img" in html for name in _IMAGE_SOURCE.findall(html)}
    folders = deck_folders(deck.path for deck in col.decks() if deck.path)
    found = (find_media(folders, name) for name in names)
    return [path for path in found if path is not None]


_INSERT_CARD = "INSERT INTO cards VALUES (?, ?, ?, ?, ?, -1, 0, 0, ?, 0, 0, 0, 0, 0, 0, 0, 0, '')"


def insert_notes(conn: sqlite3.Connection, notes: Iterable[PackageNote], ids: Iterator[int]) -> None:
    """Insert `notes` and their new cards: the rows genanki's `Note.write_to_db` writes, ids included,
    except that a note keeps its own modification time and new cards are numbered in order.

    genanki runs two statements per note; the rows go in with one `executemany` per table here,
    which is what keeps an export of tens of thousands of cards close to genanki's own speed.
    """
    note_rows: list[tuple[object, ...]] = []
    card_rows: list[tuple[object, ...]] = []
    for position, note in enumerate(notes, start=1):
        note_id = next(ids)
        sort_field = note.fields[note.model.sort_field_index]
        tags, fields = " " + " ".join(note.tags) + " ", "\x1f".join(note.fields)
        note_rows.append((note_id, note.guid, note.model.model_id, note.modified, tags, fields, sort_field))
        for ordinal in sorted(note.card_ids):  # one Anki card per trainer card
            card_rows.append((next(ids), note_id, note.deck_id, ordinal, note.modified, position))
    conn.executemany(_INSERT_NOTE, note_rows)
    conn.executemany(_INSERT_CARD, card_rows)


@contextmanager
def indexes_rebuilt_after(conn: sqlite3.Connection, tables: Sequence[str]) -> Iterator[None]:
    """Drop the indexes of `tables` for the block and create them again, with the same
    definitions, after it: building an index once over the loaded rows is cheaper than keeping
    it sorted through every insert."""
    marks = ", ".join("?" for _ in tables)
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master"
        f" WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
        tuple(tables),
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        conn.execute(sql)


def write_package(
    decks: list[genanki.Deck],
    notes: list[PackageNote],
    out: Path,
    timestamp: float,
    progress: ProgressWriter | None = None,
    media: Sequence[Path] = (),
) -> None:
    """Write `decks`, `notes` and the `media` files as an .apkg at `out` atomically, letting
    `progress` adjust the database.

    genanki writes the collection, its decks and note types; `insert_notes` adds the notes.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".trainer-apkg-", dir=out.parent) as workdir:
        db_path = os.path.join(workdir, "collection.anki2")
        conn = sqlite3.connect(db_path)
        try:
            # A scratch file, zipped and renamed into place only when complete: no journal needed.
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            ids = itertools.count(int(timestamp * 1000))
            genanki.Package(decks).write_to_db(conn.cursor(), timestamp, ids)
            with indexes_rebuilt_after(conn, ("notes", "cards")):
                insert_notes(conn, notes, ids)
            if progress is not None:
                progress.apply(conn)
            conn.commit()
        finally:
            conn.close()
        partial = os.path.join(workdir, "package.apkg")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.write(db_path, "collection.anki2")
            for number, path in enumerate(media):
                archive.write(path, str(number))
            archive.writestr("media", json.dumps({str(n): path.name for n, path in enumerate(media)}))
        os.replace(partial, out)


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Run the block with Python's cyclic garbage collector paused, restoring it after.

    An export holds tens of thousands of containers at once (cards, their rendered HTML, the
    notes); the allocations trigger full collections that walk all of them and find nothing to
    free (the export makes no reference cycles), about a quarter of a 10,000-card export.
    Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def export_anki(
    col: Collection,
    out: str | Path,
    *,
    decks: Sequence[str] | None = None,
    with_progress: bool = False,
    now: datetime | None = None,
) -> AnkiExportReport:
    """Write the chosen decks (default: all) to the Anki package `out`.

    Notes keep fixed note types, deck ids and GUIDs from the card ids, so importing a later export
    into the same Anki collection updates the notes in place. A note's modification time is
    when its content last changed here, so Anki (which updates a note only from a newer one)
    leaves an unchanged note, and the learner's edits to it in Anki, alone. `with_progress`
    also writes each card's scheduling and review history, so Anki's "import with scheduling"
    carries them over for cards Anki does not have yet, and the learner's own stories on their
    story drills. `now` stamps the package itself.
    """
    moment = require_utc(now)
    with cycle_collection_paused():
        progress = None
        if with_progress:
            studied = col.cards(decks=decks)
            cards = [s.card for s in studied]
            leeches = frozenset(s.card.id for s in studied if s.memory.leech)
            progress = ProgressWriter(col, studied, moment)
            changed = None
        else:
            read = col.changed_card_contents(decks)
            cards, leeches = [card for card, _ in read], frozenset()
            changed = {card.id: at for card, at in read}
        # A learner's own stories are theirs: they travel only in an export of their progress.
        stories = col.stories() if with_progress else None
        anki_decks, notes = package_notes(col, cards, leeches, stories, changed)
        path = Path(out)
        write_package(anki_decks, notes, path, moment.timestamp(), progress, package_media(col, notes))
    return AnkiExportReport(
        path=path,
        decks=len(anki_decks) - 1,
        notes=len(notes),
        reviewed_cards=progress.cards_written if progress else 0,
        review_rows=progress.rows_written if progress else 0,
    )
