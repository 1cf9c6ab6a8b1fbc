"""Sign-up, log-in, password change and log-out in a real Chromium, with the keyboard only.

Screenshots go to test-artifacts/, like tests/web/test_browser.py, whose browser fixtures these reuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.web.browser.conftest import shot
from tests.web.support import web_app

pytestmark = pytest.mark.browser

from playwright.sync_api import Page, expect  # noqa: E402

STRONG = "violet tractor quantum lemon"
NEWER = "copper lantern sleepy walrus"


@pytest.fixture
def app(sqlite_url: str, decks_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    with web_app(sqlite_url, decks_dir, tmp_path / "data", ACCOUNTS=True, OPEN_SIGNUP=True) as built:
        yield built


def fill_by_keyboard(tab: Page, values: list[str]) -> None:
    """Type each value into the focused field and Tab to the next; Enter submits the form."""
    for value in values:
        tab.keyboard.type(value)
        tab.keyboard.press("Tab")


def test_sign_up_log_out_log_in_and_change_password(base_url: str, page: Page) -> None:
    page.goto(base_url + "/")
    expect(page).to_have_url(base_url + "/login?next=/")
    page.goto(base_url + "/signup")
    page.locator("#name").focus()
    fill_by_keyboard(page, ["ada", "password123", "password123"])
    page.keyboard.press("Enter")
    expect(page.locator(".field.invalid #password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error").first).to_be_visible()
    shot(page, "signup-errors")

    page.locator("#password").focus()
    fill_by_keyboard(page, [STRONG, STRONG])
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Today")
    expect(page.locator(".account")).to_have_text("ada")

    page.locator("form[action$='/logout'] button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Log in")
    page.locator("#name").focus()
    fill_by_keyboard(page, ["ada", "not the password at all"])
    page.keyboard.press("Enter")
    expect(page.locator(".error")).to_be_visible()
    shot(page, "login-refused")
    page.locator("#password").focus()
    page.keyboard.type(STRONG)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Today")

    page.goto(base_url + "/account/password")
    page.locator("#current").focus()
    fill_by_keyboard(page, [STRONG, NEWER, NEWER])
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Today")
    page.locator("form[action$='/logout'] button").focus()
    page.keyboard.press("Enter")
    page.locator("#name").focus()
    fill_by_keyboard(page, ["ada", NEWER])
    page.keyboard.press("Enter")
    expect(page.locator(".account")).to_have_text("ada")
    shot(page, "logged-in-after-password-change")
    # The refused sign-up (400) and log-in (401) are the responses Chromium logs as errors.
    expected = ("status of 400", "status of 401")
    problems = page.console_problems  # type: ignore[attr-defined]
    assert sorted(e for e in expected if any(e in p for p in problems)) == list(expected)
    problems[:] = [p for p in problems if not any(e in p for e in expected)]
