"""Scheduling through Collection matches fsrs exactly; previews equal what is saved."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from tests.conftest import NOW
from trainer import Collection
from trainer.study.scheduling import fsrs_card_id


def write_deck(folder: Path, count: int, slug: str = "many") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "concepts.yaml").write_text("concepts:\n  - id: recall\n    description: Recall.\n")
    lines = [f"deck: {slug}", f"title: {slug.title()}", "cards:"]
    for i in range(count):
        lines += [
            f"  - id: {slug}-{i}",
            "    kind: fact",
            f"    prompt: Question {i}?",
            f"    answer: Answer {i}.",
            "    concepts: [recall]",
        ]
    (folder / f"{slug}.yaml").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture
def many(db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]) -> Collection:
    col = open_collection(db_url)
    col.sync_decks([write_deck(tmp_path / "many", 50)], now=NOW)
    col.configure(new_per_day=9999, reviews_per_day=99999)
    return col


def test_replay_of_1000_answers_matches_fsrs_directly(many: Collection) -> None:
    many.configure(enable_fuzzing=False)
    scheduler = Scheduler(enable_fuzzing=False)
    rng = random.Random(20261128)
    reference: dict[str, FsrsCard] = {}
    now = NOW
    for _ in range(1000):
        card_id = f"many-{rng.randrange(50)}"
        rating = Rating(rng.choice([1, 2, 3, 3, 3, 4]))
        now += timedelta(minutes=rng.choice([1, 5, 30, 600, 1440, 4320, 20000]))
        fsrs_card = reference.get(card_id) or FsrsCard(card_id=fsrs_card_id(card_id), due=now)
        reference[card_id], _ = scheduler.review_card(fsrs_card, rating, now)
        many.answer(card_id, rating, now)
    assert len(reference) == 50
    for card_id, expected in reference.items():
        actual = many.fsrs_card(card_id, now)
        assert actual.to_dict() == expected.to_dict(), card_id
    assert len(many.history()) == 1000


def test_fuzzed_interval_equals_the_previewed_one(many: Collection) -> None:
    rng = random.Random(7)
    now = NOW
    fuzzed_review_intervals = set()
    for _ in range(400):
        card_id = f"many-{rng.randrange(50)}"
        rating = Rating(rng.choice([2, 3, 3, 4]))
        now += timedelta(hours=rng.choice([1, 24, 72, 240]))
        preview = {p.rating: p for p in many.previews(card_id, now)}[rating]
        saved = many.answer(card_id, rating, now)
        assert saved.due == preview.due
        if saved.state == 2 and preview.interval_seconds > 3 * 86400:
            fuzzed_review_intervals.add(round(preview.interval_seconds / 86400))
    assert len(fuzzed_review_intervals) > 5


def test_fuzz_is_deterministic_but_varies_between_cards(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(db_url)
    col.sync_decks([write_deck(tmp_path / "f", 40)], now=NOW)
    col.configure(new_per_day=9999)
    dues = []
    for i in range(40):
        card_id = f"many-{i}"
        col.answer(card_id, Rating.Easy, NOW)
        memory = col.answer(card_id, Rating.Good, NOW + timedelta(days=15))
        assert memory.due is not None
        dues.append(memory.due)
        assert [p.due for p in col.previews(card_id, NOW)] == [p.due for p in col.previews(card_id, NOW)]
    assert len(set(dues)) > 1
