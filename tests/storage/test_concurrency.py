"""Many writers on one SQLite file: no "database is locked", no lost answer, clear conflicts."""

from __future__ import annotations

import fcntl
import functools
import multiprocessing
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

from tests.conftest import NOW, slow_size
from trainer import Collection, Conflict, Rating
from trainer.check import check_database
from trainer.storage.database import driver_transaction, write_transaction, writer_lock_path

WRITERS = 16


def write_deck(folder: Path, cards: int, slug: str = "load") -> Path:
    """A valid deck folder with `cards` fact cards (and its concepts file)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "concepts.yaml").write_text(
        yaml.safe_dump({"concepts": [{"id": "class-imbalance", "description": "Rare positives."}]})
    )
    deck = {
        "deck": slug,
        "title": slug.title(),
        "description": "Generated for reliability tests.",
        "cards": [
            {
                "id": f"{slug}-{i:05d}",
                "kind": "fact",
                "prompt": f"Question {i}?",
                "answer": f"Answer {i}.",
                "concepts": ["class-imbalance"],
            }
            for i in range(cards)
        ],
    }
    (folder / f"{slug}.yaml").write_text(yaml.safe_dump(deck, sort_keys=False))
    return folder


def _writer(url: str, index: int, seconds: float, acked: list[str], errors: list[BaseException]) -> None:
    """Answer this writer's own four cards as fast as possible for `seconds`."""
    try:
        with Collection.open(url) as col:
            cards = [f"load-{index * 4 + k:05d}" for k in range(4)]
            deadline = time.monotonic() + seconds
            i = 0
            while time.monotonic() < deadline:
                request_id = f"w{index}-{i}"
                moment = NOW + timedelta(minutes=i)
                col.answer(cards[i % 4], Rating(1 + i % 4), now=moment, request_id=request_id)
                acked.append(request_id)
                i += 1
    except BaseException as exc:
        errors.append(exc)


def _run_writers(url: str, seconds: float) -> tuple[list[str], list[BaseException]]:
    acked: list[str] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_writer, args=(url, i, seconds, acked, errors)) for i in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return acked, errors


def _writers_lose_nothing(
    url: str, tmp_path: Path, open_collection: Callable[..., Collection], seconds: float
) -> None:
    col = open_collection(url)
    col.sync_decks([write_deck(tmp_path / "decks", WRITERS * 4)], now=NOW)
    acked, errors = _run_writers(url, seconds)
    assert errors == [], errors[:3]
    with col.engine.connect() as conn:
        stored = set(conn.exec_driver_sql("SELECT request_id FROM review_logs").scalars())
    assert set(acked) <= stored, "an acknowledged answer is missing"
    assert len(stored) == len(acked)
    assert len(acked) > WRITERS * 5, f"only {len(acked)} answers in {seconds}s"
    report = check_database(col.engine)
    assert report.ok, [str(p) for p in report.problems[:5]]


@pytest.mark.slow
def test_sixteen_writers_lose_nothing(
    sqlite_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    _writers_lose_nothing(sqlite_url, tmp_path, open_collection, seconds=slow_size(4, 30))


def test_two_tabs_answering_the_same_card(db_url: str, decks_dir: Path, open_collection) -> None:
    first_tab = open_collection(db_url)
    first_tab.sync_decks([decks_dir], now=NOW)
    second_tab = open_collection(db_url)
    shown_first = first_tab.next_card(now=NOW)
    shown_second = second_tab.next_card(now=NOW)
    assert shown_first is not None and shown_second is not None
    assert shown_first.id == shown_second.id
    first_tab.answer(shown_first.id, Rating.Good, now=NOW, expected_reps=shown_first.memory.reps)
    with pytest.raises(Conflict):
        second_tab.answer(shown_second.id, Rating.Easy, now=NOW, expected_reps=shown_second.memory.reps)
    assert [entry.rating for entry in first_tab.history(shown_first.id)] == [Rating.Good]


def test_two_tabs_racing_get_one_review_and_one_conflict(
    sqlite_url: str, decks_dir: Path, open_collection: Callable[..., Collection]
) -> None:
    tabs = [open_collection(sqlite_url) for _ in range(2)]
    tabs[0].sync_decks([decks_dir], now=NOW)
    card = tabs[0].next_card(now=NOW)
    assert card is not None
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(tab: Collection) -> None:
        start.wait()
        try:
            tab.answer(card.id, Rating.Good, now=NOW, expected_reps=card.memory.reps)
            outcomes.append("answered")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=submit, args=(tab,)) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["answered", "conflict"]
    assert len(tabs[0].history(card.id)) == 1


def _process_writer(url: str, index: int, seconds: float, results: Any) -> None:
    acked: list[str] = []
    errors: list[BaseException] = []
    _writer(url, index, seconds, acked, errors)
    results.put((acked, [repr(e) for e in errors]))


def test_writer_processes_queue_on_the_lock_file_and_lose_nothing(
    sqlite_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    """Four processes answering at once: every answer stored, none refused as locked."""
    col = open_collection(sqlite_url)
    col.sync_decks([write_deck(tmp_path / "decks", WRITERS * 4)], now=NOW)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [
        context.Process(target=_process_writer, args=(sqlite_url, i, 3.0, results)) for i in range(4)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    acked = [request for done, _ in outcomes for request in done]
    assert [error for _, errors in outcomes for error in errors] == []
    with col.engine.connect() as conn:
        stored = set(conn.exec_driver_sql("SELECT request_id FROM review_logs").scalars())
    assert stored == set(acked)
    assert all(len(done) > 10 for done, _ in outcomes), [len(done) for done, _ in outcomes]


@pytest.mark.parametrize(
    "transaction",
    [write_transaction, functools.partial(driver_transaction, write=True)],
    ids=["sqlalchemy", "driver"],
)
def test_a_write_transaction_holds_the_lock_file_against_other_processes(
    sqlite_url: str, open_collection: Callable[..., Collection], transaction: Callable[[Engine], Any]
) -> None:
    col = open_collection(sqlite_url)
    path = writer_lock_path(col.engine)
    assert path is not None
    with open(path, "a+b") as other:  # another open file description, as another process has
        with transaction(col.engine), pytest.raises(BlockingIOError):
            fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(other.fileno(), fcntl.LOCK_UN)


def test_a_driver_read_transaction_leaves_the_lock_file_free(
    sqlite_url: str, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(sqlite_url)
    path = writer_lock_path(col.engine)
    assert path is not None
    with open(path, "a+b") as other, driver_transaction(col.engine, write=False):
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(other.fileno(), fcntl.LOCK_UN)
