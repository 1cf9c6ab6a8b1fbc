"""An import killed at a random moment leaves either no deck file or the whole one, never part."""

from __future__ import annotations

import csv
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trainer.decks.deckfile import load_decks

ROOT = Path(__file__).resolve().parents[2]
ROWS = 3000


def write_source(folder: Path) -> tuple[Path, Path]:
    """A deck folder with its concepts, and a CSV of ROWS fact cards to import into it."""
    decks = folder / "decks"
    decks.mkdir()
    (decks / "concepts.yaml").write_text("concepts:\n  - id: recall\n    description: Recall.\n")
    source = folder / "cards.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "kind", "prompt", "answer", "why", "text", "points", "concepts", "tags"])
        for i in range(ROWS):
            writer.writerow([f"big-{i}", "fact", f"Question {i}?", f"Answer {i}.", "", "", "", "recall", ""])
    return decks, source


def run_import(decks: Path, source: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "trainer.cli", "import", "csv", str(source), "--deck", "big"]
    return subprocess.Popen(
        [*command, "--decks-dir", str(decks), "--replace"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def imported_cards(decks: Path) -> int | None:
    """How many cards the deck file holds, or None if there is no deck file."""
    if not (decks / "big.yaml").exists():
        return None
    deck_set = load_decks([decks])
    return sum(len(d.cards) for d in deck_set.decks if d.slug == "big")


def kills_leave_all_or_nothing(tmp_path: Path, kills: int, seed: int) -> None:
    decks, source = write_source(tmp_path)
    started = time.perf_counter()
    assert run_import(decks, source).wait(timeout=120) == 0
    duration = time.perf_counter() - started
    assert imported_cards(decks) == ROWS
    rng = random.Random(seed)
    outcomes = set()
    for _ in range(kills):
        (decks / "big.yaml").unlink(missing_ok=True)
        process = run_import(decks, source)
        time.sleep(rng.uniform(0.0, duration))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        outcome = imported_cards(decks)
        assert outcome in (None, ROWS), f"a killed import left {outcome} cards"
        outcomes.add(outcome)
    assert outcomes


def test_import_killed_midway_is_all_or_nothing(tmp_path: Path) -> None:
    kills_leave_all_or_nothing(tmp_path, kills=5, seed=5)


@pytest.mark.slow
def test_import_killed_many_times_is_all_or_nothing(tmp_path: Path) -> None:
    kills_leave_all_or_nothing(tmp_path, kills=20, seed=6)
