"""Writing a card in a real Chromium: a cloze typed with the keyboard, its preview following the
typing, saved, found in Browse, edited, and its review history still there after the edit."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from tests.conftest import NOW
from tests.web.browser.conftest import shot
from tests.web.support import collection_of
from trainer import Rating


def test_a_cloze_is_written_previewed_saved_found_and_edited(app: Flask, base_url: str, page: Page) -> None:
    col = collection_of(app)
    page.goto(base_url + "/")
    page.get_by_role("link", name="Add card").click()
    expect(page.get_by_role("heading", name="Add a card")).to_be_visible()
    page.get_by_role("radio", name="Cloze").check()
    expect(page.get_by_label("Cloze text")).to_be_visible()
    expect(page.get_by_label("Prompt")).to_be_hidden()
    preview = page.locator("#preview")
    page.get_by_label("Cloze text").focus()
    page.keyboard.type("Recall is {{c1::TP / (TP + FN)}} <b>bold?</b>")
    expect(preview.locator(".front")).to_contain_text("Recall is [...]")
    expect(preview.locator(".back .cloze")).to_have_text("TP / (TP + FN)")
    expect(preview.locator(".front")).to_contain_text("<b>bold?</b>")  # typed HTML stays text
    assert preview.locator("b").count() == 0
    page.keyboard.type(" and precision {{c2::TP / (TP + FP)}}.")
    expect(preview.locator("article.card")).to_have_count(2)
    page.keyboard.press("Tab")  # from the cloze text, on through the form by keyboard alone
    page.get_by_label("Concepts").select_option(["class-imbalance"])
    shot(page, "card-new-cloze")
    page.get_by_role("button", name="Add card").click()
    expect(page.locator(".flash")).to_contain_text("to My cards")
    card_id = page.locator("h1").inner_text()
    assert [study.id for study in col.cards(decks=["my-cards"])] == [card_id, f"{card_id}-c2"]

    page.get_by_role("link", name="Browse").click()
    page.get_by_label("Deck").select_option("my-cards")
    page.get_by_label("Deck").press("Enter")
    page.get_by_role("link", name=card_id, exact=True).click()
    col.answer(card_id, Rating.Good, now=NOW)
    page.reload()
    expect(page.locator("table.history tbody tr")).to_have_count(1)

    page.get_by_role("link", name="Edit this card").click()
    text = page.get_by_label("Cloze text")
    expect(text).to_have_value(
        "Recall is {{c1::TP / (TP + FN)}} <b>bold?</b> and precision {{c2::TP / (TP + FP)}}."
    )
    updates = preview.get_attribute("data-updates")
    text.fill("Recall is {{c1::TP over TP plus FN}}; precision is {{c2::TP / (TP + FP)}}.")
    expect(preview).not_to_have_attribute("data-updates", updates or "")
    expect(preview.locator(".back .cloze").first).to_have_text("TP over TP plus FN")
    shot(page, "card-edit-cloze")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".flash")).to_contain_text(f"Saved {card_id}.")
    expect(page.locator(".back")).to_contain_text("TP over TP plus FN")
    expect(page.locator("table.history tbody tr")).to_have_count(1)
    expect(page.locator("table.history tbody tr")).to_contain_text("Good")
    assert len(col.history(card_id)) == 1 and col.card(card_id).memory.reps == 1
