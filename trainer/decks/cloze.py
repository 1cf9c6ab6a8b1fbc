"""Clozes as Anki makes them: one card per cloze number, each with a stable id."""

from __future__ import annotations

import re
from dataclasses import replace

from trainer.model import Card

CLOZE_GAP = re.compile(r"\{\{c(\d+)::(.+?)(?:::(.*?))?\}\}", re.DOTALL)
MAX_CLOZE_NUMBER = 500


def cloze_numbers(text: str) -> list[int]:
    """The distinct cloze numbers of `text` in ascending order: one card each, as in Anki."""
    return sorted({int(match.group(1)) for match in CLOZE_GAP.finditer(text)})


def cloze_card_id(note: str, number: int) -> str:
    """The card id of cloze number `number` of the entry `note`: the entry's own id for c1,
    `<id>-cN` for the others, so adding or removing a gap never moves another gap's progress."""
    return note if number == 1 else f"{note}-c{number}"


def cloze_problems(entry: str, numbers: list[int], where: str, seen_ids: dict[str, str]) -> list[str]:
    """What is wrong with a cloze entry's numbers; records the ids of its gaps' cards in
    `seen_ids` (id to where it is used), so that no other card may take them."""
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
