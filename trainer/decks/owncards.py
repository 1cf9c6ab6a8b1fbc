"""Cards written in a front end: one card added to, or changed in, a deck file and synced at once.

A new card goes to the learner's own deck file (`my-cards/<deck>.yaml` in the data folder), a
deck only its owner studies. An edit rewrites the card's entry in the file its deck was synced
from, keeping its id (so every learner's progress and history stay) and the rest of the file,
comments and layout included, as it was. The new file is checked by the deck-file rules before
anything is written, applied in the caller's transaction and put in place last, atomically: a
card that fails validation, or a sync that fails, leaves the file and the database as they were.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString
from sqlalchemy import Connection, Table, func, select

from trainer.decks import writer
from trainer.decks.cardform import KIND_FIELDS, CardDraft, field_problems, new_card_id
from trainer.decks.deckfile import DeckSet, load_deck
from trainer.decks.sync import apply_decks, concepts_table, decks_table, remember_sources
from trainer.errors import Conflict, DeckError, Forbidden, NotFound, Problem
from trainer.model import CardKind, DrillStyle
from trainer.storage.database import hold_lock
from trainer.storage.schema import Learner as LearnerRow
from trainer.storage.store import card_contents, cards

OWN_FOLDER = "my-cards"
OWN_TITLE = "My cards"
OWN_DESCRIPTION = "Cards you wrote yourself."
LOCAL_LEARNER = "local"
FORM_FIELDS = tuple(dict.fromkeys(name for names in KIND_FIELDS.values() for name in names))
learners_table: Table = LearnerRow.__table__  # type: ignore[assignment]
_READER = yaml.resolver.Resolver()


@dataclass(frozen=True)
class Author:
    """Who saves a card: the learner, and whether the collection serves a study group (where only
    admins change the shared decks) or one learner (who may change every deck)."""

    id: int
    name: str
    study_group: bool


@dataclass(frozen=True)
class Written:
    """A deck file a save replaced, and what it held before (None: it did not exist)."""

    path: Path
    before: str | None

    def restore(self) -> None:
        """Put the file back as it was (for a save whose transaction failed to commit)."""
        if self.before is None:
            self.path.unlink(missing_ok=True)
        else:
            writer.write_atomically(self.path, self.before)


@dataclass(frozen=True)
class Saved:
    """A saved entry: the ids of the cards it makes (one, or one per gap of a cloze), its deck
    and the file written."""

    card_ids: list[str]
    deck: str
    written: Written


@dataclass(frozen=True)
class _Target:
    deck: str
    path: Path
    entry: str | None  # the entry edited; None for a new card
    kind: CardKind | None
    owner: int | None


def own_deck_slug(author: Author) -> str:
    """The slug of the learner's own deck: `my-cards` for the login-free learner, else with the
    learner's id (account names may hold characters a slug may not)."""
    return OWN_FOLDER if author.name == LOCAL_LEARNER else f"{OWN_FOLDER}-{author.id}"


def own_deck_file(folder: Path, author: Author) -> Path:
    """Where the learner's own deck file lives under the data folder `folder`."""
    return folder / OWN_FOLDER / f"{own_deck_slug(author)}.yaml"


def may_edit(owner: int | None, author: Author, is_admin: bool) -> bool:
    """Whether `author` may change a card of a deck owned by `owner` (None: shared): their own
    deck always; a shared deck alone at home, or as an admin of a study group."""
    if owner is not None:
        return owner == author.id
    return not author.study_group or is_admin


def _is_admin(conn: Connection, author: Author) -> bool:
    query = select(learners_table.c.is_admin).where(learners_table.c.id == author.id)
    return bool(conn.execute(query).scalar())


def _card_row(conn: Connection, card_id: str) -> Any:
    joined = cards.join(decks_table, decks_table.c.slug == cards.c.deck)
    query = select(
        cards.c.deck, cards.c.note, cards.c.kind, cards.c.retired, decks_table.c.owner_id, decks_table.c.path
    ).select_from(joined)
    return conn.execute(query.where(cards.c.id == card_id)).one_or_none()


def can_edit(conn: Connection, author: Author, card_id: str) -> bool:
    """Whether `author` may edit the live card `card_id` (False for an unknown card)."""
    row = _card_row(conn, card_id)
    if row is None or row.retired or not row.path:
        return False
    return may_edit(row.owner_id, author, _is_admin(conn, author))


def _target(conn: Connection, author: Author, card_id: str | None, folder: Path) -> _Target:
    if card_id is None:
        slug = own_deck_slug(author)
        query = select(decks_table.c.path, decks_table.c.owner_id).where(decks_table.c.slug == slug)
        deck = conn.execute(query).one_or_none()
        if deck is not None and deck.owner_id != author.id and author.study_group:
            # A shared deck synced under this slug: writing there would show the card to everyone.
            problem = Problem(
                f"a shared deck is named {slug!r}, the name of your own deck; ask an admin to rename it"
            )
            raise DeckError("the card was not saved", [problem])
        path = _own_path(deck.path if deck is not None else None, folder, author)
        return _Target(slug, path, None, None, author.id)
    row = _card_row(conn, card_id)
    if row is None or (row.owner_id is not None and row.owner_id != author.id):
        raise NotFound(f"no card {card_id!r}")
    if row.retired:
        raise Conflict(f"card {card_id!r} has been retired from its deck")
    if not may_edit(row.owner_id, author, _is_admin(conn, author)):
        raise Forbidden("only an admin of the study group may edit the shared decks; add a card of your own")
    if not row.path:
        raise Conflict(f"the deck of card {card_id!r} has no file to write to")
    path = _own_path(row.path, folder, author) if row.owner_id is not None else Path(row.path)
    return _Target(row.deck, path, row.note or card_id, CardKind(row.kind), row.owner_id)


def _own_path(stored: str | None, folder: Path, author: Author) -> Path:
    """The file of the learner's own deck: where it was synced from while that file is there,
    else its place in the data folder `folder` (a database restored on another machine names
    the old machine's file)."""
    if stored and Path(stored).exists():
        return Path(stored)
    return own_deck_file(folder, author)


def _yaml() -> YAML:
    """A round-trip YAML reader and writer laid out like the bundled decks, so a rewrite changes one entry."""
    round_trip = YAML()
    round_trip.indent(mapping=2, sequence=4, offset=2)
    round_trip.preserve_quotes = True
    round_trip.width = 4096
    return round_trip


def _scalar(value: Any) -> Any:
    """A string that the deck reader (YAML 1.1, where `yes` and `1.5` are not text) would read
    as something else is written quoted."""
    if not isinstance(value, str):
        return value
    if "\n" in value:
        return LiteralScalarString(value)
    if _READER.resolve(yaml.ScalarNode, value, (True, False)) != "tag:yaml.org,2002:str":
        return DoubleQuotedScalarString(value)
    return value


def _yaml_value(name: str, value: Any) -> Any:
    if isinstance(value, list):
        listed = CommentedSeq([_scalar(item) for item in value])
        if name in ("concepts", "tags"):
            listed.fa.set_flow_style()
        return listed
    return _scalar(value)


def _same(stored: Any, value: Any) -> bool:
    """Whether a field as the file holds it already reads as `value` (the reader strips text)."""
    if isinstance(value, list):
        return isinstance(stored, list) and [str(item).strip() for item in stored] == value
    if isinstance(value, str):
        return isinstance(stored, str) and stored.strip() == value
    return type(stored) is type(value) and bool(stored == value)


def _is_default(name: str, value: Any, fields: dict[str, Any]) -> bool:
    """Whether a drill's style or time target is what the reader assumes when the file names
    none (a field the entry lacks is then left out, so an edit changes only what changed)."""
    style = fields.get("style", DrillStyle.DESIGN.value)
    if name == "style":
        return bool(value == DrillStyle.DESIGN.value)
    if name == "time_target_s" and style in DrillStyle.__members__.values():
        return bool(value == DrillStyle(style).default_time_target_s)
    return False


def _entries(before: str | None, target: _Target) -> tuple[Any, list[Any]]:
    """The deck file's text read for a rewrite (parsed once: a round-trip read of a large file
    takes seconds), and its list of entries; a new file's document when there is none."""
    try:
        doc = _yaml().load(before) if before else None
    except YAMLError as exc:
        problem = Problem(f"bad YAML: {exc}", file=str(target.path))
        raise DeckError("the card was not saved", [problem]) from None
    if doc is None:
        doc = CommentedMap(deck=target.deck, title=OWN_TITLE, description=OWN_DESCRIPTION, cards=[])
    entries = doc.get("cards") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise DeckError("the card was not saved", [Problem("no `cards:` list", file=str(target.path))])
    return doc, entries


def _updated_text(doc: Any, entries: list[Any], target: _Target, draft: CardDraft, entry_id: str) -> str:
    """The deck file's text with the entry `entry_id` set to `draft` (added when new)."""
    entry = next((e for e in entries if isinstance(e, dict) and e.get("id") == entry_id), None)
    if entry is None and target.entry is not None:
        raise Conflict(f"the entry {entry_id!r} is no longer in {target.path}; sync the decks first")
    if entry is None:
        entry = CommentedMap(id=entry_id)
        entries.append(entry)
    fields = draft.entry_fields()
    for name in FORM_FIELDS:
        if name not in fields:
            entry.pop(name, None)
    for name, value in fields.items():
        if name in entry and _same(entry[name], value):
            continue  # left exactly as written, block style and all
        if name in entry or not _is_default(name, value, fields):
            entry[name] = _yaml_value(name, value)
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()


def _kind_problems(draft: CardDraft, target: _Target) -> list[Problem]:
    if draft.card_kind is None:
        return [Problem("Choose fact, cloze or drill", field="kind")]
    if target.kind is not None and draft.card_kind != target.kind:
        message = f"A {target.kind.value} card stays one; add a new card to make a {draft.kind}"
        return [Problem(message, field="kind")]
    return []


def _lost_file_text(conn: Connection, target: _Target) -> str | None:
    """The text of a deck file that is gone, for a save to start from: None when the deck has
    no live card (a new file is then written). A learner's own deck is written afresh from the
    cards the collection holds (a database restored without its data folder); a file written
    with the new card alone would retire every other card, so for a shared deck this raises
    Conflict instead."""
    live = select(func.count()).where(cards.c.deck == target.deck, cards.c.retired.is_(False))
    count = conn.execute(live).scalar_one()
    if not count:
        return None
    if target.owner is None:
        raise Conflict(
            f"the file of deck {target.deck!r}, {target.path}, is missing while {count} of its cards "
            "are in the collection; put the file back before saving a card to it"
        )
    doc, entries = _entries(None, target)
    for card in card_contents(conn, target.owner, [target.deck]):
        if any(entry["id"] == card.note_id for entry in entries):
            continue  # a cloze's later gaps: its first card carries the whole entry
        entry = CommentedMap(id=card.note_id)
        for name, value in CardDraft.of(card).entry_fields().items():
            entry[name] = _yaml_value(name, value)
        entries.append(entry)
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()


def save_card(
    conn: Connection, author: Author, draft: CardDraft, card_id: str | None, folder: Path, now: Any
) -> Saved:
    """Add `draft` as a new card of the author's own deck (`card_id` None) or make it the content
    of card `card_id`, inside the caller's write transaction: the deck file is checked, the
    database synced from it and the file replaced last. The caller restores `Saved.written` if
    the transaction then fails to commit.

    Raises `DeckError` (each problem naming its form field), `NotFound`, `Forbidden` for a shared
    deck the author may not change, or `Conflict` for a retired card; nothing is written then.
    """
    target = _target(conn, author, card_id, folder)
    # The file is read, changed and written inside the transaction: a second save of the same
    # file must wait to read what the first one wrote, or it would write the first card out.
    hold_lock(conn, f"deck file {target.path.resolve()}")
    problems = _kind_problems(draft, target)
    if problems:
        raise DeckError("the card was not saved", problems)
    deck_of = dict(conn.execute(select(cards.c.id, cards.c.deck)).all())
    taken = {other: f"deck {deck!r}" for other, deck in deck_of.items() if deck != target.deck}
    concepts = dict(conn.execute(select(concepts_table.c.id, concepts_table.c.description)).all())
    before = target.path.read_text(encoding="utf-8") if target.path.exists() else None
    doc, entries = _entries(before if before is not None else _lost_file_text(conn, target), target)
    in_file = [str(entry.get("id")) for entry in entries if isinstance(entry, dict)]
    entry_id = target.entry or new_card_id(draft, [*deck_of, *in_file])  # a hand edit may add ids
    text = _updated_text(doc, entries, target, draft, entry_id)
    try:
        deck = load_deck(target.path, text, concepts, taken)
    except DeckError as exc:
        raise DeckError("the card was not saved", field_problems(exc, entry_id)) from None
    deck_set = DeckSet((deck,), concepts)
    apply_decks(conn, deck_set, now, sources=[target.path], owner=target.owner, keep_places=True)
    remember_sources(conn, [target.path], now)
    writer.write_atomically(target.path, text)
    made = [card.id for card in deck.cards if card.note_id == entry_id]
    return Saved(made, deck.slug, Written(target.path, before))
