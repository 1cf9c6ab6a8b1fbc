"""A small HTML-to-Markdown conversion for card fields imported from Anki."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from markdownify import markdownify

_BLANK_LINES = re.compile(r"\n{3,}")
_IMAGE = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))[^>]*>", re.IGNORECASE)
_ALT = re.compile(r"\balt\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)
DROPPED_FORMATTING: dict[str, re.Pattern[str]] = {
    "underline": re.compile(r"<u\b", re.IGNORECASE),
    "colour or font": re.compile(
        r"<font\b|\bstyle\s*=\s*[\"'][^\"']*\b(?:color|font|background)", re.IGNORECASE
    ),
    "subscript or superscript": re.compile(r"<su[bp]\b", re.IGNORECASE),
    "sound or video": re.compile(r"\[sound:[^\]]*\]|<(?:audio|video)\b", re.IGNORECASE),
    "MathJax or LaTeX": re.compile(r"\\\(|\\\[|\[\$\$?\]|\[latex\]", re.IGNORECASE),
}
_SOUND = re.compile(r"\[sound:[^\]]*\]", re.IGNORECASE)


def html_to_markdown(
    value: str,
    image: Callable[[str], str | None] | None = None,
    dropped: Counter[str] | None = None,
    missing: Callable[[str], str] | None = None,
) -> str:
    """Anki field HTML as Markdown: bold, italics, code, links, lists and line breaks kept.

    An image becomes `![alt](media/NAME)` where `image(src)` gives NAME (dropped where it gives
    None or no `image` is given, and counted under `missing(src)`, or as a missing image). Tags
    with no Markdown form (spans, fonts, colours) are dropped and their text kept; scripts and
    styles are dropped with their content. Each kind of formatting dropped is counted in `dropped`.
    """
    if "<" not in value and "&" not in value and "[sound:" not in value:
        return value.strip()
    tally: Counter[str] = dropped if dropped is not None else Counter()
    for label, pattern in DROPPED_FORMATTING.items():
        tally[label] += len(pattern.findall(value))
    value = _SOUND.sub("", value)
    images: list[str] = []

    def keep(match: re.Match[str]) -> str:
        source = next(group for group in match.groups() if group is not None)
        name = image(source) if image is not None else None
        if name is None:
            tally[missing(source) if missing is not None else "missing image"] += 1
            return ""
        alt = _ALT.search(match.group(0))
        images.append(f"![{(alt.group(1) or alt.group(2) or '') if alt else ''}](media/{name})")
        return f" ANKIIMAGE{len(images) - 1}X "

    value = _IMAGE.sub(keep, value)
    text = markdownify(
        value,
        heading_style="ATX",
        bullets="-",
        strong_em_symbol="*",
        escape_asterisks=False,
        escape_underscores=False,
        escape_misc=False,
        strip=["span", "font", "div", "img", "audio", "video", "u", "sub", "sup"],
        convert=None,
    )
    for index, markdown in enumerate(images):
        text = text.replace(f" ANKIIMAGE{index}X ", markdown).replace(f"ANKIIMAGE{index}X", markdown)
    text = "\n".join(line.rstrip() for line in text.replace("\r", "").split("\n"))
    for label in [label for label, count in tally.items() if count == 0]:
        del tally[label]
    return _BLANK_LINES.sub("\n\n", text).strip()
