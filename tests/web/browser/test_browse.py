"""Browse search in a real Chromium, with the keyboard only: words typed in another order than
the card's find it, and a filter narrows the words' results; the filters stay in the address."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from tests.web.browser.conftest import shot
from tests.web.support import collection_of


def test_words_in_another_order_then_a_filter(app: Flask, base_url: str, page: Page) -> None:
    collection_of(app).suspend("b-two")
    page.goto(base_url + "/browse")
    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(6)
    page.locator("#q").focus()
    page.keyboard.type("milliseconds scoring")
    page.keyboard.press("Enter")
    expect(page.locator(".found")).to_contain_text("1 card found")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Scoring must answer within")

    page.locator("#q").fill("")
    page.keyboard.type("question beta")
    page.keyboard.press("Enter")
    expect(page.locator(".found")).to_contain_text("2 cards found")
    page.locator("#suspended").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#suspended")).to_have_value("no")
    page.locator("#q").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".found")).to_contain_text("1 card found")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("b-one")
    assert "suspended=no" in page.url and "q=question+beta" in page.url
    expect(page.locator("#suspended")).to_have_value("no")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    shot(page, "browse-search")
