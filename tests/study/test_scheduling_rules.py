"""The trainer's rules around fsrs for one answer: lapses and leeches, the review count, the last
review, an answer ending a bury, the fuzz spread per learner, card and review, and a card's
state handed to fsrs as fsrs itself would hold it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fsrs import Card as FsrsCard
from fsrs import Rating, State

from tests.conftest import NOW
from tests.study.test_scheduling import write_deck
from trainer import Collection
from trainer.decks.deckfile import load_decks
from trainer.model import CardState, Memory
from trainer.settings import Settings
from trainer.storage.paths import bundled_decks
from trainer.study import scheduling
from trainer.study.scheduling import fsrs_card_id

FUZZED = Settings().updated(enable_fuzzing=True)


def in_review(**changes: object) -> Memory:
    """A card in review, last seen 30 days ago with a 30-day stability, due now."""
    memory = Memory(
        state=CardState.REVIEW,
        stability=30.0,
        difficulty=5.0,
        due=NOW,
        last_review=NOW - timedelta(days=30),
        reps=6,
    )
    return replace(memory, **changes)  # type: ignore[arg-type]


def answer(memory: Memory, rating: Rating, settings: Settings = FUZZED) -> Memory:
    return scheduling.review(settings, memory, rating, NOW, card_id="card", learner_id=1)


@pytest.mark.parametrize(
    "before",
    [
        Memory(),
        Memory(state=CardState.LEARNING, step=0, stability=1.0, difficulty=5.0, due=NOW, last_review=NOW),
        in_review(state=CardState.RELEARNING, step=0, lapses=1),
    ],
    ids=["new", "learning", "relearning"],
)
def test_again_is_a_lapse_only_for_a_card_in_review(before: Memory) -> None:
    assert answer(before, Rating.Again).lapses == before.lapses
    assert answer(in_review(lapses=2), Rating.Again).lapses == 3


def test_a_card_becomes_a_leech_at_the_lapse_that_reaches_the_threshold() -> None:
    settings = FUZZED.updated(leech_threshold=3)
    assert not answer(in_review(lapses=0), Rating.Again, settings).leech
    assert not answer(in_review(lapses=1), Rating.Again, settings).leech
    assert answer(in_review(lapses=2), Rating.Again, settings).leech
    # Lapses already at a threshold lowered since make a leech at the next lapse, not at a pass.
    assert not answer(in_review(lapses=5), Rating.Good, settings).leech


@pytest.mark.parametrize("rating", list(Rating))
def test_an_answer_counts_one_review_and_is_the_last_review(rating: Rating) -> None:
    for before in (Memory(), in_review()):
        after = answer(before, rating)
        assert after.reps == before.reps + 1
        assert after.last_review == NOW
        # Just answered: fsrs predicts certain recall.
        assert scheduling.retrievability(FUZZED, after, NOW) == 1.0


def test_an_answer_ends_a_bury() -> None:
    buried = in_review(buried_until=NOW + timedelta(hours=5))
    assert answer(buried, Rating.Again).buried_until is None


def _spread(dues: list[datetime | None]) -> int:
    return len(set(dues))


def test_fuzz_differs_between_learners_cards_and_reviews_of_the_same_memory() -> None:
    memory = in_review(stability=60.0, last_review=NOW - timedelta(days=60))

    def due(learner: int, card: str, reps: int, settings: Settings = FUZZED) -> datetime | None:
        before = replace(memory, reps=reps)
        return scheduling.review(settings, before, Rating.Good, NOW, card_id=card, learner_id=learner).due

    assert _spread([due(1, f"card-{i}", 6) for i in range(30)]) >= 5
    assert _spread([due(learner, "card", 6) for learner in range(1, 31)]) >= 5
    assert _spread([due(1, "card", reps) for reps in range(30)]) >= 5
    # Without fuzz, every one of them gets fsrs's own interval.
    plain = FUZZED.updated(enable_fuzzing=False)
    assert _spread([due(learner, f"card-{learner}", learner, plain) for learner in range(1, 31)]) == 1


def test_the_fuzz_of_an_answer_is_the_same_in_every_process() -> None:
    """A preview and its answer can be computed by different server processes (each with its own
    string hashing): the interval drawn must not depend on the process."""
    code = (
        "from tests.study.test_scheduling_rules import answer, in_review;"
        "from fsrs import Rating;"
        "print(answer(in_review(stability=60.0), Rating.Good).due.isoformat())"
    )
    drawn = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert drawn == {answer(in_review(stability=60.0), Rating.Good).due.isoformat() + "\n"}


def test_fsrs_card_ids_are_exact_in_json_read_by_javascript() -> None:
    """fsrs's own card ids are epoch milliseconds; ours stay below 2**53 as well, so a card's
    `to_json()` read by a browser keeps its id."""
    ids = [fsrs_card_id(card.id) for card in load_decks([bundled_decks()]).cards]
    assert len(ids) > 500 and len(set(ids)) == len(ids)
    assert max(ids) < 2**53 and min(ids) > 0


def test_a_cards_fsrs_state_is_what_fsrs_holds_for_it(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(db_url)
    col.sync_decks([write_deck(tmp_path / "d", 2)], now=NOW)
    col.configure(new_per_day=10)
    fresh = FsrsCard(card_id=fsrs_card_id("many-0"), state=State.Learning, step=0, due=NOW)
    assert col.fsrs_card("many-0", NOW).to_dict() == fresh.to_dict()
    col.answer("many-1", Rating.Easy, NOW)
    saved = col.card("many-1").memory
    later = col.fsrs_card("many-1", NOW + timedelta(days=1))
    assert (later.due, later.last_review, later.state) == (saved.due, NOW, State.Review)


def test_each_card_has_its_own_fsrs_card_id_the_same_in_every_collection_and_after_answers(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    first = open_collection(db_url)
    first.sync_decks([write_deck(tmp_path / "d", 3)], now=NOW)
    second = open_collection(db_url)
    ids = [first.fsrs_card(f"many-{i}", NOW).card_id for i in range(3)]
    assert len(set(ids)) == 3 and all(card_id > 0 for card_id in ids)
    assert [second.fsrs_card(f"many-{i}", NOW + timedelta(days=9)).card_id for i in range(3)] == ids
    first.answer("many-0", Rating.Good, NOW)
    assert first.fsrs_card("many-0", NOW).card_id == ids[0]
