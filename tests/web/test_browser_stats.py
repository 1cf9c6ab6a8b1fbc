"""The Stats page and a focus session in a real Chromium: every chart loads under the page's
Content-Security-Policy, and a keyboard-only focus session stays in focus after an answer."""

from __future__ import annotations

import re

from flask import Flask
from playwright.sync_api import Page

from tests.web.support import collection_of
from tests.web.test_browser import _shot, app, base_url, browser, expect, page
from tests.web.test_stats import study_history

__all__ = ["app", "base_url", "browser", "page"]

LOADED = "img => img.complete && img.naturalWidth > 0"


def test_stats_charts_and_forgetting_curve_load(app: Flask, base_url: str, page: Page) -> None:
    study_history(collection_of(app))
    page.goto(base_url + "/stats")
    images = page.locator("img.chart")
    expect(images).to_have_count(4)
    for index in range(4):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        expect(image).to_have_attribute("alt", re.compile(r"\w+ .+"))
        page.wait_for_function(LOADED, arg=image.element_handle())
    expect(page.locator(".stats-domains tbody tr").first).to_contain_text("Alpha")
    _shot(page, "stats")
    page.goto(base_url + "/cards/a-fact")
    page.wait_for_function(LOADED, arg=page.locator("img.chart").element_handle())


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
    expect(page.locator(".flash")).to_contain_text(f"{expected.id}: Good.")
    assert page.url.endswith("/focus/weakest")
    expect(page.locator("input[name=focus]").first).to_have_value("weakest")
    assert col.history(expected.id)[-1].rating == 3
