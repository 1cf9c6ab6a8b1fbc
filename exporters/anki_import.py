"""Turn an Anki package into deck files, keeping what it can and counting what it drops.

Basic (with its reverse cards, each its own fact), Cloze (one trainer card per Anki card) and
this project's note types are imported; images become files in `decks/media/`; subdecks become
decks of their own (or join one deck). Card ids are stable: this project's notes keep their own
ids, other notes get one from their GUID, so importing the same package again gives the same
ids. The review history and suspensions are returned keyed by the new card ids; given a
`Collection`, the import hands the decks, images and history to `Collection.import_decks`, which
writes, syncs and replays them as one step. Everything dropped is counted in
`AnkiImportReport.dropped`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.decks.cloze import cloze_card_id, cloze_numbers, cloze_syntax_problems
from trainer.decks.deckfile import (
    CONCEPTS_FILE,
    MAX_POINTS,
    MIN_FRAMING_POINTS,
    MIN_POINTS,
    SLUG,
    load_concepts,
)
from trainer.decks.media import IMAGE_TYPES, MEDIA_FOLDER, MEDIA_NAME
from trainer.decks.writer import DEFAULT_CONCEPT, DeckDraft, write_decks
from trainer.errors import Problem, ProblemsError
from trainer.model import Card, CardKind, DrillStyle

from .anki_cards import MAX_MEDIA_FILE_BYTES, AnkiCard, PackageCards, PackageMedia, read_cards, read_media
from .anki_package import CLOZE_KIND, NORMAL_KIND, AnkiNote, read_package
from .anki_text import is_anki_text, read_anki_text
from .bounded import describe_size
from .html_markdown import html_to_markdown
from .notetypes import CONCEPT_TAG, DECK_TAG, KIND_TAG, MODEL_KINDS, OWN_TAG, TAG_ROOT

if TYPE_CHECKING:
    from trainer import Collection

_LIST_ITEM = re.compile(r"<li[^>]*>(.*?)</li>", re.DOTALL | re.IGNORECASE)
_SKIPPED_TAGS = ("leech", "marked")
_CONCEPT, _OWN = CONCEPT_TAG[len(TAG_ROOT) :], OWN_TAG[len(TAG_ROOT) :]
_GENERATED = (DECK_TAG[len(TAG_ROOT) :], KIND_TAG[len(TAG_ROOT) :])
_TYPE_IN = "{{type:"


class ImportProblems(ProblemsError):
    """Notes in a package cannot become valid cards; nothing was written."""


@dataclass
class AnkiImportReport:
    """What an import wrote, what it dropped and where it filled in a default concept.

    `reviews` (card id, rating, time, duration in ms; oldest first) and `suspended` are the
    package's history and suspensions for the cards written; `answers` is how many of the
    reviews were replayed (when imported into a collection).
    """

    path: Path
    cards: int
    skipped: dict[str, int] = field(default_factory=dict)
    default_concept_cards: int = 0
    paths: list[Path] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    media: int = 0
    reviews: list[tuple[str, int, datetime, int]] = field(default_factory=list)
    suspended: list[str] = field(default_factory=list)
    answers: int = 0

    def summary(self) -> str:
        """One line naming every kind of thing dropped and how many ("" when nothing was)."""
        parts = [f"{count} {label}" for label, count in sorted(self.dropped.items()) if count]
        parts += [f"{count} note(s) of unsupported type {name!r}" for name, count in self.skipped.items()]
        return "dropped: " + ", ".join(parts) if parts else ""


class _Media:
    """Anki media names mapped to safe names in `decks/media/`, with their contents."""

    def __init__(self, read: PackageMedia, folder: Path):
        self.available = read.found
        self.too_large = read.too_large
        self.folder = folder
        self.chosen: dict[str, str] = {}

    def why_left_out(self, source: str) -> str:
        """What a dropped image is counted as in the import's summary."""
        if source in self.too_large:
            return f"image over {describe_size(MAX_MEDIA_FILE_BYTES)}"
        if source in self.available:
            return "image of a type cards cannot show"
        return "missing image"

    def name_for(self, source: str) -> str | None:
        if source in self.chosen:
            return self.chosen[source]
        data = self.available.get(source)
        suffix = Path(source).suffix.lower()
        if data is None or suffix not in IMAGE_TYPES:
            return None
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(source).stem).strip("-._")[:80] or "image"
        name = f"{stem}{suffix}"
        existing = self.folder / MEDIA_FOLDER / name
        if not MEDIA_NAME.match(name) or (existing.exists() and existing.read_bytes() != data):
            name = f"{stem[:60]}-{hashlib.sha256(data).hexdigest()[:10]}{suffix}"
        self.chosen[source] = name
        return name

    def files(self) -> dict[str, bytes]:
        """The chosen images, by their name in `decks/media/`."""
        return {name: self.available[source] for source, name in self.chosen.items()}


def _kind(note: AnkiNote) -> CardKind | None:
    own = MODEL_KINDS.get(note.notetype.id)
    if own is not None:
        return own
    names = set(note.notetype.fields)
    if note.notetype.kind == CLOZE_KIND and "Text" in names:
        return CardKind.CLOZE
    if note.notetype.kind == NORMAL_KIND and {"Front", "Back"} <= names:
        return CardKind.FACT
    return None


def _entry_id(note: AnkiNote, slug: str) -> str:
    given = note.fields.get("Card ID", "").strip()
    if MODEL_KINDS.get(note.notetype.id) and SLUG.match(given):
        return given
    return f"{slug}-{hashlib.sha1(note.guid.encode()).hexdigest()[:10]}"


def _concepts_and_tags(
    note: AnkiNote, known: dict[str, str], dropped: Counter[str]
) -> tuple[list[str], list[str]]:
    concepts: list[str] = []
    tags: list[str] = []
    listed = [c.strip() for c in note.fields.get("Concepts", "").split(",") if c.strip()]
    for raw in note.tags:
        # This trainer's tags sit under one root; packages from before it have them bare.
        tag = raw[len(TAG_ROOT) :] if raw.startswith(TAG_ROOT) else raw
        if tag.startswith(_CONCEPT):
            listed.append(tag[len(_CONCEPT) :])
        elif tag.startswith(_OWN):
            tags.append(tag[len(_OWN) :])
        elif tag.lower() in _SKIPPED_TAGS:
            dropped[f"{tag.lower()} tags"] += 1
        elif not tag.startswith(_GENERATED) and raw == tag:
            tags.append(tag)
    for concept in listed:
        if concept in known and concept not in concepts:
            concepts.append(concept)
    return concepts, tags


@dataclass
class _Context:
    slug: str
    known: dict[str, str]
    media: _Media
    dropped: Counter[str]
    problems: list[Problem]
    defaulted: set[int] = field(default_factory=set)

    def markdown(self, html: str) -> str:
        """A field's HTML as Markdown, its images placed and whatever it drops counted."""
        return html_to_markdown(html, self.media.name_for, self.dropped, self.media.why_left_out)


def _entries(
    note: AnkiNote, kind: CardKind, cards: list[AnkiCard], ctx: _Context
) -> list[tuple[Card, list[AnkiCard]]]:
    """The deck-file entries one note makes, each with the Anki cards that map onto it."""
    where = f"note {note.id} ({note.notetype.name})"

    def text(name: str) -> str:
        return html_to_markdown(
            note.fields.get(name, ""), ctx.media.name_for, ctx.dropped, ctx.media.why_left_out
        )

    concepts, tags = _concepts_and_tags(note, ctx.known, ctx.dropped)
    if not concepts:
        ctx.defaulted.add(note.id)
    own = note.notetype.id in MODEL_KINDS
    entry_id = _entry_id(note, ctx.slug)
    base = Card(
        id=entry_id,
        deck=ctx.slug,
        kind=kind,
        concepts=tuple(concepts or [DEFAULT_CONCEPT]),
        tags=tuple(tags),
        why=text("Why" if own else "Back Extra"),
    )
    before = len(ctx.problems)
    if kind == CardKind.CLOZE:
        cloze = dataclasses.replace(base, text=text("Text"))
        if not cloze.text:
            ctx.problems.append(Problem(f"{where}: the field for `text` is empty"))
        elif syntax := cloze_syntax_problems(cloze.text):
            ctx.problems.extend(Problem(f"{where}: {message}") for message in syntax)
        elif not cloze_numbers(cloze.text):
            ctx.problems.append(Problem(f"{where}: the cloze text has no {{{{c1::...}}}} gap"))
        return [] if len(ctx.problems) > before else [(cloze, cards)]
    if own:
        answer_field = "Answer" if kind == CardKind.FACT else "Model answer"
        prompt, answer = text("Prompt"), text(answer_field)
    else:
        prompt, answer = text("Front"), text("Back")
    points = tuple(_points(note, "Points", ctx))
    for name, value in (("prompt", prompt), ("answer", answer)):
        if not value:
            ctx.problems.append(Problem(f"{where}: the field for `{name}` is empty"))
    extras = _drill_extras(note, ctx) if kind == CardKind.DRILL else {}
    fewest = MIN_FRAMING_POINTS if extras.get("style") == DrillStyle.FRAMING else MIN_POINTS
    if kind == CardKind.DRILL and not fewest <= len(points) <= MAX_POINTS:
        ctx.problems.append(
            Problem(f"{where}: a drill needs {fewest} to {MAX_POINTS} rubric points, found {len(points)}")
        )
    if len(ctx.problems) > before:
        return []
    forward = dataclasses.replace(base, prompt=prompt, answer=answer, points=points, **extras)
    made = [(forward, [c for c in cards if c.ordinal == 0])]
    for card in cards:
        if card.ordinal > 0 and not own:  # a reverse card: its own fact, answer and question swapped
            suffix = "-r" if card.ordinal == 1 else f"-r{card.ordinal}"
            reverse = dataclasses.replace(forward, id=f"{entry_id}{suffix}", prompt=answer, answer=prompt)
            made.append((reverse, [card]))
    return made


def _points(note: AnkiNote, name: str, ctx: _Context) -> list[str]:
    items = _LIST_ITEM.findall(note.fields.get(name, ""))
    return [
        item
        for item in (
            html_to_markdown(i, ctx.media.name_for, ctx.dropped, ctx.media.why_left_out) for i in items
        )
        if item
    ]


_STYLE = re.compile(r"^\s*(framing|design|story)\b(?:.*?aim for (\d+):(\d\d))?")


def _drill_extras(note: AnkiNote, ctx: _Context) -> dict[str, Any]:
    """A drill note's style, time target, optional points and red flags (this trainer's note type
    carries them; another note type yields a design drill with none)."""
    found = _STYLE.match(html_to_markdown(note.fields.get("Style", "")))
    extras: dict[str, Any] = {
        "style": DrillStyle(found.group(1)) if found else DrillStyle.DESIGN,
        "optional": tuple(_points(note, "Optional", ctx)),
        "red_flags": tuple(_points(note, "Red flags", ctx)),
    }
    if found and found.group(2):
        extras["time_target_s"] = int(found.group(2)) * 60 + int(found.group(3))
    else:
        extras["time_target_s"] = extras["style"].default_time_target_s
    return extras


def _deck_slugs(names: Counter[str], slug: str, one_deck: bool) -> dict[str, tuple[str, str]]:
    """Each Anki deck name's (slug, title). The decks' common parent is `slug` (with one deck,
    that deck); a deck below it is `slug-<path below it>`; with `one_deck` all are `slug`."""
    split = [name.split("::") for name in names]
    common: list[str] = []
    for level in zip(*split, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    mapped = {}
    for name, parts in zip(names, split, strict=True):
        title = parts[-1].strip() or slug
        below = "-".join(parts[len(common) :])
        words = re.sub(r"[^a-z0-9]+", "-", below.lower()).strip("-")
        mapped[name] = (slug if one_deck or not words else f"{slug}-{words}", title)
    return mapped


def import_anki(
    package: str | Path,
    slug: str,
    decks_dir: str | Path,
    *,
    title: str | None = None,
    replace: bool = False,
    one_deck: bool = False,
    collection: Collection | None = None,
) -> AnkiImportReport:
    """Write the supported notes of `package` (an .apkg, or Anki's "Notes in Plain Text"
    export) as deck files in `decks_dir`, all or nothing:
    `slug` for the package's main deck and `slug-<subdeck>` for each subdeck (only `slug` with
    `one_deck`), images into `decks_dir/media/`.

    With `collection`, the decks are also synced into it and the package's review history
    replayed and suspensions kept (`Collection.import_decks`): the files, the sync and the
    history then succeed or fail together.

    Raises `PackageError` for a damaged or unsafe package, `ImportProblems` listing every note
    that cannot become a valid card, `DeckError` if the written decks would not load, and
    what `Collection.import_decks` raises; nothing is written or changed then.
    """
    if is_anki_text(package):
        contents, extra = read_anki_text(package), PackageCards((), (), {})
    else:
        contents, extra = read_package(package), read_cards(package)
    folder = Path(decks_dir)
    concept_problems: list[Problem] = []
    known = load_concepts([folder / CONCEPTS_FILE], concept_problems)
    cards_of: dict[int, list[AnkiCard]] = {}
    for card in extra.cards:
        cards_of.setdefault(card.note_id, []).append(card)
    wanted = {m for note in contents.notes for value in note.fields.values() for m in _image_sources(value)}
    available = read_media(package, wanted) if extra.cards else PackageMedia()
    ctx = _Context(slug, known, _Media(available, folder), Counter(), [])
    skipped: Counter[str] = Counter()
    made: list[tuple[Card, list[AnkiCard], str]] = []
    made_from: list[int] = []
    for note in contents.notes:
        kind = _kind(note)
        if kind is None:
            skipped[note.notetype.name] += 1
            continue
        if any(_TYPE_IN in q for q in extra.templates.get(note.notetype.id, ())):
            ctx.dropped["type-in answers (shown as plain facts)"] += 1
        note_cards = cards_of.get(note.id, [])
        ctx.dropped["card flags"] += sum(1 for card in note_cards if card.flagged)
        for entry, anki_cards in _entries(note, kind, note_cards, ctx):
            deck = next((c.deck for c in anki_cards), note.deck)
            made.append((entry, anki_cards, deck))
            made_from.append(note.id)
    if ctx.problems:
        raise ImportProblems(
            f"{len(ctx.problems)} note(s) in {package} cannot be imported; nothing written", ctx.problems
        )
    if not made:
        listed = ", ".join(f"{name!r} ({count})" for name, count in skipped.items()) or "none"
        raise ImportProblems(
            f"{package} has no Basic or Cloze notes to import", [Problem(f"skipped: {listed}")]
        )
    decks = _deck_slugs(Counter(deck for _, _, deck in made), slug, one_deck)
    drafts: dict[str, list[Card]] = {}
    titles: dict[str, str] = {}
    card_ids: dict[int, str] = {}
    for entry, anki_cards, deck in made:
        deck_slug, deck_title = decks.get(deck, (slug, slug))
        drafts.setdefault(deck_slug, []).append(dataclasses.replace(entry, deck=deck_slug))
        titles.setdefault(deck_slug, title if deck_slug == slug and title else deck_title)
        for anki_card in anki_cards:
            number = anki_card.ordinal + 1
            card_ids[anki_card.id] = (
                cloze_card_id(entry.id, number) if entry.kind == CardKind.CLOZE else entry.id
            )
    description = f"Imported from {Path(package).name}."
    drafts_list = [DeckDraft(s, titles[s], description, tuple(cards)) for s, cards in drafts.items()]
    entries = [entry for entry, _, _ in made]
    defaulted = {
        entry.id for (entry, _, _), note_id in zip(made, made_from, strict=True) if note_id in ctx.defaulted
    }
    reviews = [
        (card_ids[r.card_id], r.rating, r.reviewed_at, r.duration_ms)
        for r in extra.reviews
        if r.card_id in card_ids
    ]
    suspended = [card_ids[c.id] for c in extra.cards if c.suspended and c.id in card_ids]
    report = AnkiImportReport(
        path=folder / f"{drafts_list[0].slug}.yaml",
        cards=sum(len(cloze_numbers(e.text)) if e.kind == CardKind.CLOZE else 1 for e in entries),
        skipped=dict(skipped),
        default_concept_cards=len(defaulted),
        dropped=Counter({k: v for k, v in ctx.dropped.items() if v}),
        media=len(ctx.media.chosen),
        reviews=reviews,
        suspended=suspended,
    )
    if collection is None:
        report.paths = write_decks(folder, drafts_list, media=ctx.media.files(), replace=replace).paths
    else:
        done = collection.import_decks(
            folder,
            drafts_list,
            media=ctx.media.files(),
            reviews=reviews,
            suspended=suspended,
            replace=replace,
        )
        report.paths, report.answers = done.paths, done.answers
    return report


_IMG_SOURCE = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)


def _image_sources(value: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None) for m in _IMG_SOURCE.finditer(value)]
