"""The Stats page and a focus session in a real Chromium: every chart is drawn under the page's
Content-Security-Policy in the page's own colours, and a keyboard-only focus session stays in
focus after an answer."""

from __future__ import annotations

import re

from flask import Flask
from playwright.sync_api import Page, expect

from tests.web.browser.conftest import shot
from tests.web.support import collection_of
from tests.web.test_stats import study_history

DRAWN = "figure => figure.dataset.drawn === 'true' && figure.querySelector('svg') !== null"
THEMED_TEXT = "figure => getComputedStyle(figure.querySelector('svg text')).fill"


def test_stats_charts_draw_themed_under_the_pages_csp(app: Flask, base_url: str, page: Page) -> None:
    study_history(collection_of(app))
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(base_url + "/stats")
    figures = page.locator("figure[data-chart]")
    expect(figures).to_have_count(5)
    for index in range(5):
        figure = figures.nth(index)
        figure.scroll_into_view_if_needed()
        page.wait_for_function(DRAWN, arg=figure.element_handle())
        expect(figure.locator(".chart-view")).to_have_attribute("aria-label", re.compile(r"\w+ .+"))
        box = figure.bounding_box()
        assert box is not None and box["height"] > 60
    label = page.locator("figure[data-chart='forecast'] svg text").first
    body = page.evaluate("getComputedStyle(document.body).color")
    muted = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--muted').trim()")
    assert label.evaluate("node => node.getAttribute('fill')").lower() in (muted.lower(), body)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]
    assert not problems, problems
    shot(page, "stats")
    page.goto(base_url + "/cards/a-fact")
    page.wait_for_function(DRAWN, arg=page.locator("figure[data-chart='curve']").element_handle())


def test_keyboard_focus_session_stays_in_focus(app: Flask, base_url: str, page: Page) -> None:
    col = collection_of(app)
    study_history(col)
    expected = col.focus_card(mode="weakest", now=app.config["CLOCK"]())
    assert expected is not None
    page.goto(base_url + "/")
    page.get_by_role("link", name="Focus: weakest domains").first.click()
    # A link click returns once the new page commits; its deferred script, which binds the
    # keys, runs before the load event.
    page.wait_for_load_state("load")
    expect(page.locator("input[name=focus]").first).to_have_value("weakest")
    page.keyboard.press("Space")
    expect(page.locator(".back")).to_be_visible()
    page.locator('[data-key="3"]').click()
    expect(page.locator(".flash")).to_contain_text("Good: back in")
    assert page.url.endswith("/focus/weakest")
    expect(page.locator("input[name=focus]").first).to_have_value("weakest")
    assert col.history(expected.id)[-1].rating == 3


FRAMING_FIGURES = ("Fact recall", "Drill answers", "Core coverage", "Red-flag rate", "Time vs target")


def test_knowing_and_framing_shows_every_figure_without_scrolling_sideways(
    app: Flask, base_url: str, page: Page
) -> None:
    study_history(collection_of(app))
    page.goto(base_url + "/stats")
    row = page.locator("table.framing tr[data-domain='alpha']")
    expect(row.locator("td[data-label='Core coverage']")).to_have_text("53%")
    width = page.viewport_size["width"]  # type: ignore[index]
    for label in FRAMING_FIGURES:
        box = row.locator(f"td[data-label='{label}']").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (label, box)
    if page.viewport_name == "phone":  # type: ignore[attr-defined]
        # Without the column headings, each figure carries its own label.
        before = "cell => getComputedStyle(cell, '::before').content"
        assert row.locator("td[data-label='Red-flag rate']").evaluate(before) == '"Red-flag rate "'
    row.scroll_into_view_if_needed()
    shot(page, "stats-framing")


CALENDAR_FILLS = (
    "figure => [...figure.querySelectorAll('g.mark-rect path')]"
    ".map(p => p.getAttribute('fill').toLowerCase())"
)
LINE_COLOUR = "getComputedStyle(document.documentElement).getPropertyValue('--line').trim().toLowerCase()"


def test_calendar_days_without_reviews_take_the_pages_neutral_colour_in_both_modes(
    app: Flask, base_url: str, page: Page
) -> None:
    study_history(collection_of(app))
    seen = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto(base_url + "/stats")
        calendar = page.locator("figure[data-chart='calendar']")
        page.wait_for_function(DRAWN, arg=calendar.element_handle())
        fills = calendar.evaluate(CALENDAR_FILLS)
        line = page.evaluate(LINE_COLOUR)
        # Most of a year's days have no review; the days studied are green, not neutral.
        assert fills.count(line) > len(fills) // 2, (scheme, line, set(fills))
        assert len(set(fills) - {line}) >= 1
        seen.append(line)
    assert seen[0] != seen[1]
