"""Cards to and from CSV for authors who keep cards in a spreadsheet (read and written with pandas).

Columns: id, deck, kind, prompt, answer, why, text, points (separated by " | "), concepts and
tags (separated by spaces). On import, `deck` is informational: every row goes to the deck named
on the command line.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trainer import Collection
from trainer.decks.cloze import cloze_numbers, cloze_syntax_problems
from trainer.decks.deckfile import CONCEPTS_FILE, MAX_POINTS, MIN_POINTS, SLUG, load_concepts
from trainer.decks.writer import write_deck_file
from trainer.errors import Problem, ProblemsError, TrainerError
from trainer.model import Card, CardKind

COLUMNS = ("id", "deck", "kind", "prompt", "answer", "why", "text", "points", "concepts", "tags")
REQUIRED_COLUMNS = ("id", "kind", "concepts")
KIND_COLUMNS = {
    CardKind.FACT: ("prompt", "answer"),
    CardKind.CLOZE: ("text",),
    CardKind.DRILL: ("prompt", "answer", "points"),
}
POINT_SEPARATOR = " | "


class CsvProblems(ProblemsError):
    """A CSV file has missing columns or bad rows; nothing was written."""


@dataclass(frozen=True)
class CsvImportReport:
    """What a CSV import wrote."""

    path: Path
    cards: int


def card_row(card: Card) -> dict[str, str]:
    """A card's deck-file entry as one CSV row (a cloze's cards share one)."""
    return {
        "id": card.note_id,
        "deck": card.deck,
        "kind": card.kind.value,
        "prompt": card.prompt,
        "answer": card.answer,
        "why": card.why,
        "text": card.text,
        "points": POINT_SEPARATOR.join(card.points),
        "concepts": " ".join(card.concepts),
        "tags": " ".join(card.tags),
    }


def export_cards_csv(col: Collection, out: str | Path, *, decks: Sequence[str] | None = None) -> int:
    """Write the current cards (of `decks`, if given) to the CSV file `out`, one row per deck-file
    entry (a cloze with several cloze numbers is one row); returns the row count."""
    entries = {card.note_id: card for card in reversed(col.card_contents(decks))}
    frame = pd.DataFrame([card_row(card) for card in reversed(entries.values())], columns=list(COLUMNS))
    path = Path(out)
    staged = path.with_name(f".{path.name}.partial")
    frame.to_csv(staged, index=False, encoding="utf-8")
    os.replace(staged, path)
    return len(frame)


def _row_lines(text: str) -> list[int]:
    """The 1-based line on which each data row starts (rows may span lines)."""
    reader = csv.reader(io.StringIO(text))
    starts = []
    previous = 0
    for index, _row in enumerate(reader):
        if index > 0:
            starts.append(previous + 1)
        previous = reader.line_num
    return starts


def _read(path: Path) -> tuple[pd.DataFrame, list[int]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TrainerError(f"{path}: cannot read the file ({exc})") from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else "empty file"
        raise CsvProblems(f"{path} is not a readable CSV file", [Problem(message, file=str(path))]) from None
    return frame, _row_lines(text)


def _split(value: str, separator: str | None) -> list[str]:
    parts = value.split(separator) if separator else value.split()
    return [p.strip() for p in parts if p.strip()]


def _row_card(row: dict[str, str], slug: str, concepts: dict[str, str], problem: list[str]) -> Card | None:
    card_id = row.get("id", "").strip()
    if not SLUG.match(card_id):
        problem.append(f"id {card_id!r} must be lowercase letters, digits and hyphens")
    try:
        kind = CardKind(row.get("kind", "").strip())
    except ValueError:
        problem.append(f"unknown kind {row.get('kind', '')!r} (expected fact, cloze or drill)")
        return None
    for name in KIND_COLUMNS[kind]:
        if not row.get(name, "").strip():
            problem.append(f"a {kind.value} card needs `{name}`")
    points = _split(row.get("points", ""), POINT_SEPARATOR.strip()) if kind == CardKind.DRILL else []
    if kind == CardKind.DRILL and points and not MIN_POINTS <= len(points) <= MAX_POINTS:
        problem.append(f"a drill needs {MIN_POINTS} to {MAX_POINTS} points, found {len(points)}")
    text = row.get("text", "").strip()
    if kind == CardKind.CLOZE and text:
        syntax = cloze_syntax_problems(text)
        problem.extend(syntax)
        if not syntax and not cloze_numbers(text):
            problem.append("a cloze needs at least one {{c1::...}} gap")
    card_concepts = _split(row.get("concepts", ""), None)
    if not card_concepts:
        problem.append("needs at least one concept")
    problem.extend(f"unknown concept {c!r}" for c in card_concepts if c not in concepts)
    if problem:
        return None
    return Card(
        id=card_id,
        deck=slug,
        kind=kind,
        prompt=row.get("prompt", "").strip() if kind != CardKind.CLOZE else "",
        answer=row.get("answer", "").strip() if kind != CardKind.CLOZE else "",
        why=row.get("why", "").strip(),
        text=text if kind == CardKind.CLOZE else "",
        points=tuple(points),
        concepts=tuple(card_concepts),
        tags=tuple(_split(row.get("tags", ""), None)),
    )


def read_cards_csv(path: str | Path, slug: str, decks_dir: str | Path) -> list[Card]:
    """The cards in the CSV file at `path`, validated; raises `CsvProblems` naming each bad line."""
    source = Path(path)
    frame, lines = _read(source)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    missing += [c for c in ("prompt", "answer", "text", "points") if c not in frame.columns]
    unknown = [c for c in frame.columns if c not in COLUMNS]
    if missing or unknown:
        header = [Problem(f"missing column `{c}`", file=str(source), line=1) for c in missing]
        header += [Problem(f"unknown column `{c}`", file=str(source), line=1) for c in unknown]
        raise CsvProblems(f"{source}: the header is wrong; nothing was written", header)
    concept_problems: list[Problem] = []
    concepts = load_concepts([Path(decks_dir) / CONCEPTS_FILE], concept_problems)
    if concept_problems:
        raise CsvProblems("the concept vocabulary cannot be read", concept_problems)
    problems: list[Problem] = []
    cards: list[Card] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(frame.to_dict(orient="records")):
        line = lines[index] if index < len(lines) else index + 2
        found: list[str] = []
        card = _row_card({str(k): str(v) for k, v in row.items()}, slug, concepts, found)
        if card is not None and card.id in seen:
            found.append(f"duplicate id {card.id!r} (first on line {seen[card.id]})")
        problems.extend(Problem(message, file=str(source), line=line) for message in found)
        if card is not None and not found:
            seen[card.id] = line
            cards.append(card)
    if problems:
        raise CsvProblems(f"{len(problems)} problem(s) in {source}; nothing was written", problems)
    if not cards:
        raise CsvProblems(f"{source} has no cards", [Problem("no data rows", file=str(source), line=2)])
    return cards


def import_cards_csv(
    path: str | Path,
    slug: str,
    decks_dir: str | Path,
    *,
    title: str | None = None,
    replace: bool = False,
) -> CsvImportReport:
    """Write the cards of the CSV file at `path` as the deck `slug` in `decks_dir`, all or nothing."""
    cards = read_cards_csv(path, slug, decks_dir)
    written = write_deck_file(
        decks_dir,
        slug,
        title or slug.replace("-", " ").capitalize(),
        f"Imported from {Path(path).name}.",
        cards,
        replace=replace,
    )
    return CsvImportReport(written, len(cards))
