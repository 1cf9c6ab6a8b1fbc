"""Decompression bombs in Anki packages: refused by `trainer import anki` with little memory and time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import genanki
import pytest
import zstandard

from exporters.anki_import import import_anki
from exporters.anki_package import MAX_COLLECTION_BYTES
from tests.conftest import FIXTURE_DECKS
from trainer.storage.paths import bundled_decks

CHUNK = bytes(16 << 20)
# A Python process importing packages needs well under this; a bomb inflated in memory does not.
MEMORY_CEILING = 400 << 20
TIME_CEILING_S = 90


def _zstd_of(prefix: bytes, size: int) -> bytes:
    """`prefix` then zeros up to `size` bytes, zstd-compressed as a stream of unknown length."""
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    parts = [compressor.compress(prefix)]
    parts.extend(compressor.compress(CHUNK) for _ in range(size // len(CHUNK)))
    parts.append(compressor.flush())
    return b"".join(parts)


def _spaces_deflated(archive: zipfile.ZipFile, name: str, size: int, tail: bytes) -> None:
    with archive.open(name, "w", force_zip64=True) as entry:
        spaces = b" " * len(CHUNK)
        for _ in range(size // len(spaces)):
            entry.write(spaces)
        entry.write(tail)


def _media_list_bomb(target: Path) -> None:
    """A media list of 1 GiB: white space around `{}` (valid JSON), deflated to a few MB."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        _spaces_deflated(archive, "media", 1 << 30, b"{}")
        archive.writestr("collection.anki2", b"SQLite format 3\x00")


def _collection_bomb(target: Path) -> None:
    """A current-format collection: SQLite's magic then 1 GiB of zeros, in about 30 KB of zstd."""
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("collection.anki21b", _zstd_of(b"SQLite format 3\x00", 1 << 30))
        archive.writestr("media", _zstd_of(b"", 0))


def _zstd_media_list_bomb(target: Path) -> None:
    """A current-format media list of 256 MiB of zeros: millions of empty protobuf fields."""
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("media", _zstd_of(b"", 256 << 20))
        archive.writestr("collection.anki21b", _zstd_of(b"SQLite format 3\x00", 0))


BOMBS: dict[str, tuple[Callable[[Path], None], str]] = {
    "deflated media list": (_media_list_bomb, "media inflates to more than 8 MiB"),
    "zstd collection": (_collection_bomb, "collection.anki21b inflates to more than 256 MiB"),
    "zstd media list": (_zstd_media_list_bomb, "media inflates to more than 8 MiB"),
}


@pytest.fixture
def empty_decks(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "decks"
    folder.mkdir()
    shutil.copy(FIXTURE_DECKS / "concepts.yaml", folder / "concepts.yaml")
    yield folder


# The child's own high-water mark, read from /proc when it exits. The kernel's ru_maxrss would not
# do: a process started by fork and exec keeps the larger of its own peak and the resident size of
# the parent it was forked from, and the test process can itself be hundreds of MiB.
_MEASURED_CLI = """
import atexit, os, runpy, sys

def _record_peak():
    with open("/proc/self/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    with open(os.environ["PEAK_FILE"], "w") as out:
        out.write(str(kib * 1024))

atexit.register(_record_peak)
sys.argv[0] = "trainer"
runpy.run_module("trainer.cli", run_name="__main__", alter_sys=True)
"""


def _run_import(package: Path, decks: Path, home: Path) -> tuple[int, str, int]:
    """`trainer import anki` in a child process, killed after TIME_CEILING_S: its exit status,
    output and peak resident memory in bytes."""
    command = [sys.executable, "-c", _MEASURED_CLI, "import", "anki", str(package), "--deck", "bomb"]
    command += ["--decks-dir", str(decks)]
    home.mkdir(exist_ok=True)
    peak_file = home / "peak"
    env = dict(os.environ, TRAINER_HOME=str(home), TMPDIR=str(home), PEAK_FILE=str(peak_file))
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    timer = threading.Timer(TIME_CEILING_S, child.kill)
    timer.start()
    try:
        output, _ = child.communicate()
    finally:
        timer.cancel()
    assert peak_file.exists(), f"the import did not exit by itself (exit status {child.returncode})"
    return child.returncode, output.decode(), int(peak_file.read_text())


@pytest.mark.parametrize("case", sorted(BOMBS))
def test_bombs_are_refused_before_they_inflate(case: str, tmp_path: Path, empty_decks: Path) -> None:
    make, message = BOMBS[case]
    package = tmp_path / "bomb.apkg"
    make(package)
    assert package.stat().st_size < 8 << 20
    before = sorted(p.name for p in empty_decks.iterdir())

    code, output, peak = _run_import(package, empty_decks, tmp_path / "home")

    assert code == 1 and "Traceback" not in output, output
    assert message in output and "decompression bomb" in output, output
    assert peak < MEMORY_CEILING, f"peak memory {peak >> 20} MiB"
    assert sorted(p.name for p in empty_decks.iterdir()) == before
    assert MAX_COLLECTION_BYTES < MEMORY_CEILING


def test_peak_memory_is_the_childs_own_not_the_parents(tmp_path: Path, empty_decks: Path) -> None:
    ballast = bytearray(MEMORY_CEILING + (64 << 20))  # zero-filled, so every page is resident
    missing = tmp_path / "missing.apkg"

    code, output, peak = _run_import(missing, empty_decks, tmp_path / "home")

    assert len(ballast) > MEMORY_CEILING and code != 0, output
    assert 10 << 20 < peak < MEMORY_CEILING, f"peak memory {peak >> 20} MiB"


PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _package_with_image(target: Path, image: bytes | None) -> None:
    """A Basic note showing pic.png, whose media entry is `image` or 512 MiB of deflated zeros."""
    folder = target.parent / f"{target.stem}-media"
    folder.mkdir()
    (folder / "pic.png").write_bytes(PIXEL_PNG)
    deck = genanki.Deck(2_000_000_123, "Pictures")
    fields = ['What is shown? <img src="pic.png">', "one pixel"]
    deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=fields, guid="pixel"))
    package = genanki.Package(deck, media_files=[str(folder / "pic.png")])
    small = target.parent / f"{target.stem}-small.apkg"
    package.write_to_file(str(small))
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in source.namelist():
            if name != "0" or image is not None:
                out.writestr(name, source.read(name) if name != "0" else image or b"")
                continue
            with out.open("0", "w", force_zip64=True) as entry:
                for _ in range(32):
                    entry.write(CHUNK)


@pytest.mark.parametrize(
    "image", [None, _zstd_of(b"\x89PNG", 512 << 20), PIXEL_PNG], ids=["deflated", "zstd", "small"]
)
def test_an_image_that_inflates_past_its_cap_is_left_out(image: bytes | None, tmp_path: Path) -> None:
    # The bundled concepts hold the one an imported card without a concept is given.
    empty_decks = tmp_path / "decks"
    empty_decks.mkdir()
    shutil.copy(bundled_decks() / "concepts.yaml", empty_decks / "concepts.yaml")
    package = tmp_path / "pictures.apkg"
    _package_with_image(package, image)
    assert package.stat().st_size < 2 << 20

    code, output, peak = _run_import(package, empty_decks, tmp_path / "home")

    assert code == 0, output
    kept = sorted(p.name for p in (empty_decks / "media").glob("*")) if image == PIXEL_PNG else []
    assert ("1 cards, 1 images" if kept else "1 cards, 0 images") in output, output
    assert ("1 image over 2 MiB" in output) == (image != PIXEL_PNG), output
    assert kept == (["pic.png"] if image == PIXEL_PNG else [])
    assert not (empty_decks / "media").exists() or image == PIXEL_PNG
    assert peak < MEMORY_CEILING, f"peak memory {peak >> 20} MiB"


def test_each_image_left_out_is_named_for_why_in_the_summary(tmp_path: Path) -> None:
    # The bundled concepts hold the one an imported card without a concept is given.
    decks = tmp_path / "decks"
    decks.mkdir()
    shutil.copy(bundled_decks() / "concepts.yaml", decks / "concepts.yaml")
    folder = tmp_path / "media"
    folder.mkdir()
    (folder / "scan.tiff").write_bytes(b"II*\x00" + bytes(64))
    (folder / "pixel.png").write_bytes(PIXEL_PNG)
    deck = genanki.Deck(2_000_000_124, "Pictures")
    shown = '<img src="pixel.png"> <img src="scan.tiff"> <img src="gone.png">'
    deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=[f"What? {shown}", "x"], guid="pics"))
    package = tmp_path / "pictures.apkg"
    media = [str(folder / "scan.tiff"), str(folder / "pixel.png")]
    genanki.Package(deck, media_files=media).write_to_file(str(package))

    report = import_anki(package, "pictures", decks)

    assert report.media == 1
    assert report.dropped == {"image of a type cards cannot show": 1, "missing image": 1}
    assert report.summary() == "dropped: 1 image of a type cards cannot show, 1 missing image"
