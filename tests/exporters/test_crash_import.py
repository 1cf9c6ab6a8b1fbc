"""An import killed at a random moment leaves either no deck file or the whole one, never part;
an import killed anywhere between its first file move and the end of its journal (or a recovery
killed midway) is, once the folder is next read, all there in files and database or not at all."""

from __future__ import annotations

import csv
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import NOW, REPO_DECKS, slow_size
from tests.exporters import import_child
from tests.exporters.import_child import DRAFTS, REVIEWS, SUSPENDED
from tests.exporters.test_import_all_or_nothing import OWN_DECK, folder_files, snapshot
from trainer import Collection
from trainer.decks.atomic import pending_imports
from trainer.decks.deckfile import load_decks
from trainer.decks.writer import write_deck_file
from trainer.errors import TrainerError
from trainer.model import Card, CardKind

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


def journal_folder(root: Path, url: str) -> Path:
    """A deck folder with one hand-written deck, synced into the database at `url` with one
    answer, so that "as before" is neither an empty folder nor an empty database."""
    decks = root / "decks"
    decks.mkdir(parents=True)
    shutil.copy(REPO_DECKS / "concepts.yaml", decks / "concepts.yaml")
    (decks / "own.yaml").write_text(OWN_DECK)
    with Collection.open(url) as col:
        col.sync_decks([decks], now=NOW)
        col.answer("own-precision", 3, now=NOW)
    return decks


def kill_at(
    url: str, decks: Path, aim: str, while_stopped: Callable[[], None] = lambda: None
) -> dict[str, bytes]:
    """Run `tests.exporters.import_child` until it stops at `aim`, check that an import journal
    is in the folder while it waits there, run `while_stopped`, kill it; returns the folder's
    files at the kill."""
    marker = decks.parent / f"stopped-at-{aim}"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.exporters.import_child", url, str(decks), aim, str(marker)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        reached = wait_for(marker, child)
        assert reached, (
            f"the child never reached {aim!r}: {child.stderr.read().decode() if child.stderr else ''}"
        )
        assert child.poll() is None and pending_imports(decks), f"no import journal at {aim!r}"
        at_kill = folder_files(decks)
        while_stopped()
        assert child.poll() is None, f"the child went past {aim!r}"
    finally:
        child.kill()
        child.wait(timeout=30)
        if child.stderr:
            child.stderr.close()
    return at_kill


def uninterrupted(root: Path) -> dict[str, bytes]:
    """The folder an import that is not interrupted leaves (on a database of its own)."""
    url = f"sqlite:///{root / 'reference.db'}"
    decks = journal_folder(root, url)
    with Collection.open(url) as col:
        import_child.run_import(col, decks)
    files = folder_files(decks)
    assert not [name for name in files if Path(name).name.startswith(".")], "an import left a file behind"
    return files


def assert_imported(url: str, decks: Path, expected: dict[str, bytes]) -> None:
    assert folder_files(decks) == expected
    with Collection.open(url) as col:
        assert sorted(d.slug for d in col.decks()) == ["new", "own"]
        assert {c.id for c in col.cards()} >= {c.id for d in DRAFTS for c in d.cards}
        assert len(col.history()) == 1 + len(REVIEWS)
        assert [c for c in SUSPENDED if col.card(c).memory.suspended] == SUSPENDED


# After the first deck file replaced its target; after every file is in place; inside the
# transaction once the import is recorded: none committed. After the commit: committed.
WINDOW = [("first-move", False), ("moved", False), ("recorded", False), ("committed", True)]


@pytest.mark.parametrize(("aim", "committed"), WINDOW, ids=[aim for aim, _ in WINDOW])
def test_an_import_killed_inside_its_window_is_settled_all_or_nothing(
    db_url: str, tmp_path: Path, aim: str, committed: bool
) -> None:
    decks = journal_folder(tmp_path / "killed", db_url)
    before = snapshot(db_url, decks)
    at_kill = kill_at(db_url, decks, aim)
    assert at_kill["own.yaml"] != before[1]["own.yaml"], "the kill was aimed after a file move"
    with Collection.open(db_url) as col:
        col.check_decks([decks])
    assert not pending_imports(decks)
    if committed:
        assert_imported(db_url, decks, uninterrupted(tmp_path / "reference"))
    else:
        assert snapshot(db_url, decks) == before


@pytest.mark.parametrize(
    ("aim", "left_at", "committed"), [("rolling-back", "recorded", False), ("finishing", "committed", True)]
)
def test_a_recovery_killed_midway_is_recovered_again(
    db_url: str, tmp_path: Path, aim: str, left_at: str, committed: bool
) -> None:
    decks = journal_folder(tmp_path / "killed", db_url)
    before = snapshot(db_url, decks)
    kill_at(db_url, decks, left_at)
    kill_at(db_url, decks, aim)
    with Collection.open(db_url) as col:
        col.sync_decks([decks], now=NOW)
    assert not pending_imports(decks)
    if committed:
        assert_imported(db_url, decks, uninterrupted(tmp_path / "reference"))
    else:
        assert folder_files(decks) == before[1]
        with Collection.open(db_url) as col:
            assert [d.slug for d in col.decks()] == ["own"] and len(col.history()) == 1


def test_an_import_still_running_is_left_alone(db_url: str, tmp_path: Path) -> None:
    decks = journal_folder(tmp_path / "killed", db_url)
    before = snapshot(db_url, decks)

    def read_meanwhile() -> None:
        in_flight = folder_files(decks)
        with Collection.open(db_url) as col:
            assert col.recover_imports([decks]) == []
        assert folder_files(decks) == in_flight

    kill_at(db_url, decks, "moved", read_meanwhile)
    with Collection.open(db_url) as col:
        assert len(col.recover_imports([decks])) == 1
    assert snapshot(db_url, decks) == before


def write_other_deck(decks: Path) -> None:
    card = Card(
        id="other-1",
        deck="other",
        kind=CardKind.FACT,
        prompt="Q?",
        answer="A.",
        concepts=("problem-framing",),
    )
    write_deck_file(decks, "other", "Other", "", [card])


@pytest.mark.parametrize(("aim", "committed"), [("files-moved", False), ("files-done", True)])
def test_a_file_only_import_killed_midway_is_settled_by_the_next_write(
    tmp_path: Path, aim: str, committed: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'trainer.db'}"
    decks = journal_folder(tmp_path / "killed", url)
    before = folder_files(decks)
    kill_at(url, decks, aim)
    write_other_deck(decks)
    expected = uninterrupted(tmp_path / "reference") if committed else before
    assert folder_files(decks) == expected | {"other.yaml": (decks / "other.yaml").read_bytes()}


def test_a_file_only_write_refuses_a_folder_whose_import_the_database_decides(
    db_url: str, tmp_path: Path
) -> None:
    decks = journal_folder(tmp_path / "killed", db_url)
    before = snapshot(db_url, decks)
    kill_at(db_url, decks, "recorded")
    left = folder_files(decks)
    with pytest.raises(TrainerError, match="was cut short; sync that folder"):
        write_other_deck(decks)
    assert folder_files(decks) == left
    with Collection.open(db_url) as col:
        col.sync_decks([decks], now=NOW)
    write_other_deck(decks)
    assert folder_files(decks) == before[1] | {"other.yaml": (decks / "other.yaml").read_bytes()}
