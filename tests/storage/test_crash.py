"""Crash safety: a process answering cards (or syncing decks) is SIGKILLed at random moments.

After every kill: each answer the process acknowledged is in the log, SQLite's integrity check
passes, every card's state equals its log chain (`trainer check` finds nothing), and a sync is
either fully applied or not at all.
"""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import NOW, slow_size
from tests.storage.test_concurrency import write_deck
from trainer import Collection, Rating
from trainer.check import check_database
from trainer.storage import backup

ROOT = Path(__file__).resolve().parents[2]
CARDS = 40

ANSWER_WORKER = f"""
import sys
from datetime import timedelta
from trainer import Collection, Rating
from tests.conftest import NOW
url, run = sys.argv[1], int(sys.argv[2])
start = NOW + timedelta(days=run)
col = Collection.open(url)
print("ready", flush=True)
i = 0
while True:
    request_id = f"r{{run}}-{{i}}"
    card_id = f"load-{{i % {CARDS}:05d}}"
    col.answer(card_id, Rating(1 + (i * 7) % 4), now=start + timedelta(seconds=i), request_id=request_id)
    print(request_id, flush=True)
    i += 1
"""

# The sync worker says "writing" when its transaction sends its first INSERT, so a kill can be
# aimed inside the write transaction and the test can tell where each kill landed.
SYNC_WORKER = """
import sys, time
from sqlalchemy import event
from sqlalchemy.engine import Engine
from trainer import Collection
from tests.conftest import NOW
url, decks = sys.argv[1], sys.argv[2]
col = Collection.open(url)
said = []
@event.listens_for(Engine, "before_cursor_execute")
def _writing(conn, cursor, statement, *args):
    if not said and statement.lstrip().upper().startswith("INSERT"):
        said.append(True)
        print("writing", flush=True)
print("ready", flush=True)
began = time.perf_counter()
col.sync_decks([decks], now=NOW)
print(f"synced {time.perf_counter() - began:.3f}", flush=True)
"""


def _spawn(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_after_ready(
    process: subprocess.Popen[str], delay: float, *, may_finish: bool = False, after: str = "ready"
) -> list[str]:
    """Wait for the worker to print `after` ("ready" first), let it run `delay` seconds more,
    SIGKILL it; its output from the line after "ready".

    With `may_finish`, a worker that completed before the kill landed is accepted too.
    """
    assert process.stdout is not None
    first = process.stdout.readline().strip()
    assert first == "ready", (first, process.stderr.read() if process.stderr else "")
    seen: list[str] = []
    while after != "ready" and (line := process.stdout.readline().strip()):
        seen.append(line)
        if line == after:
            break
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    out, err = process.communicate(timeout=30)
    finished = may_finish and process.returncode == 0
    assert finished or process.returncode == -signal.SIGKILL, err
    return seen + out.split()


def _assert_consistent(url: str, database: Path) -> Collection:
    with closing(sqlite3.connect(database)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    col = Collection.open(url)
    report = check_database(col.engine)
    assert report.ok, [str(p) for p in report.problems[:5]]
    for made in backup.list_backups(database):
        backup.verify(made.path)
    return col


def _answers_survive_kills(tmp_path: Path, kills: int, seed: int) -> None:
    database = tmp_path / "trainer.db"
    url = f"sqlite:///{database}"
    with Collection.open(url) as col:
        col.sync_decks([write_deck(tmp_path / "decks", CARDS)], now=NOW)
    rng = random.Random(seed)
    acknowledged: set[str] = set()
    for run in range(kills):
        printed = _kill_after_ready(_spawn(ANSWER_WORKER, url, str(run)), rng.uniform(0.0, 0.4))
        acknowledged.update(printed)
        col = _assert_consistent(url, database)
        try:
            with col.engine.connect() as conn:
                stored = set(conn.exec_driver_sql("SELECT request_id FROM review_logs").scalars())
        finally:
            col.close()
        missing = acknowledged - stored
        assert not missing, f"run {run}: {len(missing)} acknowledged answers lost"
    assert len(acknowledged) > kills, "the workers answered almost nothing before being killed"


@pytest.mark.slow
def test_answers_survive_sigkills(tmp_path: Path) -> None:
    _answers_survive_kills(tmp_path, kills=slow_size(20, 60), seed=1)


def _sync_is_all_or_nothing(tmp_path: Path, kills: int, seed: int) -> None:
    pristine = tmp_path / "pristine.db"
    with Collection.open(f"sqlite:///{pristine}") as col:
        col.sync_decks([write_deck(tmp_path / "small", 50)], now=NOW)
        for i in range(5):
            col.answer(f"load-{i:05d}", Rating.Good, now=NOW)
    big = write_deck(tmp_path / "big", 4000)
    # One run to completion tells how long the sync's write transaction takes, so kills land inside it.
    trial = tmp_path / "trial.db"
    shutil.copy(pristine, trial)
    process = _spawn(SYNC_WORKER, f"sqlite:///{trial}", str(big))
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    began = time.perf_counter()
    assert process.stdout.readline().strip() == "writing"
    writing = time.perf_counter()
    assert process.stdout.readline().startswith("synced")
    writing = time.perf_counter() - writing
    duration = time.perf_counter() - began
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    rng = random.Random(seed)
    inside = 0
    for run in range(kills):
        database = tmp_path / f"run{run}.db"
        shutil.copy(pristine, database)
        url = f"sqlite:///{database}"
        # Every other kill is aimed at the write transaction: after its first INSERT.
        aimed = run % 2 == 0
        printed = _kill_after_ready(
            _spawn(SYNC_WORKER, url, str(big)),
            rng.uniform(0.0, 0.8 * writing if aimed else 1.2 * duration),
            may_finish=True,
            after="writing" if aimed else "ready",
        )
        committed = any(line == "synced" for line in printed)
        col = _assert_consistent(url, database)
        try:
            with col.engine.connect() as conn:
                cards = conn.exec_driver_sql("SELECT count(*) FROM cards").scalar()
                states = conn.exec_driver_sql("SELECT count(*) FROM card_states").scalar()
            assert cards in (50, 4000), f"run {run}: a half-applied sync left {cards} cards"
            if committed:
                assert cards == 4000, f"run {run}: a sync reported done was lost"
            assert states == cards
            assert len(col.history()) == 5
        finally:
            col.close()
        if "writing" in printed and cards == 50:
            inside += 1
    assert inside, "no kill landed inside the sync's write transaction"


@pytest.mark.slow
def test_sync_killed_midway_is_all_or_nothing(tmp_path: Path) -> None:
    _sync_is_all_or_nothing(tmp_path, kills=slow_size(3, 20), seed=3)
