"""Answer + fetch-next, in-process, on a SQLite file: the trainer beside Anki's own engine.

Both collections hold N cards, every one a review card due today; each loop fetches the next
card and answers it Good. Medians and p99 are printed, with the trainer/Anki ratio.

    python benchmarks/bench_review.py            # 100,000 cards, 2,000 answers
    python benchmarks/bench_review.py --quick    # 10,000 cards, 500 answers
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from trainer import Collection, Rating
from trainer.decks.deckfile import Deck, DeckSet
from trainer.decks.sync import apply_decks
from trainer.model import Card, CardKind, CardState, Queue
from trainer.storage.database import write_transaction
from trainer.storage.store import states

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def build_trainer(path: str, n: int) -> Collection:
    """A collection of `n` cards over five decks, all review cards due today."""
    col = Collection.open(f"sqlite:///{path}")
    slugs = ["finance", "healthcare", "ecommerce", "logistics", "cybersecurity"]
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
                for i in range(d, n, len(slugs))
            ),
        )
        for d, slug in enumerate(slugs)
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
    col.close()
    col = Collection.open(f"sqlite:///{path}")
    col.configure(reviews_per_day=99999, new_per_day=0)
    return col


def time_trainer(col: Collection, answers: int) -> tuple[list[float], list[float]]:
    fetch, answer = [], []
    now = NOW
    for _ in range(answers):
        t0 = time.perf_counter()
        card = col.next_card(now)
        t1 = time.perf_counter()
        assert card is not None
        col.answer(card.id, Rating.Good, now, duration_ms=3000)
        t2 = time.perf_counter()
        fetch.append(t1 - t0)
        answer.append(t2 - t1)
    return fetch, answer


def time_anki(workdir: str, n: int, answers: int) -> tuple[list[float], list[float]]:
    import genanki
    from anki.collection import Collection as AnkiCollection
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
    from anki.scheduler.v3 import CardAnswer

    model = genanki.Model(
        1607392319,
        "Simple",
        fields=[{"name": "Question"}, {"name": "Answer"}],
        templates=[{"name": "Card 1", "qfmt": "{{Question}}", "afmt": "{{FrontSide}}<hr>{{Answer}}"}],
    )
    deck = genanki.Deck(2059400110, "Bench")
    for i in range(n):
        deck.add_note(genanki.Note(model=model, fields=[f"Q{i}", f"A{i}"], guid=genanki.guid_for("bench", i)))
    package = os.path.join(workdir, "bench.apkg")
    genanki.Package(deck).write_to_file(package)
    col = AnkiCollection(os.path.join(workdir, "collection.anki2"))
    col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=package, options=ImportAnkiPackageOptions(with_scheduling=False)
        )
    )
    col.set_config("fsrs", True)
    deck_id = col.decks.id("Bench")
    config = col.decks.config_dict_for_deck_id(deck_id)
    config["new"]["perDay"] = 9999
    config["rev"]["perDay"] = 9999
    col.decks.update_config(config)
    col.sched.set_due_date(col.find_cards("deck:Bench"), "0")
    col.decks.select(deck_id)
    fetch, answer = [], []
    for _ in range(answers):
        t0 = time.perf_counter()
        queued = col.sched.get_queued_cards(fetch_limit=1).cards[0]
        t1 = time.perf_counter()
        card = col.get_card(queued.card.id)
        card.start_timer()
        col.sched.answer_card(col.sched.build_answer(card=card, states=queued.states, rating=CardAnswer.GOOD))
        t2 = time.perf_counter()
        fetch.append(t1 - t0)
        answer.append(t2 - t1)
    col.close()
    return fetch, answer


def summarise(fetch: list[float], answer: list[float]) -> dict[str, float]:
    both = [f + a for f, a in zip(fetch, answer, strict=True)]
    return {
        "fetch_median_ms": statistics.median(fetch) * 1e3,
        "answer_median_ms": statistics.median(answer) * 1e3,
        "total_median_ms": statistics.median(both) * 1e3,
        "total_p99_ms": percentile(both, 0.99) * 1e3,
    }


def main(quick: bool = False) -> dict[str, object]:
    """Run both engines on the same machine in this process; return and print the figures."""
    n, answers = (10_000, 500) if quick else (100_000, 2_000)
    workdir = tempfile.mkdtemp(prefix="bench-review-")
    started = time.perf_counter()
    col = build_trainer(os.path.join(workdir, "trainer.db"), n)
    print(f"built trainer collection of {n} cards in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    time_trainer(col, 50)  # warm caches and compiled statements
    trainer = summarise(*time_trainer(col, answers))
    col.close()
    anki = summarise(*time_anki(workdir, n, answers))
    ratio = trainer["total_median_ms"] / anki["total_median_ms"]
    result = {"cards": n, "answers": answers, "trainer": trainer, "anki": anki, "median_ratio": ratio}
    print(f"answer + fetch next, in-process, SQLite file, {n} cards, {answers} answers")
    for name, figures in (("trainer", trainer), ("anki", anki)):
        print(
            f"  {name:8} fetch {figures['fetch_median_ms']:.3f} ms"
            f"  answer {figures['answer_median_ms']:.3f} ms"
            f"  total median {figures['total_median_ms']:.3f} ms  p99 {figures['total_p99_ms']:.3f} ms"
        )
    print(f"  ratio trainer/anki (median): {ratio:.2f}  (target <= 1.0; p99 target <= 5 ms)")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 cards and 500 answers")
    main(parser.parse_args().quick)
