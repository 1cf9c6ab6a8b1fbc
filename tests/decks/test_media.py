"""Images in deck files: files in media/ beside the deck only, checked at load; placeholders in a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.cli.markup import terminal_text
from trainer.decks.deckfile import load_decks
from trainer.decks.render import markdown_html, plain_text
from trainer.errors import DeckError


def test_an_image_must_be_a_file_in_the_media_folder(decks_dir: Path) -> None:
    alpha = decks_dir / "alpha.yaml"
    alpha.write_text(
        alpha.read_text()
        .replace("How rare is fraud?", "How rare is fraud? ![curve](media/missing.png)")
        .replace("Well under 1% of transactions.", '"![x](https://example.org/x.png)"')
    )
    with pytest.raises(DeckError) as raised:
        load_decks([decks_dir])
    messages = [(p.line, p.message) for p in raised.value.problems]
    assert len(messages) == 2 and all(line == 5 for line, _ in messages)
    assert "missing.png" in messages[0][1] and "must be a file in media/" in messages[1][1]
    (decks_dir / "media").mkdir()
    (decks_dir / "media" / "missing.png").write_bytes(b"\x89PNG")
    alpha.write_text(alpha.read_text().replace('"![x](https://example.org/x.png)"', "Well under 1%."))
    assert load_decks([decks_dir]).cards[0].prompt.endswith("![curve](media/missing.png)")


def test_html_shows_media_images_only_and_the_terminal_a_placeholder() -> None:
    html = markdown_html("A ![curve](media/pr.png) B ![y](http://evil.example/y.png) ![z](media/../z.png)")
    assert '<img src="/media/pr.png" alt="curve">' in html
    assert "evil.example" not in html and "../z.png" not in html
    assert plain_text("See ![curve](media/pr.png).") == "See [image: curve, media/pr.png]."
    shown = terminal_text("See ![curve](media/pr.png).", width=80)
    assert "[image: curve, media/pr.png]" in shown and "![" not in shown
