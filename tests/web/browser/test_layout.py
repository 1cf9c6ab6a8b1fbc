"""Every page fits the screen: at phone (390 px) and desktop (1280 px) widths, in light and dark
mode, no page is wider than the window and nothing spills out of the page's column (wide
tables scroll inside their own box), on the bundled decks (long titles, long answers) with
some history. The browser's time zone differs from the learner's, so every page carries the
prompt offering it. Screenshots of each page land in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Literal

import pytest
from flask import Flask

from tests.conftest import NOW
from tests.web.browser.conftest import ARTIFACTS
from tests.web.support import collection_of, web_app
from trainer import Rating

pytestmark = pytest.mark.browser

from playwright.sync_api import Browser  # noqa: E402

BUNDLED_DECKS = Path(__file__).resolve().parents[3] / "decks"
WIDTHS = (390, 1280)
# Elements of the page's content that reach past its column, unless a box of theirs scrolls.
SPILLS = """() => {
  const column = document.querySelector("main").getBoundingClientRect();
  const spills = [];
  for (const element of document.querySelectorAll("main *")) {
    let box = element.parentElement;
    let inScrollBox = false;
    while (box && box.tagName !== "MAIN") {
      if (getComputedStyle(box).overflowX !== "visible") { inScrollBox = true; break; }
      box = box.parentElement;
    }
    const rect = element.getBoundingClientRect();
    if (!inScrollBox && rect.width > 0 && rect.right > column.right + 1) {
      spills.push(element.tagName.toLowerCase() + "." + element.className);
    }
  }
  return spills.slice(0, 5);
}"""
SCHEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")


@pytest.fixture
def app(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    with web_app(sqlite_url, BUNDLED_DECKS, tmp_path / "data") as built:
        col = collection_of(built)
        for day in range(6, 0, -1):
            for _ in range(15):
                card = col.next_card(now=NOW - timedelta(days=day))
                if card is None:
                    break
                points = [0] if card.card.points else None
                col.answer(card.id, Rating.Good, now=NOW - timedelta(days=day), points_ticked=points)
        yield built


def _pages(app: Flask) -> list[str]:
    col = collection_of(app)
    studied = next(h.card_id for h in col.history())
    drill = next(s.card for s in col.cards() if s.card.points)
    return [
        "/",
        "/review",
        f"/review?domain={drill.deck}",
        "/browse",
        "/browse?q=precision",
        "/browse?q=recall+precision&state=review&due=today&suspended=no",
        "/decks",
        "/stats",
        "/settings",
        f"/cards/{studied}",
        f"/cards/{drill.id}",
        "/new-card?kind=cloze",
        f"/cards/{drill.id}/edit",
    ]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_page_is_wider_than_the_screen(
    app: Flask, base_url: str, browser: Browser, scheme: Literal["light", "dark"]
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    too_wide = []
    for width in WIDTHS:
        context = browser.new_context(
            viewport={"width": width, "height": 900}, color_scheme=scheme, timezone_id="America/Chicago"
        )
        page = context.new_page()
        for path in _pages(app):
            page.goto(base_url + path)
            page.wait_for_load_state("load")
            assert page.locator("[data-timezone-prompt]").is_visible(), path
            scroll = page.evaluate("document.documentElement.scrollWidth")
            spills = page.evaluate(SPILLS)
            if scroll > width or spills:
                too_wide.append((path, width, scroll, spills))
            name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "today"
            page.screenshot(path=str(ARTIFACTS / f"layout-{name}-{width}-{scheme}.png"), full_page=True)
        context.close()
    assert too_wide == [], too_wide


# Tables on the page that hide columns behind a sideways scroll, with their first headers.
HIDDEN_COLUMNS = """() => [...document.querySelectorAll("main table")]
  .filter((table) => table.scrollWidth > table.clientWidth + 1
    || (table.parentElement.scrollWidth > table.parentElement.clientWidth + 1))
  .map((table) => [...table.querySelectorAll("thead th")].slice(0, 3).map((th) => th.innerText).join("|"))"""
# The tallest row of the Decks table, in lines of its body text.
TALLEST_DECK_ROW = """() => {
  const lineHeight = parseFloat(getComputedStyle(document.querySelector("main")).lineHeight);
  const rows = [...document.querySelectorAll("table.decks tbody tr")];
  return Math.max(...rows.map((row) => row.getBoundingClientRect().height)) / lineHeight;
}"""


def test_a_desktop_screen_shows_every_column(app: Flask, base_url: str, browser: Browser) -> None:
    """At 1280 px no table keeps columns out of sight behind a sideways scroll, and the Decks
    table's rows stay a few lines tall (a deck's file path does not wrap down the row)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="America/Chicago")
    page = context.new_page()
    hidden = {}
    for path in _pages(app):
        page.goto(base_url + path)
        page.wait_for_load_state("load")
        if found := page.evaluate(HIDDEN_COLUMNS):
            hidden[path] = found
    page.goto(base_url + "/decks")
    tallest = page.evaluate(TALLEST_DECK_ROW)
    context.close()
    assert hidden == {}
    assert tallest <= 4.5
