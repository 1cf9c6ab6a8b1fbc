"""One card as a form gives it: a draft, its deck-file entry, its preview and its problems by field.

A draft is written into a deck file as an ordinary entry and checked by the deck-file rules
(`trainer.decks.deckfile`), so a card made in a form obeys exactly what a hand-written one does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from trainer.decks.cloze import cloze_card, cloze_numbers, filled_in
from trainer.decks.render import render_card
from trainer.errors import DeckError, Problem
from trainer.model import Card, CardKind, DrillStyle

LIST_FIELDS = ("concepts", "tags", "points", "optional", "red_flags")
TEXT_FIELDS = ("prompt", "answer", "why", "text", "style", "time_target_s")
KIND_FIELDS: dict[CardKind, tuple[str, ...]] = {
    CardKind.FACT: ("prompt", "answer", "why", "concepts", "tags"),
    CardKind.CLOZE: ("text", "why", "concepts", "tags"),
    CardKind.DRILL: (
        "prompt",
        "answer",
        "why",
        "style",
        "time_target_s",
        "points",
        "optional",
        "red_flags",
        "concepts",
        "tags",
    ),
}
"""The fields a form edits for each kind, in deck-file order; any other field of an edited entry
(a drill's variants and follow-ups) is kept as the file has it."""
MAX_ID_WORDS, MAX_ID_LENGTH = 6, 48
_WORD = re.compile(r"[a-z0-9]+")
_FIELD_NAME = re.compile(r"`(\w+)`")
_FIELD_WORDS = (("concept", "concepts"), ("gap", "text"), ("cloze", "text"), ("point", "points"))


@dataclass(frozen=True)
class CardDraft:
    """A card's fields as a learner typed them, before validation. `kind` and `style` are the
    words of the deck file; `time_target_s` is the text typed (a deck-file number when whole)."""

    kind: str
    prompt: str = ""
    answer: str = ""
    why: str = ""
    text: str = ""
    style: str = ""
    time_target_s: str = ""
    concepts: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    points: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    red_flags: tuple[str, ...] = ()

    @classmethod
    def from_text(cls, kind: str, **fields: str | Iterable[str]) -> CardDraft:
        """A draft from a form's values: concepts and tags as words split at commas or spaces,
        rubric lists one item a line (or lists of either); blank items are dropped."""
        values: dict[str, Any] = {}
        for name, value in fields.items():
            if name in LIST_FIELDS:
                parts = [value] if isinstance(value, str) else list(value)
                split = r"[,\s]+" if name in ("concepts", "tags") else r"\r?\n"
                values[name] = tuple(item.strip() for part in parts for item in re.split(split, part))
                values[name] = tuple(item for item in values[name] if item)
            elif name in TEXT_FIELDS:
                values[name] = value.replace("\r\n", "\n") if isinstance(value, str) else "".join(value)
            else:
                raise TypeError(f"a card has no field {name!r}")
        return cls(kind=kind.strip(), **values)

    @classmethod
    def of(cls, card: Card) -> CardDraft:
        """The draft that would save `card` as it is (for a cloze, its whole entry)."""
        drill = card.kind == CardKind.DRILL
        return cls(
            kind=card.kind.value,
            prompt=card.prompt,
            answer=card.answer,
            why=card.why,
            text=card.text,
            style=card.drill_style.value if drill else "",
            time_target_s=str(card.drill_time_target_s) if drill else "",
            concepts=card.concepts,
            tags=card.tags,
            points=card.points,
            optional=card.optional,
            red_flags=card.red_flags,
        )

    @property
    def card_kind(self) -> CardKind | None:
        """The kind as a `CardKind`, or None when it is not one of the three."""
        try:
            return CardKind(self.kind)
        except ValueError:
            return None

    def entry_fields(self) -> dict[str, Any]:
        """The deck-file fields this draft sets, by name, for its kind (empty text and lists are
        left out, as a hand-written file would; a whole-number time target becomes a number)."""
        kind = self.card_kind
        values: dict[str, Any] = {"kind": self.kind}
        for name in KIND_FIELDS[kind] if kind is not None else ():
            value = getattr(self, name)
            if name == "time_target_s" and value.strip().isdigit():
                value = int(value)
            elif isinstance(value, str):
                value = value.strip()
            if value not in ("", ()):
                values[name] = list(value) if isinstance(value, tuple) else value
        return values

    def headline(self) -> str:
        """The words a new card's id is made of: its prompt, or its cloze text with the gaps'
        answers."""
        source = self.text if self.card_kind == CardKind.CLOZE else self.prompt
        return filled_in(source)


def fields_not_of(kind: CardKind, names: Iterable[str]) -> list[str]:
    """The names among `names` that are not fields of a `kind` card (a form keeps such fields as
    typed while its kind changes; saving leaves them out of the card)."""
    return [name for name in names if name not in KIND_FIELDS[kind]]


def new_card_id(draft: CardDraft, taken: Iterable[str]) -> str:
    """A new card's id: the first words of its prompt as a slug (`card` if it has none), with a
    number added when the id, or for a cloze the id of any of its gaps' cards, is taken."""
    words = _WORD.findall(draft.headline().lower())[:MAX_ID_WORDS]
    base = "-".join(words)[:MAX_ID_LENGTH].strip("-") or "card"
    used = set(taken)
    numbers = cloze_numbers(draft.text) if draft.card_kind == CardKind.CLOZE else []
    candidate, suffix = base, 1
    while candidate in used or any(f"{candidate}-c{n}" in used for n in numbers):
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def field_problems(error: DeckError, entry_id: str) -> list[Problem]:
    """The problems of `error`, each found in the entry `entry_id` given the form field it is
    about and told without the card's name; problems elsewhere in the file keep file and line."""
    label = f"card {entry_id!r}: "
    found: list[Problem] = []
    for problem in error.problems:
        message = problem.message
        if not message.startswith(label) and f"{entry_id!r}" not in message:
            found.append(problem)
            continue
        message = message.removeprefix(label)
        named = _FIELD_NAME.search(message)
        name = named.group(1) if named else None
        if name is None:
            name = next((field for word, field in _FIELD_WORDS if word in message), None)
        if name is None and ("style" in message or "kind" in message):
            name = "style" if "style" in message else "kind"
        found.append(Problem(_beside(message, name), field=name))
    return found


def _beside(message: str, name: str | None) -> str:
    """A problem as told beside its field, which need not name itself again."""
    if message == f"missing field `{name}`":
        message = "this is required"
    elif name is not None and message.startswith(f"`{name}` "):
        message = message.removeprefix(f"`{name}` ")
    elif name is not None and message.startswith(f"`{name}`: "):
        message = message.removeprefix(f"`{name}`: ")
    return message[:1].upper() + message[1:]


@dataclass(frozen=True)
class CardPreview:
    """A draft as the study page would show it, every part sanitised HTML: one side pair per
    card the entry makes (a cloze makes one per gap number), its why and a drill's rubric."""

    sides: list[tuple[str, str]] = field(default_factory=list)
    why: str = ""
    points: list[str] = field(default_factory=list)
    optional: list[str] = field(default_factory=list)
    red_flags: list[str] = field(default_factory=list)


def preview(draft: CardDraft) -> CardPreview:
    """`draft` rendered by the same sanitising renderer as a synced card, whether or not it is
    valid yet (an unknown kind shows as a fact, an unknown style as a design drill)."""
    kind = draft.card_kind or CardKind.FACT
    style = DrillStyle.DESIGN
    if kind == CardKind.DRILL and draft.style in DrillStyle.__members__.values():
        style = DrillStyle(draft.style)
    base = Card(
        id="preview",
        deck="",
        kind=kind,
        prompt=draft.prompt if kind != CardKind.CLOZE else "",
        answer=draft.answer if kind != CardKind.CLOZE else "",
        why=draft.why,
        text=draft.text if kind == CardKind.CLOZE else "",
        points=draft.points if kind == CardKind.DRILL else (),
        style=style if kind == CardKind.DRILL else None,
        optional=draft.optional if kind == CardKind.DRILL else (),
        red_flags=draft.red_flags if kind == CardKind.DRILL else (),
    )
    if kind == CardKind.CLOZE:
        cards = [cloze_card(base, number) for number in cloze_numbers(draft.text)] or [replace(base, cloze=0)]
    else:
        cards = [base]
    rendered = [render_card(card) for card in cards]
    sides = [(html.get("front", html["prompt"]), html.get("back", html["answer"])) for html in rendered]
    first = rendered[0]
    return CardPreview(
        sides=sides,
        why=first["why"],
        points=first["points"],
        optional=first.get("optional", []),
        red_flags=first.get("red_flags", []),
    )
