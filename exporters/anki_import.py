"""Turn the notes of an Anki package into a deck file: Basic, Cloze and this project's note types.

Card ids are stable: this project's notes keep their own ids; other notes get one from their
GUID, so importing the same package again yields the same ids. Note types that are none of
these are listed in the report, never guessed at.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.decks.deckfile import (
    CLOZE_GAP,
    CONCEPTS_FILE,
    MAX_POINTS,
    MIN_FRAMING_POINTS,
    MIN_POINTS,
    SLUG,
    load_concepts,
)
from trainer.errors import Problem, ProblemsError
from trainer.model import Card, CardKind, DrillStyle

from .anki_package import CLOZE_KIND, NORMAL_KIND, AnkiNote, read_package
from .deck_writer import DEFAULT_CONCEPT, write_deck_file
from .html_markdown import html_to_markdown
from .notetypes import CONCEPT_TAG, DECK_PREFIX, DECK_TAG, KIND_TAG, MODEL_KINDS, OWN_TAG, TAG_ROOT

_LIST_ITEM = re.compile(r"<li[^>]*>(.*?)</li>", re.DOTALL | re.IGNORECASE)
_SKIPPED_TAGS = ("leech", "marked")
_CONCEPT, _OWN = CONCEPT_TAG[len(TAG_ROOT) :], OWN_TAG[len(TAG_ROOT) :]
_GENERATED = (DECK_TAG[len(TAG_ROOT) :], KIND_TAG[len(TAG_ROOT) :])


class ImportProblems(ProblemsError):
    """Notes in a package cannot become valid cards; nothing was written."""


@dataclass
class AnkiImportReport:
    """What an import wrote, what it skipped and where it filled in a default concept."""

    path: Path
    cards: int
    skipped: dict[str, int] = field(default_factory=dict)
    default_concept_cards: int = 0


def _field(note: AnkiNote, name: str) -> str:
    return html_to_markdown(note.fields.get(name, ""))


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


def _card_id(note: AnkiNote, slug: str) -> str:
    given = note.fields.get("Card ID", "").strip()
    if MODEL_KINDS.get(note.notetype.id) and SLUG.match(given):
        return given
    return f"{slug}-{hashlib.sha1(note.guid.encode()).hexdigest()[:10]}"


def _concepts_and_tags(note: AnkiNote, known: dict[str, str]) -> tuple[list[str], list[str]]:
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
        elif not tag.startswith(_GENERATED) and raw == tag and tag.lower() not in _SKIPPED_TAGS:
            tags.append(tag)
    for concept in listed:
        if concept in known and concept not in concepts:
            concepts.append(concept)
    return concepts, tags


def _points(note: AnkiNote, field: str = "Points") -> list[str]:
    items = [html_to_markdown(item) for item in _LIST_ITEM.findall(note.fields.get(field, ""))]
    return [item for item in items if item]


_STYLE = re.compile(r"^\s*(framing|design|story)\b(?:.*?aim for (\d+):(\d\d))?")


def _drill_extras(note: AnkiNote) -> dict[str, Any]:
    """A drill note's style, time target, optional points and red flags (this trainer's note type
    carries them; another note type yields a design drill with none)."""
    found = _STYLE.match(html_to_markdown(note.fields.get("Style", "")))
    extras: dict[str, Any] = {
        "style": DrillStyle(found.group(1)) if found else DrillStyle.DESIGN,
        "optional": tuple(_points(note, "Optional")),
        "red_flags": tuple(_points(note, "Red flags")),
    }
    if found and found.group(2):
        extras["time_target_s"] = int(found.group(2)) * 60 + int(found.group(3))
    else:
        extras["time_target_s"] = extras["style"].default_time_target_s
    return extras


def note_to_card(
    note: AnkiNote, kind: CardKind, slug: str, known: dict[str, str], problems: list[Problem]
) -> tuple[Card | None, bool]:
    """The card for one note (None if it has problems) and whether it got the default concept."""
    where = f"note {note.id} ({note.notetype.name})"
    concepts, tags = _concepts_and_tags(note, known)
    defaulted = not concepts
    if defaulted:
        concepts = [DEFAULT_CONCEPT]
    own = note.notetype.id in MODEL_KINDS
    values: dict[str, str] = {"why": _field(note, "Why" if own else "Back Extra")}
    required: dict[str, str]
    if kind == CardKind.CLOZE:
        required = {"text": _field(note, "Text")}
    elif own:
        answer_field = "Answer" if kind == CardKind.FACT else "Model answer"
        required = {"prompt": _field(note, "Prompt"), "answer": _field(note, answer_field)}
    else:
        required = {"prompt": _field(note, "Front"), "answer": _field(note, "Back")}
    before = len(problems)
    for name, value in required.items():
        if not value:
            problems.append(Problem(f"{where}: the field for `{name}` is empty"))
    if kind == CardKind.CLOZE and required["text"] and not CLOZE_GAP.search(required["text"]):
        problems.append(Problem(f"{where}: the cloze text has no {{{{c1::...}}}} gap"))
    points = _points(note) if kind == CardKind.DRILL else []
    extras = _drill_extras(note) if kind == CardKind.DRILL else {}
    fewest = MIN_FRAMING_POINTS if extras.get("style") == DrillStyle.FRAMING else MIN_POINTS
    if kind == CardKind.DRILL and not fewest <= len(points) <= MAX_POINTS:
        problems.append(
            Problem(f"{where}: a drill needs {fewest} to {MAX_POINTS} rubric points, found {len(points)}")
        )
    if len(problems) > before:
        return None, defaulted
    card = Card(
        id=_card_id(note, slug),
        deck=slug,
        kind=kind,
        points=tuple(points),
        concepts=tuple(concepts),
        tags=tuple(tags),
        prompt=required.get("prompt", ""),
        answer=required.get("answer", ""),
        text=required.get("text", ""),
        why=values["why"],
        **extras,
    )
    return card, defaulted


def _title(notes: list[AnkiNote], slug: str) -> str:
    names = Counter(n.deck for n in notes if n.deck)
    if not names:
        return slug
    name = names.most_common(1)[0][0]
    if name.startswith(f"{DECK_PREFIX}::"):
        name = name[len(DECK_PREFIX) + 2 :]
    return name.split("::")[-1].strip() or slug


def import_anki(
    package: str | Path,
    slug: str,
    decks_dir: str | Path,
    *,
    title: str | None = None,
    replace: bool = False,
) -> AnkiImportReport:
    """Write the supported notes of `package` as the deck `slug` in `decks_dir`, all or nothing.

    Raises `PackageError` for a damaged or unsafe package, `ImportProblems` listing every note
    that cannot become a valid card, and `DeckError` if the written deck would not load.
    """
    contents = read_package(package)
    concept_problems: list[Problem] = []
    known = load_concepts([Path(decks_dir) / CONCEPTS_FILE], concept_problems)
    supported: list[tuple[AnkiNote, CardKind]] = []
    skipped: Counter[str] = Counter()
    for note in contents.notes:
        kind = _kind(note)
        if kind is None:
            skipped[note.notetype.name] += 1
        else:
            supported.append((note, kind))
    problems: list[Problem] = []
    cards: list[Card] = []
    defaulted = 0
    for note, kind in supported:
        card, used_default = note_to_card(note, kind, slug, known, problems)
        defaulted += int(used_default and card is not None)
        if card is not None:
            cards.append(card)
    if problems:
        raise ImportProblems(
            f"{len(problems)} note(s) in {package} cannot be imported; nothing written", problems
        )
    if not cards:
        listed = ", ".join(f"{name!r} ({count})" for name, count in skipped.items()) or "none"
        raise ImportProblems(
            f"{package} has no Basic or Cloze notes to import", [Problem(f"skipped: {listed}")]
        )
    deck_title = title or _title([n for n, _ in supported], slug)
    path = write_deck_file(
        decks_dir, slug, deck_title, f"Imported from {Path(package).name}.", cards, replace=replace
    )
    return AnkiImportReport(path, len(cards), dict(skipped), defaulted)
