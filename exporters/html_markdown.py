"""A small HTML-to-Markdown conversion for card fields imported from Anki."""

from __future__ import annotations

import re

from markdownify import markdownify

_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_markdown(value: str) -> str:
    """Anki field HTML as Markdown: bold, italics, code, links, lists and line breaks kept.

    Tags with no Markdown form (spans, fonts, colours) are dropped and their text kept; scripts
    and styles are dropped with their content.
    """
    if "<" not in value and "&" not in value:
        return value.strip()
    text = markdownify(
        value,
        heading_style="ATX",
        bullets="-",
        strong_em_symbol="*",
        escape_asterisks=False,
        escape_underscores=False,
        escape_misc=False,
        strip=["span", "font", "div", "img", "audio", "video"],
        convert=None,
    )
    text = "\n".join(line.rstrip() for line in text.replace("\r", "").split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()
