"""The web UI in a real Chromium (Playwright), served by waitress: keyboard-only sessions.

Each test saves a screenshot under test-artifacts/; the fixtures are in this folder's conftest.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.conftest import REPO_DECKS
from tests.web.browser.conftest import VIEWPORTS, served, shot
from tests.web.support import collection_of, web_app
from trainer import Collection, Rating

pytestmark = pytest.mark.browser


def test_keyboard_session_reveal_rate_undo(app: Flask, base_url: str, page: Page) -> None:
    col = collection_of(app)
    page.goto(base_url + "/review")
    expect(page.locator(".front")).to_contain_text("How rare is fraud?")
    page.keyboard.press("Space")
    expect(page.locator(".back")).to_contain_text("Well under 1% of transactions.")
    expect(page.locator(".why")).to_contain_text("Accuracy misleads")
    expect(page.locator('[data-key="3"]')).to_contain_text("Good")
    shot(page, "review-answer")
    page.keyboard.press("3")
    expect(page.locator(".front")).to_contain_text("First beta question?")
    [entry] = col.history()
    assert entry.card_id == "a-fact" and entry.rating == Rating.Good
    assert entry.duration_ms is not None and entry.duration_ms > 0
    page.keyboard.press("u")
    expect(page.locator(".flash")).to_have_text("Undid your last answer.")
    expect(page.locator(".front")).to_contain_text("How rare is fraud?")
    assert col.history() == []
    page.keyboard.press("Enter")
    expect(page.locator(".back")).to_be_visible()
    page.keyboard.press("1")
    expect(page.locator(".front")).to_contain_text("First beta question?")
    page.keyboard.press("Space")
    expect(page.locator('[data-key="4"]')).to_be_visible()
    page.keyboard.press("4")
    expect(page.locator(".flash")).to_contain_text("Easy: back in")
    assert [(e.card_id, e.rating) for e in col.history()] == [
        ("a-fact", Rating.Again),
        ("b-one", Rating.Easy),
    ]
    page.keyboard.press("?")
    expect(page.locator("#keys-help")).to_be_visible()
    shot(page, "review-keys")
    page.keyboard.press("Escape")
    expect(page.locator("#keys-help")).to_be_hidden()


def test_drill_graded_with_the_rubric(app: Flask, base_url: str, page: Page) -> None:
    col = collection_of(app)
    col.suspend("a-fact")
    col.suspend("a-cloze")
    page.goto(base_url + "/review?domain=alpha")
    expect(page.locator(".front")).to_contain_text("Design fraud detection.")
    expect(page.locator("[data-timer-start]")).to_have_text(re.compile(r"^\d+:\d\d$"))
    page.locator("#typed").focus()
    page.keyboard.type("Price both errors; 50 ms budget; watch drift.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".back")).to_contain_text("Losses down.")
    expect(page.locator(".typed")).to_contain_text("50 ms budget")
    expect(page.locator("[data-suggestion]")).to_have_text("Again: 0 of 4 core points")
    # The first point takes focus (autofocus) once the page has loaded; keys sent before that
    # would go to the page itself.
    expect(page.locator("#point-0")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.locator("[data-suggestion]")).to_have_text("Good: 3 of 4 core points")
    shot(page, "drill-rubric")
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("Good: back in")
    [entry] = col.history("a-drill")
    assert entry.rating == Rating.Good and entry.points_ticked == (0, 1, 3)
    assert entry.typed_answer == "Price both errors; 50 ms budget; watch drift."


def test_settings_saved_and_errors_shown(app: Flask, base_url: str, page: Page) -> None:
    col = collection_of(app)
    page.goto(base_url + "/settings")
    page.get_by_label("New cards per day").fill("5")
    page.get_by_label("Time zone", exact=True).fill("Europe/Berlin")
    page.get_by_label("Time zone", exact=True).press("Enter")
    expect(page.locator(".flash")).to_contain_text("Settings saved.")
    assert col.settings.new_per_day == 5 and col.settings.timezone == "Europe/Berlin"
    page.get_by_label("Desired retention").fill("1.5")
    page.get_by_label("Desired retention").press("Enter")
    expect(page.locator("#desired_retention-error")).to_contain_text("must be between 0.70 and 0.99")
    shot(page, "settings-error")
    expected = "the server responded with a status of 400"
    problems = page.console_problems  # type: ignore[attr-defined]
    assert [p for p in problems if expected in p] != []
    problems[:] = [p for p in problems if expected not in p]
    assert col.settings.desired_retention == 0.9
    page.goto(base_url + "/")
    expect(page.locator("#due-total")).to_have_text("5")
    shot(page, "today")


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_first_visit_offers_the_browser_time_zone_and_advanced_opens_by_keyboard(
    app: Flask, base_url: str, browser: Browser, viewport: str
) -> None:
    col = collection_of(app)
    context = browser.new_context(**VIEWPORTS[viewport], timezone_id="America/Chicago")
    page = context.new_page()
    page.viewport_name = viewport  # type: ignore[attr-defined]
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(base_url + "/")
    prompt = page.locator("[data-timezone-prompt]")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("Your browser says your time zone is America/Chicago. Use it?")
    expect(prompt.get_by_role("button", name="Keep UTC")).to_be_visible()
    expect(prompt.get_by_role("link", name="Choose another")).to_be_visible()
    shot(page, "timezone-prompt")
    # On the review page Enter also reveals the card; on the prompt's button it answers the prompt.
    page.goto(base_url + "/review")
    prompt.get_by_role("button", name="Use it").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("Your time zone is now America/Chicago.")
    expect(page.locator("[data-timezone-prompt]")).to_have_count(0)
    expect(page).to_have_url(base_url + "/review")
    assert col.settings.timezone == "America/Chicago" and col.settings.timezone_confirmed
    page.goto(base_url + "/settings")
    expect(page.locator("[data-timezone-prompt]")).to_have_count(0)
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("America/Chicago")
    parameters = page.get_by_label("FSRS parameters")
    expect(parameters).to_be_hidden()
    shot(page, "settings")
    page.locator("#group-advanced summary").focus()
    page.keyboard.press("Enter")
    expect(parameters).to_be_visible()
    expect(page.get_by_role("button", name="Fit to my history")).to_be_visible()
    expect(page.get_by_role("button", name="Reset to defaults")).to_be_visible()
    shot(page, "settings-advanced")
    context.close()
    assert problems == []


def test_without_javascript_the_prompt_stays_hidden_and_settings_still_save(
    app: Flask, base_url: str, browser: Browser
) -> None:
    col = collection_of(app)
    context = browser.new_context(
        **VIEWPORTS["phone"], timezone_id="America/Chicago", java_script_enabled=False
    )
    page = context.new_page()
    page.goto(base_url + "/")
    expect(page.locator("[data-timezone-prompt]")).to_be_hidden()
    page.goto(base_url + "/settings")
    expect(page.locator("#group-advanced summary")).to_be_visible()
    page.get_by_label("Time zone", exact=True).fill("Asia/Tokyo")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash")).to_contain_text("Settings saved.")
    assert col.settings.timezone == "Asia/Tokyo" and col.settings.timezone_confirmed
    context.close()


@contextmanager
def served_alone(sqlite_url: str, decks: Path, data: Path, card_id: str) -> Iterator[tuple[Flask, str]]:
    """The app on `decks`, served, with every card but `card_id` suspended."""
    with web_app(sqlite_url, decks, data) as built:
        col = collection_of(built)
        for study in col.cards():
            if study.id != card_id:
                col.suspend(study.id)
        with served(built) as url:
            yield built, url


@pytest.fixture
def drills_url(sqlite_url: str, drill_decks_dir: Path, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    with served_alone(sqlite_url, drill_decks_dir, tmp_path / "drill-data", "d-framing") as served_app:
        yield served_app


def test_framing_drill_with_a_red_flag_a_follow_up_and_the_next_variant(
    drills_url: tuple[Flask, str], page: Page
) -> None:
    app, url = drills_url
    page.goto(url + "/review")
    expect(page.locator(".front")).to_contain_text("Which metric matters more in patient alerts")
    expect(page.locator(".timer")).to_contain_text("aim for 1:00")
    page.locator("#typed").fill("Recall first, at an alert rate nurses can carry.")
    page.locator('[data-key="reveal"]').click()
    expect(page.locator(".typed")).to_contain_text("Recall first")
    assert "Recall" not in page.url
    for box in ("#point-0", "#point-1", "#point-2", "#point-3", "#optional-0", "#flag-0"):
        page.locator(box).check()
    expect(page.locator("[data-suggestion]")).to_have_text(
        "Hard: 4 of 4 core points; 1 of 2 optional points; red flag: Leads with accuracy"
    )
    # The push-backs are framed like the rubric above them, not by the browser's default border.
    frame = "el => ['Style', 'Width', 'Color'].map(p => getComputedStyle(el)['borderTop' + p])"
    frame += ".concat(getComputedStyle(el).borderTopLeftRadius)"
    assert page.locator("fieldset.follow-ups").evaluate(frame) == page.locator(
        "fieldset.rubric"
    ).first.evaluate(frame)
    page.locator(".follow-up summary").first.click()
    expect(page.locator(".follow-up").first).to_contain_text("Drift in the inputs first.")
    page.locator("#follow-0").check()
    shot(page, "drill-framing")
    page.locator('[data-key="accept"]').click()
    expect(page.locator(".flash")).to_contain_text("Hard: back in")
    [entry] = collection_of(app).history("d-framing")
    assert entry.rating == Rating.Hard and entry.flags_raised == (0,) and entry.follow_ups_done == (0,)
    # Back within the learn-ahead window as its next variant, with last time's typed answer.
    expect(page.locator(".front")).to_contain_text("one nurse per 30 beds")
    expect(page.locator("h1.meta")).to_contain_text("version 2 of 3")
    page.keyboard.press("Space")
    expect(page.locator(".previous")).to_contain_text("Recall first, at an alert rate nurses can carry.")


@pytest.fixture
def story_url(sqlite_url: str, drill_decks_dir: Path, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    with served_alone(sqlite_url, drill_decks_dir, tmp_path / "story-data", "d-story") as served_app:
        yield served_app


def test_story_drill_keeps_the_learners_own_story_beside_the_example(
    story_url: tuple[Flask, str], page: Page, sqlite_url: str
) -> None:
    app, url = story_url
    page.goto(url + "/review")
    expect(page.locator("h1.meta")).to_contain_text("story")
    expect(page.locator(".timer")).to_contain_text("aim for 3:00")
    page.keyboard.press("Space")
    expect(page.locator("section.example h2")).to_have_text("Example story (not the answer: tell yours)")
    expect(page.locator("section.example")).to_contain_text("An example story about routing tickets.")
    story = "I owned the ticket router; misroutes fell from 12% to 8% (a month of audited tickets)."
    page.locator("#story").fill(story)
    page.get_by_role("button", name="Save my story").click()
    expect(page.locator(".flash")).to_contain_text("Your story was saved.")
    expect(page.locator("[data-story]")).to_have_text(story)
    expect(page.locator("#story")).to_have_value(story)
    shot(page, "drill-story")
    # Every rubric box is the same size, beside a label of one line or of several.
    sizes = page.locator(".point input").evaluate_all(
        "boxes => boxes.map(b => b.getBoundingClientRect().width)"
    )
    assert len(sizes) == 5 and len(set(sizes)) == 1, sizes
    page.locator("#point-0").check()
    expect(page.locator("[data-suggestion]")).to_have_text("Again: 1 of 5 core points")
    page.locator('[data-key="accept"]').click()
    expect(page.locator(".flash")).to_contain_text("Again: back in")
    # Kept for this learner alone: another learner on the same database has no story there.
    assert collection_of(app).story("d-story") == story
    with Collection.open(sqlite_url, user="another") as other:
        assert other.story("d-story") is None


@pytest.fixture
def bundled_url(sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    with web_app(sqlite_url, REPO_DECKS, tmp_path / "bundled-data") as built, served(built) as url:
        yield url


def test_a_first_session_with_the_bundled_decks_includes_drills(bundled_url: str, page: Page) -> None:
    page.goto(bundled_url + "/review")
    headings = []
    for answered in range(20):
        heading = page.locator("h1.meta")
        expect(page.locator("form.answer, form.reveal").first).to_be_visible()
        headings.append(heading.inner_text())
        page.keyboard.press("Space")
        expect(page.locator('[data-key="4"]')).to_be_visible()
        page.keyboard.press("4")
        expect(page.locator(".progress")).to_contain_text(f"{answered + 1} done")
    drills = [h for h in headings if " · drill" in h]
    assert len(drills) >= 3, headings
