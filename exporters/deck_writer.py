"""Write imported cards as a deck file in `decks/`: validated first, then written atomically."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from trainer.decks.deckfile import CONCEPTS_FILE, SLUG, deck_files, load_decks
from trainer.errors import DeckError, Problem, TrainerError
from trainer.model import Card, CardKind

DEFAULT_CONCEPT = "problem-framing"


class _DeckDumper(yaml.SafeDumper):
    """A YAML dumper that writes multi-line text as literal blocks."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not value.endswith(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_DeckDumper.add_representer(str, _text)


def card_mapping(card: Card) -> dict[str, Any]:
    """A card as its deck-file mapping, with only the fields its kind uses."""
    out: dict[str, Any] = {"id": card.id, "kind": card.kind.value}
    if card.kind == CardKind.CLOZE:
        out["text"] = card.text
    else:
        out["prompt"] = card.prompt
        out["answer"] = card.answer
    if card.kind == CardKind.DRILL:
        drill = card.drill_fields()
        out["style"] = drill["style"]
        out["time_target_s"] = drill["time_target_s"]
        out["points"] = list(card.points)
        for name in ("optional", "red_flags", "variants", "follow_ups"):
            if drill[name]:
                out[name] = drill[name]
    if card.why:
        out["why"] = card.why
    out["concepts"] = list(card.concepts)
    if card.tags:
        out["tags"] = list(card.tags)
    return out


def deck_yaml(slug: str, title: str, description: str, cards: Sequence[Card]) -> str:
    """The text of a deck file holding `cards`."""
    data = {
        "deck": slug,
        "title": title,
        "description": description,
        "cards": [card_mapping(c) for c in cards],
    }
    return yaml.dump(data, Dumper=_DeckDumper, sort_keys=False, allow_unicode=True, width=100)


def replace_file(problem: Problem, old: str, new: str) -> Problem:
    """`problem` located in file `new` if it was located in `old`."""
    return dataclasses.replace(problem, file=new) if problem.file == old else problem


def write_deck_file(
    decks_dir: str | Path,
    slug: str,
    title: str,
    description: str,
    cards: Sequence[Card],
    *,
    replace: bool = False,
) -> Path:
    """Write `cards` to `decks_dir/<slug>.yaml` only if the result loads with every other deck there.

    Raises `TrainerError` if the slug is bad or the file exists (unless `replace`), and
    `DeckError` naming every problem if the new deck would not load; nothing is written then.
    """
    return write_deck_files(decks_dir, [DeckDraft(slug, title, description, tuple(cards))], replace=replace)[
        0
    ]


@dataclasses.dataclass(frozen=True)
class DeckDraft:
    """A deck file to write: its slug, title, description and cards (one per deck-file entry)."""

    slug: str
    title: str
    description: str
    cards: tuple[Card, ...]


def write_deck_files(
    decks_dir: str | Path, drafts: Sequence[DeckDraft], *, replace: bool = False
) -> list[Path]:
    """Write every draft as `decks_dir/<slug>.yaml`, all or none: only if they load together
    with every other deck there. Raises as `write_deck_file` does."""
    folder = Path(decks_dir)
    if not (folder / CONCEPTS_FILE).is_file():
        raise TrainerError(f"{folder / CONCEPTS_FILE} not found: decks need the concept vocabulary")
    targets = []
    for draft in drafts:
        if not SLUG.match(draft.slug):
            raise TrainerError(f"deck slug {draft.slug!r} must be lowercase letters, digits and hyphens")
        if not draft.cards:
            raise TrainerError(f"there are no cards to write to deck {draft.slug!r}")
        target = folder / f"{draft.slug}.yaml"
        if target.exists() and not replace:
            raise TrainerError(f"{target} already exists (use --replace to overwrite it)")
        targets.append(target)
    written = {target.resolve() for target in targets}
    others = [p for p in deck_files([folder])[0] if p.resolve() not in written]
    staged = [folder / f".{draft.slug}.yaml.partial" for draft in drafts]
    try:
        for draft, path in zip(drafts, staged, strict=True):
            path.write_text(
                deck_yaml(draft.slug, draft.title, draft.description, draft.cards), encoding="utf-8"
            )
        try:
            load_decks([*others, folder / CONCEPTS_FILE, *staged])
        except DeckError as exc:
            located = list(exc.problems)
            for path, target in zip(staged, targets, strict=True):
                located = [replace_file(p, str(path), str(target)) for p in located]
            names = ", ".join(str(t) for t in targets)
            raise DeckError(f"{names} would not load; nothing was written", located) from None
        for path, target in zip(staged, targets, strict=True):
            os.replace(path, target)
    finally:
        for path in staged:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return targets
