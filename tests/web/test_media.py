"""Card images: shown in the review page, served from the decks' media folder and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.web.support import web_app
from trainer.decks.media import MAX_MEDIA_BYTES

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def image_app(sqlite_url: str, decks_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    (decks_dir / "media").mkdir()
    (decks_dir / "media" / "pr-curve.png").write_bytes(PNG)
    (decks_dir / "media" / "huge.png").write_bytes(PNG + b"\x00" * MAX_MEDIA_BYTES)
    (decks_dir / "media" / "notes.txt").write_text("not an image")
    (tmp_path / "secret.png").write_bytes(PNG)
    alpha = decks_dir / "alpha.yaml"
    alpha.write_text(
        alpha.read_text().replace("How rare is fraud?", "How rare is fraud? ![PR curve](media/pr-curve.png)")
    )
    with web_app(sqlite_url, decks_dir, tmp_path / "data") as app:
        yield app


def test_an_image_is_shown_on_the_card_and_served_same_origin(image_app: Flask) -> None:
    client = image_app.test_client()
    page = client.get("/cards/a-fact").get_data(as_text=True)
    assert '<img src="/media/pr-curve.png" alt="PR curve">' in page
    with client.get("/media/pr-curve.png") as response:
        assert response.status_code == 200 and response.data == PNG
        assert response.mimetype == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["huge.png", "notes.txt", "..%2Fsecret.png", "missing.png", ".hidden.png"])
def test_anything_else_is_not_found(image_app: Flask, path: str) -> None:
    assert image_app.test_client().get(f"/media/{path}").status_code == 404
