"""Time the per-domain report over a 1,000,000-row review log on a SQLite file.

The synthetic reviews are spread evenly over `--span-days` days before now (730 by default: a
heavy learner's two years); `--span-days 30` puts the whole log inside the report's 30-day
retention window, the worst case. Prints the median of several runs against the 500 ms target.

    python benchmarks/bench_stats.py [--cards 100000] [--reviews 1000000] [--span-days 730]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from trainer import Collection

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DOMAINS = 10
TARGET_MS = 500.0


def write_decks(folder: Path, cards: int) -> Path:
    """Deck files with `cards` fact cards spread over DOMAINS decks."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "concepts.yaml").write_text("concepts:\n  - id: recall\n    description: Recall.\n")
    per_deck = cards // DOMAINS
    for d in range(DOMAINS):
        lines = [f"deck: d{d}", f"title: Domain {d}", "cards:"]
        for i in range(per_deck):
            lines += [
                f"  - id: d{d}-{i}",
                "    kind: fact",
                f"    prompt: Q{i}?",
                f"    answer: A{i}.",
                "    concepts: [recall]",
            ]
        (folder / f"d{d}.yaml").write_text("\n".join(lines) + "\n")
    return folder


def fill(db_path: Path, cards: int, reviews: int, span_days: float, rng: np.random.Generator) -> None:
    """Give every card a review state and insert `reviews` log rows in bulk."""
    conn = sqlite3.connect(db_path)
    ids = [f"d{d}-{i}" for d in range(DOMAINS) for i in range(cards // DOMAINS)]
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    stability = rng.lognormal(2.0, 1.0, len(ids))
    difficulty = rng.uniform(1, 10, len(ids))
    last = [(NOW - timedelta(days=float(x))).strftime(fmt) for x in rng.uniform(0, 30, len(ids))]
    due = [(NOW + timedelta(days=float(x))).strftime(fmt) for x in rng.uniform(-5, 30, len(ids))]
    conn.executemany(
        "UPDATE card_states SET state=2, queue=2, stability=?, difficulty=?, last_review=?, due=?, reps=3"
        " WHERE learner_id=1 AND card_id=?",
        zip(stability.tolist(), difficulty.tolist(), last, due, ids, strict=True),
    )
    card_index = rng.integers(0, len(ids), reviews)
    ratings = rng.choice([1, 2, 3, 4], reviews, p=[0.12, 0.1, 0.7, 0.08])
    states = rng.choice([1, 2, 3], reviews, p=[0.15, 0.8, 0.05])
    offsets = np.sort(rng.uniform(0, span_days * 86400, reviews))
    memory = json.dumps({"state": 2})
    rows = (
        (
            ids[card_index[k]],
            int(ratings[k]),
            (NOW - timedelta(seconds=float(offsets[k]))).strftime(fmt),
            int(states[k]),
        )
        for k in range(reviews)
    )
    conn.executemany(
        "INSERT INTO review_logs (learner_id, card_id, rating, reviewed_at, state_before, state_after,"
        f" before, after) VALUES (1, ?, ?, ?, ?, 2, '{memory}', '{memory}')",
        rows,
    )
    conn.commit()
    conn.close()


def main() -> None:
    """Build the database, then time `Collection.domain_stats` several times."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--span-days", type=float, default=730.0)
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db_path = folder / "bench.db"
        col = Collection.open(f"sqlite:///{db_path}")
        col.sync_decks([write_decks(folder / "decks", args.cards)], now=NOW)
        col.close()
        fill(db_path, args.cards, args.reviews, args.span_days, rng)
        col = Collection.open(f"sqlite:///{db_path}")
        try:
            report = col.domain_stats(NOW)
            timings = []
            for _ in range(args.runs):
                start = time.perf_counter()
                report = col.domain_stats(NOW)
                timings.append((time.perf_counter() - start) * 1000)
        finally:
            col.close()
    median = statistics.median(timings)
    print(f"cards={args.cards} review_log_rows={args.reviews} over {args.span_days:g} days")
    print(f"domains={len(report)}")
    print(f"reviews counted in the 30-day window: {int(report['reviews_30d'].sum())} graded")
    print(f"domain report: median {median:.0f} ms, min {min(timings):.0f} ms, max {max(timings):.0f} ms")
    verdict = "PASS" if median <= TARGET_MS else "FAIL"
    print(f"target <= {TARGET_MS:.0f} ms: ratio {median / TARGET_MS:.2f} ({verdict})")


if __name__ == "__main__":
    main()
