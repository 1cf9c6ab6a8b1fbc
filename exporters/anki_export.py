"""Export decks, and optionally the learner's progress, to an Anki package (.apkg) with genanki."""

from __future__ import annotations

import itertools
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import genanki

from trainer import Collection
from trainer.clock import require_utc
from trainer.errors import NotFound
from trainer.model import StudyCard

from .anki_progress import ProgressWriter
from .notetypes import deck_id, deck_name, make_note


@dataclass(frozen=True)
class AnkiExportReport:
    """What an export wrote."""

    path: Path
    decks: int
    notes: int
    reviewed_cards: int = 0
    review_rows: int = 0


def select_cards(col: Collection, deck_slugs: Sequence[str] | None) -> list[StudyCard]:
    """The current cards, only those of `deck_slugs` if given; raises NotFound for an unknown deck."""
    cards = col.cards()
    if not deck_slugs:
        return cards
    known = {d.slug for d in col.decks()}
    unknown = [s for s in deck_slugs if s not in known]
    if unknown:
        raise NotFound("no deck named " + ", ".join(repr(s) for s in unknown))
    wanted = set(deck_slugs)
    return [c for c in cards if c.card.deck in wanted]


def build_decks(col: Collection, cards: Iterable[StudyCard], *, tag_leeches: bool) -> list[genanki.Deck]:
    """One genanki deck per trainer deck, named `ML Interview::<title>`, holding `cards` as notes."""
    infos = {d.slug: d for d in col.decks()}
    decks: dict[str, genanki.Deck] = {}
    for study in cards:
        slug = study.card.deck
        info = infos.get(slug)
        title = info.title if info else slug
        if slug not in decks:
            decks[slug] = genanki.Deck(deck_id(slug), deck_name(title), info.description if info else "")
        extra = ("leech",) if tag_leeches and study.memory.leech else ()
        decks[slug].add_note(make_note(study.card, title, extra))
    return list(decks.values())


def write_package(
    decks: list[genanki.Deck], out: Path, timestamp: float, progress: ProgressWriter | None = None
) -> None:
    """Write `decks` as an .apkg at `out` atomically, letting `progress` adjust the database first."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".trainer-apkg-", dir=out.parent) as workdir:
        db_path = os.path.join(workdir, "collection.anki2")
        conn = sqlite3.connect(db_path)
        try:
            package = genanki.Package(decks)
            package.write_to_db(conn.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
            if progress is not None:
                progress.apply(conn)
            conn.commit()
        finally:
            conn.close()
        partial = os.path.join(workdir, "package.apkg")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(db_path, "collection.anki2")
            archive.writestr("media", "{}")
        os.replace(partial, out)


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
    into the same Anki collection updates the notes in place. `with_progress` also writes each
    card's scheduling and review history, so Anki's "import with scheduling" carries them over.
    `now` stamps the notes' modification time (Anki updates a note only from a newer export).
    """
    moment = require_utc(now)
    cards = select_cards(col, decks)
    anki_decks = build_decks(col, cards, tag_leeches=with_progress)
    progress = ProgressWriter(col, cards, moment) if with_progress else None
    path = Path(out)
    write_package(anki_decks, path, moment.timestamp(), progress)
    return AnkiExportReport(
        path=path,
        decks=len(anki_decks),
        notes=len(cards),
        reviewed_cards=progress.cards_written if progress else 0,
        review_rows=progress.rows_written if progress else 0,
    )
