"""Time the learner statistics on SQLite files: the whole Stats page (its HTML with every chart
in it, through the Flask app) beside Anki's own statistics (`graphs`, in-process) on a
collection of the same size built in the same run, printing the ratio; every Stats-page
function on its own; and the per-domain report over a 1,000,000-row log.

The synthetic histories are realistic in shape: each card's reviews form a chain (every row's
`before` memory is the previous row's `after`, full JSON as the collection writes it), a fifth
of the cards are 4-point drills whose answers tick rubric points, and cards name one or two of
eight concepts. The 1M-row log is timed twice: spread over two years, and all inside the
report's 30-day retention window (the worst case). Rows are inserted oldest first, as a learner
writes them. Medians of several runs are printed.

    python benchmarks/bench_stats.py            # 10k cards / 100k rows, then 100k cards / 1M rows
    python benchmarks/bench_stats.py --quick    # 2k cards / 20k rows, then 20k cards / 200k rows
    python benchmarks/bench_stats.py --ratio-only   # the pages beside Anki's statistics only
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from trainer import Collection
from trainer.decks.deckfile import Deck, DeckSet
from trainer.decks.sync import apply_decks
from trainer.insights import charts as chart_module
from trainer.insights.calibration import calibration_report
from trainer.insights.drills import knowing_and_framing
from trainer.insights.readiness import readiness
from trainer.insights.summary import export_review_log, stats_summary
from trainer.insights.tallies import ensure_tallies
from trainer.insights.weakness import gap_attribution, missed_points
from trainer.model import Card, CardKind
from trainer.storage.database import write_transaction

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DOMAINS = 10
CONCEPTS = [f"concept-{k}" for k in range(8)]
POINTS = ("Prices errors", "States latency", "Names a baseline", "Plans monitoring")
DOMAIN_TARGET_MS = 500.0
ANKI_RATIO_TARGET = 10.0
PAGES = {
    "stats page": "/stats",
    "today page": "/",
    "stats API domains": "/api/stats/domains",
    "stats API weakness": "/api/stats/weakness",
    "stats API readiness": "/api/stats/readiness",
}
FMT = "%Y-%m-%d %H:%M:%S.%f"


def _cards(count: int) -> DeckSet:
    """`count` cards over DOMAINS decks: every fifth a 4-point drill, one or two concepts each."""
    decks = []
    for d in range(DOMAINS):
        cards = []
        for i in range(d, count, DOMAINS):
            concepts = tuple(sorted({CONCEPTS[i % 8], CONCEPTS[(i * 7 + d) % 8]}))
            drill = i % 5 == 0
            cards.append(
                Card(
                    id=f"d{d}-{i}",
                    deck=f"d{d}",
                    kind=CardKind.DRILL if drill else CardKind.FACT,
                    prompt=f"Q{i}?",
                    answer=f"A{i}.",
                    points=POINTS if drill else (),
                    concepts=concepts,
                )
            )
        decks.append(Deck(f"d{d}", f"Domain {d}", "", f"d{d}.yaml", tuple(cards)))
    return DeckSet(tuple(decks), {c: c for c in CONCEPTS})


def _memory(state: int, stability: float | None, difficulty: float | None, last: str | None) -> str:
    return json.dumps(
        {
            "state": state,
            "step": None,
            "stability": stability,
            "difficulty": difficulty,
            "due": last,
            "last_review": last,
            "reps": 3,
            "lapses": 0,
            "suspended": False,
            "buried_until": None,
            "leech": False,
        }
    )


def build(path: Path, cards: int, reviews: int, span_days: float, seed: int = 5) -> None:
    """A collection of `cards` cards and `reviews` chained log rows over `span_days` before NOW."""
    col = Collection.open(f"sqlite:///{path}")
    try:
        with write_transaction(col.engine) as conn:
            apply_decks(conn, _cards(cards), NOW)
    finally:
        col.close()
    rng = np.random.default_rng(seed)
    card_index = np.sort(rng.integers(0, cards, reviews))
    offsets = rng.uniform(0, span_days * 86400, reviews)
    order = np.lexsort((-offsets, card_index))
    card_index, offsets = card_index[order], offsets[order]
    ratings = rng.choice([1, 2, 3, 4], reviews, p=[0.12, 0.1, 0.7, 0.08])
    stabilities = rng.lognormal(2.0, 1.0, reviews)
    difficulties = rng.uniform(1, 10, reviews)
    ticks = rng.random((reviews, 4)) < 0.7
    ids = [f"d{i % DOMAINS}-{i}" for i in range(cards)]
    rows = []
    last_card, previous = -1, (0, None, None, None)
    for k in range(reviews):
        card = int(card_index[k])
        if card != last_card:
            last_card, previous = card, (0, None, None, None)
        when = NOW - timedelta(seconds=float(offsets[k]))
        after = (2, float(stabilities[k]), float(difficulties[k]), when.isoformat())
        drill = card % 5 == 0
        rows.append(
            (
                ids[card],
                int(ratings[k]),
                when.strftime(FMT),
                4000,
                previous[0],
                2,
                _memory(*previous),
                _memory(*after),
                json.dumps(np.flatnonzero(ticks[k]).tolist()) if drill else None,
                4 if drill else None,
            )
        )
        previous = after
    rows.sort(key=lambda row: row[2])
    db = sqlite3.connect(path)
    db.executemany(
        "INSERT INTO review_logs (learner_id, card_id, rating, reviewed_at, duration_ms, state_before,"
        " state_after, before, after, points_ticked, points_total) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.execute(
        "UPDATE card_states SET state=2, queue=2, reps=3, step=NULL,"
        " stability=json_extract(l.after, '$.stability'), difficulty=json_extract(l.after, '$.difficulty'),"
        " last_review=l.reviewed_at, due=l.reviewed_at"
        " FROM (SELECT card_id, after, max(reviewed_at) AS reviewed_at FROM review_logs GROUP BY card_id) l"
        " WHERE card_states.learner_id = 1 AND card_states.card_id = l.card_id"
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()
    col = Collection.open(f"sqlite:///{path}")
    try:
        ensure_tallies(col, NOW)
    finally:
        col.close()


def timed(call: Callable[[], Any], runs: int) -> dict[str, float]:
    """Median, min and max milliseconds of `runs` calls after one warm-up call."""
    call()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return {"median": statistics.median(timings), "min": min(timings), "max": max(timings)}


def page_functions(col: Collection, folder: Path) -> dict[str, Callable[[], Any]]:
    """Everything the Stats page, its charts, the stats API and the CSV download compute."""
    return {
        "domain_report": lambda: col.domain_stats(NOW),
        "gap_attribution": lambda: gap_attribution(col),
        "missed_points": lambda: missed_points(col, limit=10),
        "calibration_report": lambda: calibration_report(col),
        "readiness": lambda: readiness(col, NOW),
        "knowing_and_framing": lambda: knowing_and_framing(col),
        "stats_summary": lambda: stats_summary(col, NOW),
        "chart calendar": lambda: chart_module.review_calendar(col, NOW),
        "chart forecast": lambda: chart_module.due_forecast(col, NOW),
        "chart retention": lambda: chart_module.retention_by_domain(col, NOW),
        "chart concepts": lambda: chart_module.concept_recall(col, NOW),
        "chart workload": lambda: chart_module.workload_by_retention(col, NOW),
        "export csv": lambda: export_review_log(col, folder / "log.csv"),
    }


def bench_page(cards: int, reviews: int, runs: int) -> dict[str, float]:
    """Median ms of each Stats-page function on `cards` cards and `reviews` log rows (a year)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build(folder / "page.db", cards, reviews, 365.0)
        col = Collection.open(f"sqlite:///{folder / 'page.db'}")
        try:
            col.configure(interview_date=(NOW + timedelta(days=30)).date(), now=NOW)
            results = {}
            for name, call in page_functions(col, folder).items():
                results[name] = timed(call, runs)["median"]
                print(f"  {name:<20} {results[name]:8.0f} ms")
        finally:
            col.close()
    return results


def bench_domain(cards: int, reviews: int, span_days: float, runs: int) -> tuple[float, int]:
    """Median ms of the domain report on a log spread over `span_days`; also the graded count."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "domain.db"
        build(path, cards, reviews, span_days)
        col = Collection.open(f"sqlite:///{path}")
        try:
            result = timed(lambda: col.domain_stats(NOW), runs)
            graded = int(col.domain_stats(NOW)["reviews_30d"].sum())
        finally:
            col.close()
    return result["median"], graded


def build_anki(folder: Path, cards: int, reviews: int, span_days: float, seed: int = 5) -> Any:
    """An Anki collection of `cards` notes (imported from a genanki package, as
    /work/shared/bench/anki_engine_reference.py does) with FSRS on, every card a review card with
    a memory state, and `reviews` review-log rows spread over `span_days`."""
    import genanki
    from anki.collection import Collection as AnkiCollection
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    model = genanki.Model(
        1607392319,
        "Simple",
        fields=[{"name": "Question"}, {"name": "Answer"}],
        templates=[{"name": "Card 1", "qfmt": "{{Question}}", "afmt": "{{FrontSide}}<hr>{{Answer}}"}],
    )
    deck = genanki.Deck(2059400110, "Bench")
    for i in range(cards):
        deck.add_note(genanki.Note(model=model, fields=[f"Q{i}", f"A{i}"], guid=genanki.guid_for("bench", i)))
    package = folder / "bench.apkg"
    genanki.Package(deck).write_to_file(str(package))
    col = AnkiCollection(str(folder / "collection.anki2"))
    col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(package), options=ImportAnkiPackageOptions(with_scheduling=False)
        )
    )
    col.set_config("fsrs", True)
    assert col.db is not None
    card_ids = list(col.find_cards("deck:Bench"))
    col.sched.set_due_date(card_ids, "0-30")
    rng = np.random.default_rng(seed)
    now_ms = int(time.time() * 1000)
    offsets = np.sort(rng.choice(int(span_days * 86400 * 1000), reviews, replace=False))
    ratings = rng.choice([1, 2, 3, 4], reviews, p=[0.12, 0.1, 0.7, 0.08])
    owners = rng.integers(0, len(card_ids), reviews)
    rows = [
        (now_ms - int(offsets[k]), card_ids[int(owners[k])], -1, int(ratings[k]), 10, 5, 0, 4000, 1)
        for k in range(reviews)
    ]
    col.db.executemany(
        "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    stabilities = rng.lognormal(2.0, 1.0, len(card_ids))
    difficulties = rng.uniform(1, 10, len(card_ids))
    col.db.executemany(
        "UPDATE cards SET data = ? WHERE id = ?",
        [
            (json.dumps({"s": round(float(s), 2), "d": round(float(d), 2), "dr": 0.9}), cid)
            for cid, s, d in zip(card_ids, stabilities, difficulties, strict=True)
        ],
    )
    return col


def alternated(first: Callable[[], Any], second: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median milliseconds of `first` and of `second` over `runs` calls each, after one warm-up
    call of each, the two called in turn so that other work on the machine weighs on both alike."""
    first()
    second()
    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for call, found in ((first, timings[0]), (second, timings[1])):
            start = time.perf_counter()
            call()
            found.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings[0]), statistics.median(timings[1])


def bench_pages(cards: int, reviews: int, runs: int) -> tuple[dict[str, float], float]:
    """Median ms of each page in PAGES through the Flask app (its test client), on `cards` cards
    and `reviews` log rows over a year, with an interview date set; and the median ms of Anki's
    statistics (`graphs` over the whole collection, a year) on an Anki collection of the same
    size, timed in turn with the Stats page."""
    from web import create_app
    from web.context import EXTENSION

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build(folder / "page.db", cards, reviews, 365.0)
        anki = build_anki(folder, cards, reviews, 365.0)
        app = create_app(
            {"DATABASE_URL": f"sqlite:///{folder / 'page.db'}", "DATA_DIR": str(folder), "CLOCK": lambda: NOW}
        )
        try:
            app.extensions[EXTENSION].configure(interview_date=(NOW + timedelta(days=30)).date(), now=NOW)
            client = app.test_client()
            results: dict[str, float] = {}
            for name, url in PAGES.items():
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

                def fetch(url: str = url) -> bytes:
                    return client.get(url).data

                if url == PAGES["stats page"]:
                    results[name], graphs = alternated(
                        fetch, lambda: anki._backend.graphs(search="", days=365), runs
                    )
                else:
                    results[name] = timed(fetch, runs)["median"]
        finally:
            anki.close()
    return results, graphs


def main(quick: bool = False, ratio_only: bool = False) -> dict[str, Any]:
    """Time the whole Stats page beside Anki's statistics, the other statistics pages and each
    Stats-page function, then the domain report on the large log (both spans); with
    `ratio_only`, the pages and Anki's statistics alone."""
    page_cards, page_reviews = (2_000, 20_000) if quick else (10_000, 100_000)
    big_cards, big_reviews = (20_000, 200_000) if quick else (100_000, 1_000_000)
    runs = 3 if quick else 7
    print(
        f"Pages through the Flask app, {page_cards} cards, {page_reviews} log rows over a year (median ms):"
    )
    pages, anki = bench_pages(page_cards, page_reviews, runs)
    for name, ms in pages.items():
        print(f"  {name:<22} {ms:8.1f} ms")
    ratio = pages["stats page"] / anki
    verdict = "PASS" if ratio <= ANKI_RATIO_TARGET else "FAIL"
    print(
        f"Anki's statistics (graphs, a year, timed in turn with the Stats page) on {page_cards} cards"
        f" / {page_reviews} review-log rows: "
        f"median {anki:.1f} ms; Stats page with every chart / Anki = {ratio:.2f} "
        f"(target <= {ANKI_RATIO_TARGET:g}: {verdict})"
    )
    figures: dict[str, Any] = {f"{name} ms": round(ms, 1) for name, ms in pages.items()}
    figures["anki graphs ms"] = round(anki, 1)
    figures["stats page / anki graphs"] = round(ratio, 2)
    targets: dict[str, str] = {"stats page / anki graphs": f"<= {ANKI_RATIO_TARGET:g}"}
    if ratio_only:
        figures["targets"] = targets
        return figures
    print("Stats page functions on their own (median ms):")
    page = bench_page(page_cards, page_reviews, runs)
    figures.update({f"function {name} ms": round(ms, 1) for name, ms in page.items()})
    for span in (730.0, 30.0):
        median, graded = bench_domain(big_cards, big_reviews, span, runs)
        verdict = "PASS" if median <= DOMAIN_TARGET_MS else "FAIL"
        print(
            f"domain report, {big_cards} cards, {big_reviews} rows over {span:g} days "
            f"({graded} graded in the 30-day window): median {median:.0f} ms "
            f"(target <= {DOMAIN_TARGET_MS:.0f} ms: {verdict})"
        )
        key = f"domain report {big_reviews} rows over {span:g} days ms"
        figures[key] = round(median, 1)
        targets[key] = f"<= {DOMAIN_TARGET_MS:.0f}"
    figures["targets"] = targets
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Reduced sizes.")
    parser.add_argument("--ratio-only", action="store_true", help="The pages beside Anki's statistics only.")
    arguments = parser.parse_args()
    main(quick=arguments.quick, ratio_only=arguments.ratio_only)
