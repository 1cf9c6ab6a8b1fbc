"""One atomic file writer for every deck file and image the trainer writes: the whole new file or
the old one, its permissions kept, and nothing staged left behind when a write fails."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from trainer.decks import writer


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_text_and_bytes_are_written_whole_in_a_new_folder(tmp_path: Path) -> None:
    deck = tmp_path / "my-cards" / "my-cards.yaml"
    writer.write_atomically(deck, "prompt: Größe — 大小\n")
    assert deck.read_bytes() == "prompt: Größe — 大小\n".encode()
    image = tmp_path / "media" / "plot.png"
    writer.write_atomically(image, b"\x89PNG\r\n\x1a\n\x00")
    assert image.read_bytes() == b"\x89PNG\r\n\x1a\n\x00"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["media", "my-cards", "my-cards.yaml", "plot.png"]


def test_a_replaced_file_keeps_its_permissions_and_a_new_one_follows_the_umask(tmp_path: Path) -> None:
    kept = tmp_path / "alpha.yaml"
    kept.write_text("old\n")
    kept.chmod(0o640)
    writer.write_atomically(kept, "new\n")
    assert kept.read_text() == "new\n" and _mode(kept) == 0o640
    umask = os.umask(0o022)
    os.umask(umask)
    fresh = tmp_path / "beta.yaml"
    writer.write_atomically(fresh, "new\n")
    assert _mode(fresh) == 0o666 & ~umask


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_write_leaves_the_old_file_and_nothing_staged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    deck = tmp_path / "alpha.yaml"
    deck.write_text("old\n")

    def full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, full)
    with pytest.raises(OSError, match="No space left"):
        writer.write_atomically(deck, "new\n")
    monkeypatch.undo()
    assert deck.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["alpha.yaml"]
