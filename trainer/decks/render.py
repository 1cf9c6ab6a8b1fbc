"""Deck text to safe HTML or plain text: Markdown rendered, cloze gaps put in, then sanitised."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import nh3
from markdown_it import MarkdownIt as ReferenceMarkdownIt
from markdown_it_pyrs import MarkdownIt

from trainer.decks.cloze import Gap, parse_cloze
from trainer.decks.media import MEDIA_URL_PREFIX, image_placeholders, media_name
from trainer.model import Card, CardKind

# CommonMark without its raw-HTML rules: HTML in a deck is shown as text, never passed through.
_RULES: list[Any] = [
    "blockquote",
    "code",
    "fence",
    "heading",
    "hr",
    "lheading",
    "list",
    "paragraph",
    "reference",
    "autolink",
    "backticks",
    "emphasis",
    "entity",
    "escape",
    "link",
    "newline",
    "table",
    "strikethrough",
    "image",
]
_markdown = MarkdownIt("zero").enable_many(_RULES)
# markdown-it-py, the reference implementation the Rust port follows, with the same rules: used
# for the rare text on which the port panics (for example "[`" in markdown-it-pyrs 0.4).
_reference_markdown = ReferenceMarkdownIt("zero").enable(_RULES)
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "blockquote",
    "a",
    "h3",
    "h4",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "span",
    "del",
    "img",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "span": {"class"}, "img": {"src", "alt", "title"}}


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    """Images show only files of the deck's media folder, served by this app (same origin)."""
    if element == "img" and attribute == "src":
        name = media_name(value)
        return f"{MEDIA_URL_PREFIX}{name}" if name else None
    return value


def _render(source: str) -> str:
    """CommonMark HTML of `source` (not yet sanitised), from any text."""
    try:
        return _markdown.render(source)
    except BaseException as error:  # pyo3's PanicException derives from BaseException
        if type(error).__name__ != "PanicException":
            raise
        return _reference_markdown.render(source)


@lru_cache(maxsize=4096)
def markdown_html(text: str) -> str:
    """Markdown as HTML with no script, event handler, style or raw HTML from the source."""
    return _sanitised(_render(text or ""))


def _sanitised(rendered: str) -> str:
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_keep_attribute,
    )


def _hint(gap: Gap) -> str:
    """A hidden gap's label, as Anki writes it: its hint, or `...` when it has none."""
    return f"[{gap.hint if gap.hint is not None else '...'}]"


def _gap_html(gap: Gap, number: int, question: bool) -> str:
    """A gap as Anki's engine renders it for card `number` (its data attributes aside): hidden
    on the question side as `[hint]` with everything in it; else its text, nested gaps rendered
    the same way, in a `cloze` span if the card tests it and a `cloze-inactive` span if not."""
    if gap.tests(number) and question:
        return f'<span class="cloze">{html.escape(_hint(gap), quote=False)}</span>'
    inner = "".join(
        html.escape(part, quote=False) if isinstance(part, str) else _gap_html(part, number, question)
        for part in gap.parts
    )
    return f'<span class="{"cloze" if gap.tests(number) else "cloze-inactive"}">{inner}</span>'


def _gap_text(gap: Gap, number: int, question: bool) -> str:
    """A gap as plain text for a terminal: hidden as `[hint]`, revealed as `[answer]` on the
    card that tests it, its text otherwise (nested gaps the same way)."""
    if gap.tests(number) and question:
        return _hint(gap)
    inner = "".join(
        part if isinstance(part, str) else _gap_text(part, number, question) for part in gap.parts
    )
    return f"[{inner}]" if gap.tests(number) else inner


def _cloze_side(text: str, number: int, question: bool, html_output: bool) -> str:
    if not html_output:
        return "".join(
            part if isinstance(part, str) else _gap_text(part, number, question) for part in parse_cloze(text)
        )
    return _render_cloze(
        text,
        lambda gap: (
            _gap_html(gap, number, question),
            _gap_text(gap, number, True) if question else gap.answer(),
        ),
    )


def cloze_front(text: str, number: int = 0, *, html_output: bool = True) -> str:
    """The question side of cloze card `number`, as Anki shows it: every gap of that number
    hidden (showing its hint, if any, and nothing of the gaps inside it), the other gaps filled
    in. Number 0 hides every gap."""
    return _cloze_side(text, number, True, html_output)


def cloze_back(text: str, number: int = 0, *, html_output: bool = True) -> str:
    """The answer side of cloze card `number`: its gaps filled and marked, the others plain."""
    return _cloze_side(text, number, False, html_output)


_PLACEHOLDER = re.compile(r"CLOZEGAP(\d+)X")
_TAG = re.compile(r"(<[^>]*>)")


def _render_cloze(text: str, show: Callable[[Gap], tuple[str, str]]) -> str:
    """The cloze text's Markdown as safe HTML, each top-level gap shown as `show(gap)` gives it:
    (HTML for the text, plain text for inside a tag such as a link's address, escaped here).
    Gaps go in before sanitising, so nothing can break a tag."""
    # The Markdown is rendered around placeholders, so gap text is escaped rather than parsed.
    shown: list[tuple[str, str]] = []
    source: list[str] = []
    for part in parse_cloze(text):
        if isinstance(part, str):
            source.append(part)
        else:
            shown.append(show(part))
            source.append(f"CLOZEGAP{len(shown) - 1}X")

    def fill(segment: str) -> str:
        in_tag = segment.startswith("<")

        def put(found: re.Match[str]) -> str:
            as_html, as_text = shown[int(found.group(1))]
            return html.escape(as_text) if in_tag else as_html

        return _PLACEHOLDER.sub(put, segment)

    rendered = _render("".join(source))
    return _sanitised("".join(fill(segment) for segment in _TAG.split(rendered)))


def plain_text(text: str) -> str:
    """Markdown reduced to readable plain text for a terminal; an image becomes a placeholder
    naming its file (`[image: alt, media/chart.png]`)."""
    out = image_placeholders(text or "")
    out = re.sub(r"\*\*(.+?)\*\*", r"\1", out)
    out = re.sub(r"(?<!\*)\*(?!\*)(.+?)(?<!\*)\*(?!\*)", r"\1", out)
    return re.sub(r"`([^`]+)`", r"\1", out)


def card_snippet(card: Card, limit: int = 110) -> str:
    """One line of plain text that stands for the card in a list: its prompt, or for a cloze
    its text with each gap filled in brackets ("... within [tens of milliseconds]"), cut at
    a word boundary to at most `limit` characters."""
    text = cloze_back(card.text, html_output=False) if card.text else card.prompt
    line = " ".join(plain_text(text).split())
    if len(line) <= limit:
        return line
    return line[: limit - 1].rsplit(" ", 1)[0] + "…"


def _inline(rendered: str) -> str:
    """A one-paragraph rendering without its <p> wrapper, for list items and labels."""
    stripped = rendered.strip()
    if stripped.startswith("<p>") and stripped.endswith("</p>") and stripped.count("<p>") == 1:
        return stripped[3:-4]
    return stripped


def cloze_marked_html(text: str) -> str:
    """Cloze text as safe HTML with each gap kept as written, `{{cN::answer::hint}}` with any
    gaps inside it (escaped), for Anki's engine to read as this trainer reads it."""
    return _render_cloze(text, lambda gap: (html.escape(gap.source, quote=False), gap.source))


def _inline_list(items: Any) -> list[str]:
    return [_inline(markdown_html(item)) for item in items or ()]


def drill_html(card: Card, variant: int) -> dict[str, Any]:
    """One variant of a drill as safe HTML: prompt, answer, points, optional and red_flags
    (variant 0 is the base text; a variant's missing lists are the base ones)."""
    html_fields = card.html if card.html is not None and "optional" in card.html else render_card(card)
    base = {
        name: html_fields.get(name, []) for name in ("prompt", "answer", "points", "optional", "red_flags")
    }
    if variant == 0:
        return base
    return {**base, **html_fields["variants"][variant - 1]}


def render_card(card: Card) -> dict[str, Any]:
    """Every text field of `card` as safe HTML, computed once when a deck is synced.

    Keys: prompt, answer, why, points (a list of inline HTML), and for a cloze `text` with its
    gaps kept in Anki's form (see `cloze_marked_html`), `front` and `back` for its cloze
    number. A drill adds
    `optional` and `red_flags` (inline HTML lists), `variants` (each with prompt, answer and any
    rubric lists it overrides) and `follow_ups` (each with prompt and answer).
    """
    rendered: dict[str, Any] = {
        "prompt": markdown_html(card.prompt) if card.prompt else "",
        "answer": markdown_html(card.answer) if card.answer else "",
        "why": markdown_html(card.why) if card.why else "",
        "points": _inline_list(card.points),
    }
    if card.kind == CardKind.DRILL:
        rendered["optional"] = _inline_list(card.optional)
        rendered["red_flags"] = _inline_list(card.red_flags)
        rendered["variants"] = [
            {
                "prompt": markdown_html(variant.prompt),
                "answer": markdown_html(variant.answer),
                **{
                    name: _inline_list(getattr(variant, name))
                    for name in ("points", "optional", "red_flags")
                    if getattr(variant, name) is not None
                },
            }
            for variant in card.variants
        ]
        rendered["follow_ups"] = [
            {"prompt": markdown_html(f.prompt), "answer": markdown_html(f.answer)} for f in card.follow_ups
        ]
    if card.text:
        rendered["text"] = cloze_marked_html(card.text)
        rendered["front"] = cloze_front(card.text, card.cloze)
        rendered["back"] = cloze_back(card.text, card.cloze)
    return rendered


def front_html(card: Card) -> str:
    """The question side of a card as safe HTML (from the sync-time rendering when loaded)."""
    if card.html is not None:
        return str(card.html["front"] if "front" in card.html else card.html["prompt"])
    return cloze_front(card.text, card.cloze) if card.text else markdown_html(card.prompt)


def back_html(card: Card) -> str:
    """The answer side of a card as safe HTML (from the sync-time rendering when loaded)."""
    if card.html is not None:
        return str(card.html["back"] if "back" in card.html else card.html["answer"])
    return cloze_back(card.text, card.cloze) if card.text else markdown_html(card.answer)


def why_html(card: Card) -> str:
    """The card's `why` as safe HTML, empty when it has none."""
    if card.html is not None:
        return str(card.html["why"])
    return markdown_html(card.why) if card.why else ""
