"""Fixtures of the browser tests: one Chromium per module (Playwright, Debian's /usr/bin/chromium),
the web app served by waitress in a thread, and a page at desktop (1280 px, light) and phone
(390 px, dark) size that fails its test on any console error. Without Chromium these tests are not
collected, unless TRAINER_REQUIRE_BROWSER=1 makes that an error."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright

from tests.web.support import web_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
    "phone": {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark", "is_mobile": True},
}

collect_ignore_glob: list[str] = []
if not CHROMIUM.exists():
    if os.environ.get("TRAINER_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"{CHROMIUM} is missing and TRAINER_REQUIRE_BROWSER=1")
    collect_ignore_glob.append("test_*.py")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def app(sqlite_url: str, decks_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    with web_app(sqlite_url, decks_dir, tmp_path / "data") as built:
        yield built


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """Serve `app` with waitress on a free port in a thread; yield its base URL; stop it cleanly."""
    from waitress import create_server

    server: Any = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # The request threads stop first (each ends by waking the loop through its trigger), then
        # the loop's own thread closes the sockets: closing them from here could pull a descriptor
        # out from under its select() (EBADF in the server thread).
        def close_every_socket() -> None:
            for dispatcher in list(server._map.values()):
                dispatcher.close()

        server.task_dispatcher.shutdown()
        server.trigger.pull_trigger(close_every_socket)
        thread.join(timeout=5)
        assert not thread.is_alive(), "the test server did not stop"


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    with served(app) as url:
        yield url


@pytest.fixture(params=sorted(VIEWPORTS))
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(**VIEWPORTS[request.param])
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: problems.append(str(e)))
    opened.viewport_name = request.param  # type: ignore[attr-defined]
    opened.console_problems = problems  # type: ignore[attr-defined]
    yield opened
    context.close()
    assert problems == [], problems


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot of `page` as test-artifacts/<name>-<viewport>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{page.viewport_name}.png"), full_page=True)  # type: ignore[attr-defined]
