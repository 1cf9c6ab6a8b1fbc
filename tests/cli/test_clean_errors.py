"""Mistakes a learner can make reach them as one clear line through the real `trainer` command:
a non-zero exit, no traceback, nothing changed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import NOW
from trainer import Collection


def trainer(*args: str, home: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`trainer ARGS` in a child process with no terminal (its own session, stdin empty)."""
    return subprocess.run(
        [sys.executable, "-m", "trainer.cli", *args],
        env=dict(os.environ, TRAINER_HOME=str(home)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and expected in errors[0], result.stderr


@pytest.fixture
def synced(tmp_path: Path, decks_dir: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'trainer.db'}"
    with Collection.open(url) as col:
        col.sync_decks([decks_dir], now=NOW)
    yield url


def test_a_port_already_in_use(synced: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = trainer("--db", synced, "serve", "--no-sync", "--port", str(port), home=tmp_path)
    assert_one_clear_line(result, f"cannot listen on 127.0.0.1:{port}")


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    not_db = tmp_path / "notes.db"
    not_db.write_text("my notes, not a database\n")
    result = trainer("--db", f"sqlite:///{not_db}", "stats", home=tmp_path)
    assert_one_clear_line(result, "file is not a database")
    assert not_db.read_text() == "my notes, not a database\n"


def test_a_path_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = trainer("--db", f"sqlite:///{blocker}/sub/trainer.db", "stats", home=tmp_path)
    assert_one_clear_line(result, "cannot create the collection")
    assert blocker.read_text() == ""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("notaurl", "bad database URL 'notaurl'"),
        ("nosuchdb://x/y", "bad database URL"),
        ("mysql://someone@localhost/trainer", "the database driver for 'mysql' is not installed"),
    ],
)
def test_a_malformed_url_or_a_missing_driver(tmp_path: Path, url: str, expected: str) -> None:
    assert_one_clear_line(trainer("--db", url, "stats", home=tmp_path), expected)


def test_a_corrupt_anki_package(tmp_path: Path) -> None:
    package = tmp_path / "broken.apkg"
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki21", b"SQLite format 3\0" + b"x" * 100_000)
        archive.writestr("media", b"{}")
    data = bytearray(package.read_bytes())
    start = data.find(b"collection.anki21") + len("collection.anki21")
    for i in range(start + 5, start + 40):
        data[i] ^= 0x55
    package.write_bytes(bytes(data))
    result = trainer(
        "import", "anki", str(package), "--deck", "mine", "--decks-dir", str(tmp_path / "d"), home=tmp_path
    )
    assert_one_clear_line(result, "broken.apkg")
    assert not (tmp_path / "d" / "mine.yaml").exists()


def test_review_without_a_terminal(synced: str, tmp_path: Path) -> None:
    result = trainer("--db", synced, "review", "--no-sync", home=tmp_path)
    assert_one_clear_line(result, "reads keys from a terminal")
    with Collection.open(synced) as col:
        assert col.history() == []


def test_an_unknown_domain_lists_the_valid_names(synced: str, tmp_path: Path) -> None:
    result = trainer("--db", synced, "review", "--no-sync", "--domain", "gamma", home=tmp_path)
    assert_one_clear_line(result, "no deck named 'gamma'; the decks are: alpha, beta")
    exported = trainer(
        "--db", synced, "export", "cards", str(tmp_path / "c.csv"), "--deck", "gamma", home=tmp_path
    )
    assert_one_clear_line(exported, "the decks are: alpha, beta")


def test_export_csv_to_standard_output(synced: str, tmp_path: Path) -> None:
    with Collection.open(synced) as col:
        col.answer("a-fact", 3, NOW)
    result = trainer("--db", synced, "export", "csv", "-", home=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split(",")[1:3] == ["card_id", "domain"] and lines[1].split(",")[1] == "a-fact"
    assert len(lines) == 2 and not (tmp_path / "-").exists()


def test_a_missing_package_and_an_export_folder_that_cannot_be_made(synced: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.apkg"
    result = trainer("--db", synced, "import", "anki", str(missing), "--deck", "x", home=tmp_path)
    assert_one_clear_line(result, f"{missing}: No such file or directory")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    result = trainer("--db", synced, "export", "anki", str(blocker / "out.apkg"), home=tmp_path)
    assert_one_clear_line(result, f"{blocker}: File exists")
    assert blocker.read_text() == "not a folder\n"
