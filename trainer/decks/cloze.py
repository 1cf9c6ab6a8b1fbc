"""Clozes as Anki makes them: one card per cloze number, each with a stable id.

A gap is `{{cN::answer}}` or `{{cN::answer::hint}}`; several numbers (`{{c1,2::...}}`) put it on
several cards, and gaps nest (`{{c1::outer {{c2::inner}} text}}`). The text is read the way
Anki's engine reads it (rslib/src/cloze.rs): `{{cN::` opens a gap and `}}` closes the innermost
open one; in a gap's own text the first `::` starts its hint; a `}}` outside every gap is text;
an opening beyond the tenth level of nesting is ignored, and a gap never closed is dropped. The
deck validator refuses what Anki would read differently from how it looks (`cloze_syntax_problems`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from trainer.model import Card

MAX_CLOZE_NUMBER = 500
MAX_NESTING = 10  # Anki ignores a gap opened inside ten open gaps
_TOKEN = re.compile(r"\{\{c([\d,]*)::|\}\}")
_LOOSE_OPENING = re.compile(r"\{\{c\d[\d,]*(?!::|[\d,])")
_IMAGE_OCCLUSION = "image-occlusion:"


@dataclass(frozen=True)
class Gap:
    """One gap: its cloze numbers, its content (text and nested gaps, in order), its hint (None
    when it has none) and its source text `{{c...}}` as written."""

    numbers: tuple[int, ...]
    parts: tuple[str | Gap, ...]
    hint: str | None
    source: str

    def answer(self) -> str:
        """The gap's text with every nested gap filled in: what Anki shows when it is revealed."""
        return "".join(part if isinstance(part, str) else part.answer() for part in self.parts)

    def tests(self, number: int) -> bool:
        """Whether the gap is hidden on card `number` (0: on every card)."""
        return number == 0 or number in self.numbers


@dataclass
class _Open:
    numbers: tuple[int, ...]
    start: int
    parts: list[str | Gap]
    hint: str | None = None


def _numbers(raw: str) -> tuple[int, ...]:
    """A gap opening's numbers as Anki reads them: comma-separated, repeats dropped, sorted."""
    return tuple(sorted({int(n) for n in raw.split(",") if n and int(n) < 1 << 16}))


def parse_cloze(text: str) -> tuple[str | Gap, ...]:
    """`text` as its top-level text and gaps, read as Anki's engine reads it."""
    output: list[str | Gap] = []
    opened: list[_Open] = []
    position = 0

    def add_text(chunk: str) -> None:
        if not chunk:
            return
        if not opened:
            output.append(chunk)
            return
        gap = opened[-1]
        if not chunk.startswith(_IMAGE_OCCLUSION) and "::" in chunk:
            chunk, gap.hint = chunk.split("::", 1)
        gap.parts.append(chunk)

    for token in _TOKEN.finditer(text):
        numbers = _numbers(token.group(1)) if token.group(1) is not None else None
        if numbers == ():  # `{{c::` or `{{c,::` opens nothing: it is text
            continue
        add_text(text[position : token.start()])
        position = token.end()
        if numbers is not None:
            if len(opened) < MAX_NESTING:
                opened.append(_Open(numbers, token.start(), []))
            continue
        if not opened:
            add_text(token.group(0))
            continue
        gap = opened.pop()
        closed = Gap(gap.numbers, tuple(gap.parts), gap.hint, text[gap.start : token.end()])
        (opened[-1].parts if opened else output).append(closed)
    add_text(text[position:])
    return tuple(output)  # a gap never closed is dropped with everything in it, as Anki drops it


def gaps(parsed: tuple[str | Gap, ...]) -> list[Gap]:
    """Every gap of a parsed text, nested ones after the gap holding them."""
    found: list[Gap] = []
    for part in parsed:
        if isinstance(part, Gap):
            found.append(part)
            found.extend(gaps(part.parts))
    return found


def cloze_numbers(text: str) -> list[int]:
    """The distinct cloze numbers of `text` in ascending order, nested gaps' included: one card
    each, as in Anki (a number 0 is listed too, for the validator to refuse)."""
    return sorted({number for gap in gaps(parse_cloze(text)) for number in gap.numbers})


@dataclass
class _Checked:
    opening: re.Match[str]
    own: str = ""  # the gap's own text, nested gaps left out
    nested: bool = False


def filled_in(text: str) -> str:
    """`text` with every gap replaced by its answer (nested gaps filled in too)."""
    return "".join(part if isinstance(part, str) else part.answer() for part in parse_cloze(text))


def cloze_syntax_problems(text: str) -> list[str]:
    """What in a cloze text Anki would read differently from how it looks: a gap never closed
    (Anki drops it), a `{{` in a gap's text that opens no gap (the `}}` after it ends the gap),
    an opening without `::`, an empty gap, nesting deeper than MAX_NESTING."""
    problems: list[str] = []
    opened: list[_Checked] = []
    position = 0
    for token in _TOKEN.finditer(text):
        if token.group(1) is not None and not _numbers(token.group(1)):
            problems.append(
                f"{_shown(token.group(0))} has no cloze number: a gap is written `{{{{cN::answer}}}}`"
            )
            continue
        if opened:
            opened[-1].own += text[position : token.start()]
        position = token.end()
        if token.group(1) is not None:
            if len(opened) == MAX_NESTING:
                problems.append(f"gaps nest more than {MAX_NESTING} deep; Anki reads at most {MAX_NESTING}")
                return problems
            if opened:
                opened[-1].nested = True
            opened.append(_Checked(token))
        elif opened:
            gap = opened.pop()
            where = _shown(text[gap.opening.start() : token.end()])
            if "{{" in gap.own:
                problems.append(f"gap {where} holds `{{{{` that opens no gap, so its `}}}}` ends the gap")
            elif not gap.nested and not gap.own.split("::", 1)[0].strip():
                problems.append(f"gap {where} is empty")
    for gap in opened:
        opening = text[gap.opening.start() : gap.opening.end() + 20]
        problems.append(f"gap {_shown(opening)}... is never closed with `}}}}`")
    for loose in _LOOSE_OPENING.finditer(text):
        fragment = text[loose.start() : loose.end() + 10]
        problems.append(f"{_shown(fragment)} opens no gap: a gap is written `{{{{cN::answer}}}}`")
    return problems


def _shown(fragment: str) -> str:
    """A fragment of text for a message: whitespace runs as one space, at most 60 characters."""
    flat = " ".join(fragment.split())
    return repr(flat if len(flat) <= 60 else flat[:57] + "...")


def cloze_card_id(note: str, number: int) -> str:
    """The card id of cloze number `number` of the entry `note`: the entry's own id for c1,
    `<id>-cN` for the others, so adding or removing a gap never moves another gap's progress."""
    return note if number == 1 else f"{note}-c{number}"


def cloze_problems(entry: str, text: str, where: str, seen_ids: dict[str, str]) -> list[str]:
    """What is wrong with a cloze entry's text (`cloze_syntax_problems`) or numbers; records the
    ids of its gaps' cards in `seen_ids` (id to where it is used), so no other card may take them."""
    syntax = cloze_syntax_problems(text)
    if syntax:
        return syntax
    numbers = cloze_numbers(text)
    if not numbers:
        return ["a cloze needs at least one {{c1::...}} gap"]
    if numbers[0] < 1 or numbers[-1] > MAX_CLOZE_NUMBER:
        return [f"cloze numbers run from c1 to c{MAX_CLOZE_NUMBER}"]
    if entry == "?":
        return []
    problems = []
    for number in numbers[1:] if numbers[0] == 1 else numbers:
        sibling = cloze_card_id(entry, number)
        if sibling in seen_ids:
            problems.append(f"gap c{number} makes card {sibling!r}, already used at {seen_ids[sibling]}")
        else:
            seen_ids[sibling] = f"{where} (gap c{number} of {entry!r})"
    return problems


def cloze_card(entry: Card, number: int) -> Card:
    """The card of cloze number `number` of the cloze entry `entry`."""
    note = entry.note_id
    card_id = cloze_card_id(note, number)
    return replace(entry, id=card_id, note="" if card_id == note else note, cloze=number, html=None)
