"""Deck files and their images written into a deck folder all or none, and undone on request.

`write_decks` checks the drafts load together with every other deck of the folder, then writes
the new images into `media/` and the deck files (each staged beside its target and moved into
place), all under an import journal (`trainer.decks.atomic`). The `WrittenDecks` it can return
still open puts the folder back exactly as it was (`undo`) or keeps it (`finish`), so a caller
that goes on to change the database can make the files and the database one step, even across
a crash.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from trainer.decks.atomic import ImportJournal, recover_imports, write_atomically
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
    """What `write_decks` put into a deck folder, and (while its journal is open) how to end it."""

    paths: list[Path]
    """The deck files written, in the drafts' order."""
    journal: ImportJournal | None = None
    """The import's journal, open until `finish` or `undo` (see `write_decks`' `commit`)."""

    @property
    def import_id(self) -> str:
        """The id a caller records in the transaction that commits the import with the files."""
        if self.journal is None:
            raise TrainerError("this import has ended already")
        return self.journal.id

    def finish(self) -> None:
        """The caller's step has committed: keep the files (backups and journal removed). A
        file that cannot be removed leaves the journal for the next recovery, which finishes it."""
        if self.journal is not None:
            with contextlib.suppress(OSError):
                self.journal.finish()
            self.journal = None

    def undo(self) -> None:
        """Put the folder back as it was: written deck files removed or their earlier contents
        restored, created images removed. Goes on past a file it cannot restore, then raises
        `TrainerError` (the journal stays, and the next recovery tries again)."""
        journal, self.journal = self.journal, None
        if journal is not None:
            try:
                journal.roll_back()
            except OSError as exc:
                raise TrainerError(str(exc)) from None


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


def _stage(folder: Path, drafts: Sequence[DeckDraft], targets: list[Path], staged: list[Path]) -> None:
    """The drafts written to `staged`, beside their targets, once they load together with the
    folder's other decks; the caller moves them into place or removes them."""
    written = {target.resolve() for target in targets}
    others = [p for p in deck_files([folder])[0] if p.resolve() not in written]
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


def write_decks(
    decks_dir: str | Path,
    drafts: Sequence[DeckDraft],
    *,
    media: Mapping[str, bytes] | None = None,
    replace: bool = False,
    commit: bool = True,
) -> WrittenDecks:
    """Write every draft as `decks_dir/<slug>.yaml` and every image of `media` (file name to
    bytes) into `decks_dir/media/`, all or none: only if the drafts load together with every
    other deck there. Raises `TrainerError` for a bad slug, an existing file (unless `replace`),
    an image name taken by different bytes or a file that cannot be written, and `DeckError`
    naming every problem if the decks would not load; the folder is unchanged then.

    The files go in under an import journal (`trainer.decks.atomic`), so a crash midway is
    rolled back by the next recovery; an earlier import a crash left unfinished here is rolled
    back first, or refused (`TrainerError`) if a database decides it. With `commit` the
    journal is closed before returning; without it the import stays open: the caller records
    `import_id` in the transaction that makes its own change, then calls `finish`, or `undo` if
    that transaction failed (a crash in between is finished or rolled back by recovery, by
    whether that transaction committed).
    """
    folder = Path(decks_dir)
    targets = _targets(folder, drafts, replace)
    images = _new_media(folder, media or {})
    media_folder = folder / MEDIA_FOLDER
    staged = [folder / f".{draft.slug}.yaml.partial" for draft in drafts]
    try:
        recover_imports(folder)
        journal = ImportJournal.begin(
            folder,
            list(zip(staged, targets, strict=True)),
            created=list(images),
            made_folders=[media_folder] if images and not media_folder.is_dir() else [],
            decided_by_database=not commit,
        )
    except OSError as exc:
        raise TrainerError(f"could not write the decks: {exc}; nothing was written") from None
    written = WrittenDecks(paths=targets, journal=journal)
    try:
        for path, data in images.items():  # first: the decks' check looks for their images
            write_atomically(path, data)
        _stage(folder, drafts, targets, staged)
        journal.back_up()
        for path, target in zip(staged, targets, strict=True):
            _move(path, target)
        journal.moved()
    except BaseException as exc:
        written.undo()
        if isinstance(exc, OSError):
            raise TrainerError(f"could not write the decks: {exc}; nothing was written") from None
        raise
    if commit:
        written.finish()
    return written


def _move(staged: Path, target: Path) -> None:
    """A staged deck file moved into place in one step."""
    os.replace(staged, target)


def _new_media(folder: Path, media: Mapping[str, bytes]) -> dict[Path, bytes]:
    """The images of `media` to create in `folder/media/` (those already there with the same
    bytes left out); raises `TrainerError` for a name that is not a plain file name or one taken
    by different bytes."""
    images = {}
    for name, data in media.items():
        if not MEDIA_NAME.match(name):
            raise TrainerError(f"image name {name!r} is not a plain file name")
        path = folder / MEDIA_FOLDER / name
        if path.exists():
            if path.read_bytes() != data:
                raise TrainerError(f"{path} already exists with other contents")
            continue
        images[path] = data
    return images
