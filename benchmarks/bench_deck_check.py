"""What noticing a change of decks or settings made by another process costs an answer.

Each answer (`answer_and_next`) reads the decks generation and the learner's settings generation
in one statement in its transaction, so that a deck synced, a card saved or a setting changed
through another worker is used at once. Here, in one process and on one collection of N review
cards over five decks, blocks of answers with that read alternate with blocks where it is
replaced by the generations already known (no statement); the medians and their ratio are
printed, with the read alone (inside an open transaction) as a share of an answer.

    python benchmarks/bench_deck_check.py [--quick] [--db URL]   # URL: an empty database
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

import trainer.collection as facade
from trainer import Collection, Rating
from trainer.decks.deckfile import Deck, DeckSet
from trainer.decks.sync import apply_decks
from trainer.model import Card, CardKind, CardState, Queue
from trainer.storage.database import driver_transaction, write_transaction
from trainer.storage.store import states

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SLUGS = ("finance", "healthcare", "ecommerce", "logistics", "cybersecurity")


def build(url: str, n: int) -> Collection:
    """A collection at `url` of `n` fact cards over five decks, every one a review card due now."""
    col = Collection.open(url)
    decks = tuple(
        Deck(
            slug,
            slug.title(),
            "",
            f"{slug}.yaml",
            tuple(
                Card(
                    id=f"{slug}-{i}",
                    deck=slug,
                    kind=CardKind.FACT,
                    prompt=f"Q{i}",
                    answer=f"A{i}",
                    concepts=("recall",),
                )
                for i in range(d, n, len(SLUGS))
            ),
        )
        for d, slug in enumerate(SLUGS)
    )
    with write_transaction(col.engine) as conn:
        apply_decks(conn, DeckSet(decks, {"recall": "Recall."}), NOW)
        conn.execute(
            update(states).values(
                state=int(CardState.REVIEW),
                queue=int(Queue.REVIEW),
                stability=10.0,
                difficulty=5.0,
                due=NOW - timedelta(hours=1),
                last_review=NOW - timedelta(days=10),
                reps=1,
                step=None,
            )
        )
    col.configure(reviews_per_day=99999, new_per_day=0, now=NOW)
    return col


def _answers(col: Collection, count: int, into: list[float]) -> None:
    card = col.next_card(NOW)
    for _ in range(count):
        assert card is not None
        started = time.perf_counter()
        _, card = col.answer_and_next(card.id, Rating.Good, NOW, duration_ms=3000)
        into.append(time.perf_counter() - started)


def main(quick: bool = False, db: str | None = None) -> dict[str, Any]:
    """Time both ways on one collection; print and return the medians and the read's share."""
    n, blocks, block = (5_000, 10, 40) if quick else (50_000, 20, 50)
    real = facade.learner_generations
    known: Callable[[Any, int], tuple[int, int]] = lambda _conn, _learner: (  # noqa: E731
        col._known_decks[0] or 0,
        col._known_settings[0],
    )
    with tempfile.TemporaryDirectory() as folder:
        col = build(db or f"sqlite:///{folder}/trainer.db", n)
        timed: dict[str, list[float]] = {"with": [], "without": []}
        try:
            _answers(col, block, [])  # warm caches and statements
            for turn in range(blocks):
                for way in ("with", "without") if turn % 2 else ("without", "with"):
                    facade.learner_generations = real if way == "with" else known  # type: ignore[assignment]
                    _answers(col, block, timed[way])
            facade.learner_generations = real
            alone = []
            with driver_transaction(col.engine, write=False) as driver:
                for _ in range(2000):
                    started = time.perf_counter()
                    col._deck_order(driver)
                    alone.append(time.perf_counter() - started)
            where = col.engine.dialect.name
        finally:
            facade.learner_generations = real
            col.close()
    with_ms = statistics.median(timed["with"]) * 1e3
    without_ms = statistics.median(timed["without"]) * 1e3
    alone_us = statistics.median(alone) * 1e6
    share = alone_us / 1e3 / without_ms * 100
    print(f"answer_and_next on {where}, {n} cards, {blocks * block} answers each way (median):")
    ratio = with_ms / without_ms
    print(f"  with the generations read {with_ms:.3f} ms, without {without_ms:.3f} ms, ratio {ratio:.3f}")
    print(f"  the read alone, in an open transaction: {alone_us:.1f} us ({share:.2f}% of an answer)")
    return {
        "cards": n,
        "trainer": {"answer_and_next ms": round(with_ms, 3)},
        "without the read": {"answer_and_next ms": round(without_ms, 3)},
        "read alone us": round(alone_us, 1),
        "read share of an answer %": round(share, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 cards, 400 answers each way")
    parser.add_argument("--db", help="an empty database to use instead of a new SQLite file")
    options = parser.parse_args()
    main(options.quick, options.db)
