"""Deck Markdown for the terminal: emphasis as terminal styles, lines wrapped between words.

`**bold**` shows bold, `*italic*` and `_italic_` italic, `` `code` `` in colour; each line is
wrapped to the terminal's width at spaces (a word longer than a line stays whole), list items
keep a hanging indent. click drops the styles when output is not a terminal.
"""

from __future__ import annotations

import re
import shutil

import click

from trainer.decks.media import image_placeholders

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])[*_](?![\s*_])(.+?)(?<![\s*_])[*_](?![\w*])")
_CODE = re.compile(r"`([^`]+)`")
_ITEM = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)")
MIN_WIDTH = 20


def emphasis(line: str) -> str:
    """One line of Markdown with its inline emphasis turned into terminal styles."""
    out = _CODE.sub(lambda m: click.style(m.group(1), fg="cyan"), line)
    out = _BOLD.sub(lambda m: click.style(m.group(1), bold=True), out)
    return _ITALIC.sub(lambda m: click.style(m.group(1), italic=True), out)


def visible_length(text: str) -> int:
    """The width of `text` on screen, its style codes left out."""
    return len(_ANSI.sub("", text))


def _wrap(line: str, width: int) -> list[str]:
    item = _ITEM.match(line)
    leading = re.match(r"\s*", line).group(0)  # type: ignore[union-attr]
    indent = " " * len(item.group(1)) if item else leading
    lines: list[str] = []
    current, length, started = leading, len(leading), False
    for word in line[len(leading) :].split(" "):
        size = visible_length(word)
        if started and length + 1 + size > width:
            lines.append(current)
            current, length = indent + word, len(indent) + size
        elif started:
            current, length = f"{current} {word}", length + 1 + size
        else:
            current, length, started = current + word, length + size, True
    lines.append(current)
    return lines


def terminal_text(text: str, width: int | None = None, *, lead: str = "", markdown: bool = True) -> str:
    """`text` (deck Markdown) styled and wrapped to `width` columns (default: the terminal's).

    `lead`, such as a bold "Why: ", starts the first line and counts toward its width; with
    `markdown` False (the learner's own typed text) the text is wrapped as it is, unstyled.
    """
    columns = max(MIN_WIDTH, width or shutil.get_terminal_size().columns)
    out: list[str] = []
    lines = (image_placeholders(text or "") if markdown else text or "").splitlines() or [""]
    for number, line in enumerate(lines):
        styled = emphasis(line.rstrip()) if markdown else line.rstrip()
        if number == 0 and lead:
            styled = lead + styled
        out.extend(_wrap(styled, columns) if styled.strip() else [""])
    return "\n".join(out)
