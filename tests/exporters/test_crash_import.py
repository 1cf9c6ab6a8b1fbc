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

from tests.conftest import slow_size
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


def wait_for(path: Path, process: subprocess.Popen[bytes], timeout: float = 120) -> bool:
    """Poll until `path` exists (True) or the process ends or time runs out (False)."""
    deadline = time.perf_counter() + timeout
    while not path.exists():
        if process.poll() is not None or time.perf_counter() > deadline:
            return False
        time.sleep(0.002)
    return True


def kills_leave_all_or_nothing(tmp_path: Path, kills: int, seed: int) -> None:
    decks, source = write_source(tmp_path)
    staged = decks / ".big.yaml.partial"
    started = time.perf_counter()
    trial = run_import(decks, source)
    assert wait_for(staged, trial), "the import never staged its deck file"
    staging = time.perf_counter()
    assert trial.wait(timeout=120) == 0
    finished = time.perf_counter()
    duration, writing = finished - started, finished - staging
    assert imported_cards(decks) == ROWS
    rng = random.Random(seed)
    inside = 0
    for run in range(kills):
        (decks / "big.yaml").unlink(missing_ok=True)
        staged.unlink(missing_ok=True)
        process = run_import(decks, source)
        # Every other kill is aimed at the write: after the deck file is staged, before it is moved.
        # The first of them lands as soon as the staged file appears, so that on a loaded machine
        # (where the trial's timings say little about this run's) at least one is inside the write.
        if run % 2 == 0 and wait_for(staged, process):
            time.sleep(0.0 if run == 0 else rng.uniform(0.0, 0.5 * writing))
        else:
            time.sleep(rng.uniform(0.0, duration))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        outcome = imported_cards(decks)
        assert outcome in (None, ROWS), f"a killed import left {outcome} cards"
        if staged.exists():
            assert outcome is None, "a kill before the staged file was moved left a deck file"
            inside += 1
    assert inside, "no kill landed while the import was writing its deck file"


@pytest.mark.slow
def test_import_killed_midway_is_all_or_nothing(tmp_path: Path) -> None:
    kills_leave_all_or_nothing(tmp_path, kills=slow_size(4, 20), seed=5)
