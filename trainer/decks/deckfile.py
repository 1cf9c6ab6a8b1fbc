"""Read and validate deck files (`decks/*.yaml`) and the concept vocabulary (`concepts.yaml`).

Validation collects every problem across every file, each with its file and line, and raises
one `DeckError`; a caller never sees a partial result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from trainer.decks.cloze import cloze_card, cloze_numbers, cloze_problems
from trainer.decks.media import image_problems
from trainer.errors import DeckError, Problem
from trainer.model import STORY_POINTS, Card, CardKind, DrillStyle, FollowUp, Variant

CONCEPTS_FILE = "concepts.yaml"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MIN_POINTS, MAX_POINTS = 3, 7
MIN_FRAMING_POINTS = 2
MAX_OPTIONAL, MAX_RED_FLAGS, MAX_VARIANTS, MAX_FOLLOW_UPS = 5, 5, 6, 4
MIN_TIME_TARGET_S, MAX_TIME_TARGET_S = 20, 900

REQUIRED_FIELDS: dict[CardKind, tuple[str, ...]] = {
    CardKind.FACT: ("prompt", "answer"),
    CardKind.CLOZE: ("text",),
    CardKind.DRILL: ("prompt", "answer"),
}
OPTIONAL_FIELDS = ("why", "tags", "concepts")
DRILL_FIELDS = ("points", "style", "time_target_s", "optional", "red_flags", "variants", "follow_ups")
VARIANT_FIELDS = ("prompt", "answer", "points", "optional", "red_flags")
TEXT_FIELDS = ("prompt", "answer", "why", "text")

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe YAML loader that records the 1-based line of every mapping as `__line__`."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


@dataclass(frozen=True)
class Deck:
    """A deck file's header and its cards, in file order."""

    slug: str
    title: str
    description: str
    path: str
    cards: tuple[Card, ...]


@dataclass(frozen=True)
class DeckSet:
    """Every deck found, plus the concept vocabulary they were validated against."""

    decks: tuple[Deck, ...]
    concepts: dict[str, str]

    @property
    def cards(self) -> list[Card]:
        return [card for deck in self.decks for card in deck.cards]


def deck_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[Path]]:
    """Split `paths` (files or folders) into deck files and concept files, sorted by name."""
    decks: list[Path] = []
    concepts: list[Path] = []
    for raw in paths:
        path = Path(raw)
        found = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
        for file in found:
            (concepts if file.name == CONCEPTS_FILE else decks).append(file)
    return decks, concepts


def _parse(path: Path, problems: list[Problem], text: str | None = None) -> Any:
    try:
        text = path.read_text(encoding="utf-8") if text is None else text
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(f"cannot read file: {exc}", file=str(path)))
        return None
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(f"bad YAML: {reason}", file=str(path), line=line))
        return None


def load_concepts(files: list[Path], problems: list[Problem]) -> dict[str, str]:
    """The concept vocabulary from `files`, with any problems appended to `problems`. A concept
    in several files (deck folders synced together) takes its first file's description."""
    concepts: dict[str, str] = {}
    origin: dict[str, Path] = {}
    for path in files:
        data = _parse(path, problems)
        if data is None:
            continue
        entries = data.get("concepts") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            problems.append(Problem("expected a top-level `concepts:` list", file=str(path), line=1))
            continue
        for entry in entries:
            line = entry.get("__line__") if isinstance(entry, dict) else None
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                problems.append(Problem("each concept needs an `id`", file=str(path), line=line))
                continue
            slug = entry["id"]
            if not SLUG.fullmatch(slug):
                problems.append(Problem(f"concept id {slug!r} is not a slug", file=str(path), line=line))
            description = entry.get("description")
            if slug in concepts and origin.get(slug) == path:
                problems.append(Problem(f"duplicate concept {slug!r}", file=str(path), line=line))
            elif slug in concepts:
                # Folders synced together share one vocabulary: the first folder's entry stands.
                continue
            if not isinstance(description, str) or not description.strip():
                problems.append(Problem(f"concept {slug!r} needs a `description`", file=str(path), line=line))
            concepts[slug] = str(description or "").strip()
            origin.setdefault(slug, path)
    return concepts


def _string_list(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return [v.strip() for v in value]
    return None


def _card(
    raw: Any,
    deck: str,
    where: tuple[str, int | None],
    known: tuple[dict[str, str], dict[str, str]],
    problems: list[Problem],
) -> list[Card]:
    file, deck_line = where
    concepts, seen_ids = known
    if not isinstance(raw, dict):
        problems.append(Problem("each card must be a mapping", file=file, line=deck_line))
        return []
    line = raw.get("__line__")

    def problem(message: str, at: int | None = None) -> None:
        problems.append(Problem(message, file=file, line=at or line))

    before = len(problems)
    card_id = raw.get("id")
    if not isinstance(card_id, str) or not card_id:
        problem("card is missing its `id`")
        card_id = "?"
    elif not SLUG.fullmatch(card_id):
        problem(f"card id {card_id!r} must be lowercase letters, digits and hyphens")
    elif card_id in seen_ids:
        problem(f"duplicate card id {card_id!r} (first used at {seen_ids[card_id]})")
    else:
        seen_ids[card_id] = f"{file}:{line}"
    label = f"card {card_id!r}"
    try:
        kind = CardKind(str(raw.get("kind")))
    except ValueError:
        problem(f"{label}: unknown kind {raw.get('kind')!r} (expected fact, cloze or drill)")
        return []
    allowed = {"id", "kind", "__line__", *REQUIRED_FIELDS[kind], *OPTIONAL_FIELDS}
    if kind == CardKind.DRILL:
        allowed.update(DRILL_FIELDS)
    for key in raw:
        if key not in allowed:
            problem(f"{label}: field `{key}` is not used by a {kind.value} card")
    for name in REQUIRED_FIELDS[kind]:
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            problem(f"{label}: missing field `{name}`")
    for name in TEXT_FIELDS:
        if name in raw and raw[name] is not None and not isinstance(raw[name], str):
            problem(f"{label}: `{name}` must be text")
        elif isinstance(raw.get(name), str):
            for message in image_problems(raw[name], Path(file).parent):
                problem(f"{label}: `{name}`: {message}")
    drill = _drill(raw, label, problem) if kind == CardKind.DRILL else {}
    numbers: list[int] = []
    if kind == CardKind.CLOZE and isinstance(raw.get("text"), str):
        numbers = cloze_numbers(raw["text"])
        for message in cloze_problems(card_id, raw["text"], f"{file}:{line}", seen_ids):
            problem(f"{label}: {message}")
    card_concepts = _string_list(raw.get("concepts"))
    tags = _string_list(raw.get("tags"))
    if card_concepts is None or not card_concepts:
        problem(f"{label}: needs at least one concept")
        card_concepts = []
    for concept in card_concepts:
        if concept not in concepts:
            problem(f"{label}: unknown concept {concept!r}")
    if tags is None:
        problem(f"{label}: `tags` must be a list of words")
        tags = []
    if len(problems) > before:
        return []

    def text(name: str) -> str:
        value = raw.get(name)
        return value.strip() if isinstance(value, str) else ""

    card = Card(
        id=card_id,
        deck=deck,
        kind=kind,
        prompt=text("prompt"),
        answer=text("answer"),
        why=text("why"),
        text=text("text"),
        concepts=tuple(card_concepts),
        tags=tuple(tags),
        **drill,
    )
    if kind != CardKind.CLOZE:
        return [card]
    return [cloze_card(card, number) for number in numbers]


def _rubric_list(
    raw: dict[str, Any], name: str, bounds: tuple[int, int], owner: str, problem: Any
) -> list[str]:
    """The strings of list field `name`, checked against `bounds`; problems reported as found."""
    items = _string_list(raw.get(name))
    at = raw.get("__line__")
    if items is None:
        problem(f"{owner}: `{name}` must be a list of non-empty strings", at)
        return []
    low, high = bounds
    if name in raw and not low <= len(items) <= high:
        what = "a drill needs" if name == "points" else f"`{name}` takes"
        problem(f"{owner}: {what} {low} to {high} {name.replace('_', ' ')}, found {len(items)}", at)
    return items


def _drill(raw: dict[str, Any], label: str, problem: Any) -> dict[str, Any]:
    """The drill-only fields of a card as Card keyword arguments, with every problem reported."""
    style_raw = raw.get("style", DrillStyle.DESIGN.value)
    try:
        style = DrillStyle(str(style_raw))
    except ValueError:
        problem(f"{label}: unknown style {style_raw!r} (expected framing, design or story)")
        style = DrillStyle.DESIGN
    target = raw.get("time_target_s", style.default_time_target_s)
    if isinstance(target, bool) or not isinstance(target, int):
        problem(f"{label}: `time_target_s` must be a whole number of seconds")
        target = style.default_time_target_s
    elif not MIN_TIME_TARGET_S <= target <= MAX_TIME_TARGET_S:
        problem(f"{label}: `time_target_s` must be {MIN_TIME_TARGET_S} to {MAX_TIME_TARGET_S} seconds")
    low = MIN_FRAMING_POINTS if style == DrillStyle.FRAMING else MIN_POINTS
    if raw.get("points") is None and style != DrillStyle.STORY:
        problem(f"{label}: missing field `points`")
    points = _rubric_list(raw, "points", (low, MAX_POINTS), label, problem)
    if style == DrillStyle.STORY and raw.get("points") is None:
        points = list(STORY_POINTS)
    optional = _rubric_list(raw, "optional", (0, MAX_OPTIONAL), label, problem)
    red_flags = _rubric_list(raw, "red_flags", (0, MAX_RED_FLAGS), label, problem)
    variants = [
        _variant(entry, f"{label} variant {n}", low, problem)
        for n, entry in enumerate(_entries(raw, "variants", MAX_VARIANTS, label, problem), start=1)
    ]
    follow_ups = [
        _follow_up(entry, f"{label} follow-up {n}", problem)
        for n, entry in enumerate(_entries(raw, "follow_ups", MAX_FOLLOW_UPS, label, problem), start=1)
    ]
    return {
        "points": tuple(points),
        "style": style,
        "time_target_s": target,
        "optional": tuple(optional),
        "red_flags": tuple(red_flags),
        "variants": tuple(v for v in variants if v is not None),
        "follow_ups": tuple(f for f in follow_ups if f is not None),
    }


def _entries(raw: dict[str, Any], name: str, most: int, label: str, problem: Any) -> list[Any]:
    value = raw.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        problem(f"{label}: `{name}` must be a list")
        return []
    if len(value) > most:
        problem(f"{label}: at most {most} {name.replace('_', '-')}, found {len(value)}")
    return value


def _texts(entry: Any, fields: tuple[str, ...], owner: str, problem: Any) -> dict[str, Any] | None:
    """Check that `entry` is a mapping of known fields whose prompt and answer are text."""
    if not isinstance(entry, dict):
        problem(f"{owner}: must be a mapping with `prompt` and `answer`")
        return None
    for key in entry:
        if key != "__line__" and key not in fields:
            problem(f"{owner}: field `{key}` is not used here", entry.get("__line__"))
    for name in ("prompt", "answer"):
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            problem(f"{owner}: `{name}` must be non-empty text", entry.get("__line__"))
    return entry


def _variant(entry: Any, owner: str, low: int, problem: Any) -> Variant | None:
    checked = _texts(entry, VARIANT_FIELDS, owner, problem)
    if checked is None:
        return None
    bounds = {"points": (low, MAX_POINTS), "optional": (0, MAX_OPTIONAL), "red_flags": (0, MAX_RED_FLAGS)}
    overrides = {
        name: tuple(_rubric_list(checked, name, bounds[name], owner, problem)) if name in checked else None
        for name in bounds
    }
    return Variant(
        str(checked.get("prompt") or "").strip(), str(checked.get("answer") or "").strip(), **overrides
    )


def _follow_up(entry: Any, owner: str, problem: Any) -> FollowUp | None:
    checked = _texts(entry, ("prompt", "answer"), owner, problem)
    if checked is None:
        return None
    return FollowUp(str(checked.get("prompt") or "").strip(), str(checked.get("answer") or "").strip())


def _deck(
    path: Path, known: tuple[dict[str, str], dict[str, str]], problems: list[Problem], text: str | None = None
) -> Deck | None:
    data = _parse(path, problems, text)
    if data is None:
        return None
    file = str(path)
    if not isinstance(data, dict):
        problems.append(Problem("a deck file must be a mapping with `deck:` and `cards:`", file=file))
        return None
    before = len(problems)
    slug = data.get("deck")
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        problems.append(Problem("missing or invalid `deck:` slug", file=file, line=1))
        slug = path.stem
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem("missing field `title`", file=file, line=1))
        title = slug
    description = data.get("description") or ""
    cards_raw = data.get("cards")
    if not isinstance(cards_raw, list) or not cards_raw:
        problems.append(Problem("missing or empty `cards:` list", file=file, line=1))
        cards_raw = []
    cards = [
        card for raw in cards_raw for card in _card(raw, slug, (file, data.get("__line__")), known, problems)
    ]
    if len(problems) > before:
        return None
    return Deck(slug, title.strip(), str(description).strip(), file, tuple(cards))


def load_deck(path: Path, text: str, concepts: dict[str, str], taken: dict[str, str]) -> Deck:
    """`text`, to be stored as deck file `path`, checked by `load_decks`'s rules against the vocabulary
    `concepts` and the card ids `taken` elsewhere (id to where); `DeckError` lists every problem."""
    problems: list[Problem] = []
    deck = _deck(path, (concepts, dict(taken)), problems, text)
    if deck is None or problems:
        raise DeckError(f"{len(problems)} problem(s) in the deck; nothing was applied", problems)
    return deck


def load_decks(paths: Sequence[str | Path]) -> DeckSet:
    """Load every deck under `paths` and validate it against the concept vocabulary.

    Raises `DeckError` listing every problem (file and line) if anything is wrong.
    """
    deck_paths, concept_paths = deck_files(paths)
    problems: list[Problem] = []
    if not concept_paths:
        for raw in paths:
            candidate = (Path(raw) if Path(raw).is_dir() else Path(raw).parent) / CONCEPTS_FILE
            if candidate.exists() and candidate not in concept_paths:
                concept_paths.append(candidate)
    if not concept_paths:
        problems.append(Problem(f"no {CONCEPTS_FILE} found beside the decks"))
    if not deck_paths and not problems:
        problems.append(Problem("no deck files found in " + ", ".join(map(str, paths))))
    concepts = load_concepts(concept_paths, problems)
    seen_ids: dict[str, str] = {}
    decks = [_deck(path, (concepts, seen_ids), problems) for path in deck_paths]
    slugs: dict[str, str] = {}
    for deck in decks:
        if deck is None:
            continue
        if deck.slug in slugs:
            problems.append(
                Problem(f"deck {deck.slug!r} is also defined in {slugs[deck.slug]}", file=deck.path)
            )
        slugs[deck.slug] = deck.path
    if problems:
        raise DeckError(f"{len(problems)} problem(s) in the decks; nothing was applied", problems)
    return DeckSet(tuple(d for d in decks if d is not None), concepts)
