"""Deck files and their images written into a deck folder all or none, and undone on request.

`write_decks` checks the drafts load together with every other deck of the folder, then writes
the new images into `media/` and the deck files (each staged beside its target and moved into
place). The `WrittenDecks` it returns can put the folder back exactly as it was (`undo`), so a
caller that goes on to change the database can make the files and the database one step.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from trainer.decks.deckfile import CONCEPTS_FILE, SLUG, deck_files, load_decks
from trainer.decks.media import MEDIA_FOLDER, MEDIA_NAME
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


@dataclasses.dataclass(frozen=True)
class DeckDraft:
    """A deck file to write: its slug, title, description and cards (one per deck-file entry)."""

    slug: str
    title: str
    description: str
    cards: tuple[Card, ...]


@dataclasses.dataclass
class WrittenDecks:
    """What `write_decks` changed in a deck folder, and how to take it back."""

    paths: list[Path]
    """The deck files written, in the drafts' order."""
    media: list[Path] = dataclasses.field(default_factory=list)
    """The image files created (images already there with the same bytes are not rewritten)."""
    replaced: dict[Path, bytes] = dataclasses.field(default_factory=dict)
    """The earlier contents of deck files that were overwritten."""
    made_media_folder: Path | None = None

    def undo(self) -> None:
        """Put the folder back as it was: written deck files removed or their earlier contents
        restored, created images removed. Goes on past a file it cannot restore, then raises."""
        failed: list[str] = []
        for path in self.paths:
            try:
                if path in self.replaced:
                    write_atomically(path, self.replaced[path])
                else:
                    path.unlink(missing_ok=True)
            except OSError as exc:
                failed.append(f"{path}: {exc}")
        for path in self.media:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                failed.append(f"{path}: {exc}")
        if self.made_media_folder is not None:
            with contextlib.suppress(OSError):
                self.made_media_folder.rmdir()
        self.paths, self.media, self.replaced = [], [], {}
        if failed:
            raise TrainerError("could not put the deck folder back: " + "; ".join(failed))


def write_atomically(path: Path, data: str | bytes) -> None:
    """Replace `path` (making its folder if need be) with `data`, text written as UTF-8, in one
    step: staged in a file of its own beside it, flushed to disk and moved into place, so a
    reader sees the old file or the new, never half of one. A replaced file keeps its
    permissions; a new one gets those any new file gets (the umask's). Raises OSError, leaving
    `path` as it was and no staged file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        kept = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        kept = None
    try:
        with open(staged, "xb") as file:
            if kept is not None:
                os.chmod(staged, kept)
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


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
    drafts = [DeckDraft(slug, title, description, tuple(cards))]
    return write_decks(decks_dir, drafts, replace=replace).paths[0]


def _targets(folder: Path, drafts: Sequence[DeckDraft], replace: bool) -> list[Path]:
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
    return targets


def _stage(folder: Path, drafts: Sequence[DeckDraft], targets: list[Path]) -> list[Path]:
    """The drafts written beside their targets (`.<slug>.yaml.partial`), once they load together
    with the folder's other decks; the caller moves them into place or removes them."""
    written = {target.resolve() for target in targets}
    others = [p for p in deck_files([folder])[0] if p.resolve() not in written]
    staged = [folder / f".{draft.slug}.yaml.partial" for draft in drafts]
    for draft, path in zip(drafts, staged, strict=True):
        path.write_text(deck_yaml(draft.slug, draft.title, draft.description, draft.cards), encoding="utf-8")
    try:
        load_decks([*others, folder / CONCEPTS_FILE, *staged])
    except DeckError as exc:
        located = list(exc.problems)
        for path, target in zip(staged, targets, strict=True):
            located = [replace_file(p, str(path), str(target)) for p in located]
        names = ", ".join(str(t) for t in targets)
        raise DeckError(f"{names} would not load; nothing was written", located) from None
    return staged


def write_decks(
    decks_dir: str | Path,
    drafts: Sequence[DeckDraft],
    *,
    media: Mapping[str, bytes] | None = None,
    replace: bool = False,
) -> WrittenDecks:
    """Write every draft as `decks_dir/<slug>.yaml` and every image of `media` (file name to
    bytes) into `decks_dir/media/`, all or none: only if the drafts load together with every
    other deck there. Raises `TrainerError` for a bad slug, an existing file (unless `replace`),
    an image name taken by different bytes or a file that cannot be written, and `DeckError`
    naming every problem if the decks would not load; the folder is unchanged then.
    """
    folder = Path(decks_dir)
    targets = _targets(folder, drafts, replace)
    written = WrittenDecks(paths=[])
    try:
        _write_media(folder, media or {}, written)  # first: the decks' check looks for their images
        staged = _stage(folder, drafts, targets)
        for path, target in zip(staged, targets, strict=True):
            if target.exists():
                written.replaced[target] = target.read_bytes()
            written.paths.append(target)
            _move(path, target)
    except BaseException as exc:
        written.undo()
        if isinstance(exc, OSError):
            raise TrainerError(f"could not write the decks: {exc}; nothing was written") from None
        raise
    finally:
        for draft in drafts:  # whatever was staged and not moved into place
            with contextlib.suppress(FileNotFoundError):
                (folder / f".{draft.slug}.yaml.partial").unlink()
    written.paths = targets
    return written


def _move(staged: Path, target: Path) -> None:
    """A staged deck file moved into place in one step."""
    os.replace(staged, target)


def _write_media(folder: Path, media: Mapping[str, bytes], written: WrittenDecks) -> None:
    if not media:
        return
    target = folder / MEDIA_FOLDER
    if not target.is_dir():
        target.mkdir()
        written.made_media_folder = target
    for name, data in media.items():
        if not MEDIA_NAME.match(name):
            raise TrainerError(f"image name {name!r} is not a plain file name")
        path = target / name
        if path.exists():
            if path.read_bytes() != data:
                raise TrainerError(f"{path} already exists with other contents")
            continue
        written.media.append(path)
        write_atomically(path, data)
