"""A card's image fits the phone: a picture wider than the screen is scaled down to the card's
column on the review page and the card page, in light and dark mode."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser

from tests.conftest import FIXTURE_DECKS
from tests.web.browser.conftest import ARTIFACTS
from tests.web.support import web_app

pytestmark = pytest.mark.browser

WIDE = """\
deck: pictures
title: Pictures
cards:
  - id: wide-curve
    kind: fact
    prompt: "What does this curve show? ![PR curve](media/wide.png)"
    answer: Precision against recall as the threshold moves.
    concepts: [class-imbalance]
"""


def png(width: int, height: int) -> bytes:
    """A grey PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * (width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


@pytest.fixture
def app(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "concepts.yaml").write_text((FIXTURE_DECKS / "concepts.yaml").read_text())
    (decks / "pictures.yaml").write_text(WIDE)
    (decks / "media").mkdir()
    (decks / "media" / "wide.png").write_bytes(png(1600, 400))
    with web_app(sqlite_url, decks, tmp_path / "data") as built:
        yield built


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_wide_image_is_scaled_to_the_card(base_url: str, browser: Browser, scheme: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (390, 1280):
        page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
        for path in ("/review", "/cards/wide-curve"):
            page.goto(base_url + path)
            image = page.locator("img[alt='PR curve']")
            image.wait_for()
            page.wait_for_function("document.querySelector(\"img[alt='PR curve']\").complete")
            shown = image.bounding_box()
            column = page.locator("main").bounding_box()
            assert shown is not None and column is not None
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
            assert shown["x"] + shown["width"] <= column["x"] + column["width"] + 1, (path, width)
            assert 0 < shown["width"] < 1600 and abs(shown["height"] / shown["width"] - 0.25) < 0.02
            name = path.strip("/").replace("/", "-")
            page.screenshot(path=str(ARTIFACTS / f"image-{name}-{width}-{scheme}.png"), full_page=True)
        page.close()
