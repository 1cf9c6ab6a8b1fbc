"""Knowing beside framing gives exactly what a plain reading of every drill answer gives.

The reference below reads the whole review log row by row (every column, the JSON parsed by the
column type) with the cards as they are now, and counts in plain Python: obviously right, and
slow at scale. The history is varied on purpose: three domains, drills with variants that share
or replace the base rubric and red flags, red flags raised, answers without a rubric, undos, a
rubric that later shrinks in one variant (its earlier answers no longer count as habits), a time
target that changes, and a history imported from elsewhere.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select

from tests.conftest import NOW
from trainer import Collection, DrillAnswer, Rating
from trainer.insights.drills import COLUMNS, Habit, KnowingAndFraming, knowing_and_framing
from trainer.insights.tallies import ensure_tallies
from trainer.model import CardKind, CardState
from trainer.storage import store
from trainer.storage.database import read_transaction
from trainer.study.drills import shown_text

DOMAINS = ("ds", "ml", "sys")
POINTS = ["Prices errors", "States latency", "Names a baseline", "Plans monitoring"]
FLAGS = ["Leads with accuracy", "Ignores the base rate"]


def _drill(card_id: str, *, variants: bool, shrink: bool, target: int | None) -> list[str]:
    lines = [
        f"  - id: {card_id}",
        "    kind: drill",
        "    style: framing",
        "    prompt: Which metric matters?",
        "    answer: Recall at a bounded alert rate.",
        f"    points: [{', '.join(POINTS)}]",
        f"    red_flags: [{', '.join(FLAGS)}]",
        "    concepts: [metrics]",
    ]
    if target is not None:
        lines.append(f"    time_target_s: {target}")
    if variants:
        own = (
            ["Names precision at k", "Ties k to capacity"]
            if shrink
            else ["Names precision at k", *POINTS[1:3]]
        )
        lines += [
            "    variants:",
            "      - prompt: One nurse per 30 beds. Which metric now?",
            "        answer: Precision at the top.",
            f"        points: [{', '.join(own)}]",
            f"        red_flags: [Ignores capacity, {FLAGS[0]}]",
            "      - prompt: A missed case costs a life. Which metric?",
            "        answer: Recall, with the alert rate watched.",
        ]
    return lines


def _write_decks(folder: Path, *, shrink: bool = False, imported: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "concepts.yaml").write_text("concepts:\n  - id: metrics\n    description: Metrics.\n")
    slugs = [*DOMAINS, "hist"] if imported else list(DOMAINS)
    for slug in slugs:
        lines = [f"deck: {slug}", f"title: {slug.upper()}", "cards:"]
        for i in range(5):
            lines += [
                f"  - id: {slug}-fact-{i}",
                "    kind: fact",
                f"    prompt: Question {i}?",
                f"    answer: Answer {i}.",
                "    concepts: [metrics]",
            ]
        lines += _drill(f"{slug}-drill-0", variants=True, shrink=shrink and slug == "ml", target=None)
        target = (90 if shrink else 30) if slug == "sys" else None
        lines += _drill(f"{slug}-drill-1", variants=False, shrink=False, target=target)
        (folder / f"{slug}.yaml").write_text("\n".join(lines) + "\n")
    return folder


def _drill_answer(card: Any, rng: random.Random, skill: float) -> DrillAnswer:
    text = shown_text(card.card, card.memory.reps)
    if rng.random() < 0.08:
        return DrillAnswer.of(typed_answer="An answer typed without the rubric.")
    ticked = [i for i in range(len(text.points)) if rng.random() < skill]
    flags = [i for i in range(len(text.red_flags)) if rng.random() < 0.35]
    return DrillAnswer.of(ticked, flags_raised=flags)


@pytest.fixture
def framing_history(db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]) -> Collection:
    """Forty days of fact and drill answers with a seeded mix of ratings, ticks, red flags and
    undos, tallied as they are given (the tallies are built before the first answer); a rubric
    shrinks and a time target changes on day 20, a history is imported on day 30."""
    col = open_collection(db_url)
    folder = tmp_path / "decks"
    col.sync_decks([_write_decks(folder)], now=NOW - timedelta(days=41))
    col.configure(new_per_day=8, reviews_per_day=500, enable_fuzzing=False)
    ensure_tallies(col, NOW - timedelta(days=41))
    rng = random.Random(7)
    skill = {"ds": 0.8, "ml": 0.3, "sys": 0.55, "hist": 0.5}
    for day in range(40):
        moment = NOW - timedelta(days=40 - day, hours=rng.randint(0, 12))
        for _ in range(rng.randint(6, 14)):
            card = col.next_card(now=moment)
            if card is None:
                break
            drill = (
                _drill_answer(card, rng, skill[card.card.deck]) if card.card.kind == CardKind.DRILL else None
            )
            rating = rng.choice([Rating.Again, Rating.Hard, Rating.Good, Rating.Good, Rating.Easy])
            col.answer(card.id, rating, now=moment, duration_ms=rng.randint(5_000, 120_000), drill=drill)
            if rng.random() < 0.07:
                col.undo()
            moment += timedelta(seconds=rng.randint(5, 900))
        if day == 20:
            col.sync_decks([_write_decks(folder, shrink=True)], now=moment)
        if day == 30:
            col.sync_decks([_write_decks(folder, shrink=True, imported=True)], now=moment)
            reviews = [
                (f"hist-{kind}", rng.choice([1, 3, 3, 4]), moment - timedelta(days=60 - 3 * n), 8_000)
                for kind in ("fact-0", "fact-1", "drill-0")
                for n in range(8)
            ]
            col.import_history(reviews)
    return col


def _answers(col: Collection) -> list[Any]:
    logs, cards = store.logs, store.cards
    query = (
        select(logs, cards.c.deck, cards.c.kind, cards.c.time_target_s)
        .join(cards, cards.c.id == logs.c.card_id)
        .where(logs.c.learner_id == col.learner_id)
        .order_by(logs.c.id)
    )
    with read_transaction(col.engine) as conn:
        return list(conn.execute(query).all())


def reference_report(col: Collection, rows: list[Any]) -> pd.DataFrame:
    records = []
    for deck in col.decks():
        recall = [
            r
            for r in rows
            if r.deck == deck.slug and r.kind != "drill" and r.state_before == CardState.REVIEW
        ]
        drills = [r for r in rows if r.deck == deck.slug and r.points_total is not None]
        ratios = [
            None if r.duration_ms is None else r.duration_ms / 1000 / (r.time_target_s or 240) for r in drills
        ]
        timed = [ratio for ratio in ratios if ratio is not None]
        records.append(
            (
                deck.slug,
                len(recall),
                sum(r.rating != Rating.Again for r in recall) / len(recall) if recall else math.nan,
                len(drills),
                statistics.fmean(len(r.points_ticked or []) / r.points_total for r in drills)
                if drills
                else math.nan,
                statistics.fmean(bool(r.flags_raised) for r in drills) if drills else math.nan,
                statistics.median(timed) if timed else math.nan,
                statistics.fmean(ratio is not None and ratio > 1.5 for ratio in ratios)
                if drills
                else math.nan,
            )
        )
    return pd.DataFrame(records, columns=COLUMNS)


def reference_gaps(report: pd.DataFrame) -> list[tuple[str, float, float]]:
    gaps = [
        (row.recall_rate - row.core_coverage, row.domain, row.recall_rate, row.core_coverage)
        for row in report.itertuples()
        if row.recall_reviews >= 10 and row.drill_answers >= 10 and row.recall_rate - row.core_coverage >= 0.2
    ]
    return [
        (domain, recall, coverage)
        for _gap, domain, recall, coverage in sorted(gaps, key=lambda g: (-g[0], g[1]))
    ]


def reference_habits(col: Collection, rows: list[Any], limit: int = 10) -> tuple[list[Habit], list[Habit]]:
    """Every answer whose variant still has a rubric of the length it was graded against counts
    once for each text it showed; a text shown in several variants is one habit."""
    cards = {card.id: card for card in col.card_contents(kind=CardKind.DRILL)}
    found: dict[tuple[str, str, str], list[Any]] = {}
    for row in rows:
        if row.points_total is None:
            continue
        card, variant = cards.get(row.card_id), row.variant or 0
        if card is None or not 0 <= variant < card.variant_count:
            continue
        text = card.drill_text(variant)
        if len(text.points) != row.points_total:
            continue
        marks = (
            ("points", text.points, set(row.points_ticked or [])),
            ("flags", text.red_flags, set(row.flags_raised or [])),
        )
        for what, texts, chosen in marks:
            for index, words in enumerate(texts):
                entry = found.setdefault((row.card_id, what, words), [row.deck, set(), 0, 0])
                entry[1].add(variant)
                entry[2] += 1
                entry[3] += (index not in chosen) if what == "points" else (index in chosen)
    habits: dict[str, list[Habit]] = {"points": [], "flags": []}
    for (card_id, what, words), (deck, variants, shown, times) in found.items():
        named = times / shown >= 0.5 if what == "points" else times >= 2
        if shown >= 3 and named:
            habits[what].append(Habit(card_id, deck, tuple(sorted(variants)), words, shown, times))

    def most_often(habit: Habit) -> tuple[float, int, str]:
        return (-habit.times / habit.answers, -habit.times, habit.card_id)

    return sorted(habits["points"], key=most_often)[:limit], sorted(habits["flags"], key=most_often)[:limit]


def assert_same_as_reference(col: Collection, got: KnowingAndFraming) -> None:
    rows = _answers(col)
    expected = reference_report(col, rows)
    pd.testing.assert_frame_equal(got.report, expected, check_dtype=False, check_exact=False, rtol=1e-12)
    gaps = reference_gaps(expected)
    assert [g["domain"] for g in got.gaps] == [domain for domain, _recall, _coverage in gaps]
    rates = [rate for g in got.gaps for rate in (g["recall_rate"], g["core_coverage"])]
    assert rates == pytest.approx([rate for _domain, *pair in gaps for rate in pair], rel=1e-12)
    assert (got.missed, got.flagged) == reference_habits(col, rows)


def test_knowing_and_framing_matches_the_row_by_row_reference(framing_history: Collection) -> None:
    rows = _answers(framing_history)
    drill_rows = [r for r in rows if r.points_total is not None]
    # The history covers what it is meant to: variants, red flags, answers to a rubric since
    # shrunk, answers without a rubric, and the imported history.
    assert len(drill_rows) > 60 and {r.variant for r in drill_rows} == {0, 1, 2}
    assert sum(bool(r.flags_raised) for r in drill_rows) > 10
    assert any(r.card_id == "ml-drill-0" and r.variant == 1 and r.points_total == 3 for r in drill_rows)
    assert any(r.kind == "drill" and r.points_total is None for r in rows)
    assert sum(r.card_id == "hist-fact-0" for r in rows) >= 8
    got = knowing_and_framing(framing_history)
    assert got.gaps and len(got.missed) >= 3 and len(got.flagged) >= 3
    assert any(len(h.variants) > 1 for h in got.flagged)
    assert_same_as_reference(framing_history, got)


def test_undoing_drill_answers_takes_them_out_of_knowing_and_framing(framing_history: Collection) -> None:
    moment = NOW + timedelta(days=1)
    before = knowing_and_framing(framing_history)
    for minute in range(4):
        variant = framing_history.card("ml-drill-0").memory.reps % 3
        flags = [0, 1] if variant != 1 else []
        framing_history.answer(
            "ml-drill-0",
            Rating.Hard,
            now=moment + timedelta(minutes=minute),
            duration_ms=400_000,
            drill=DrillAnswer.of([], flags_raised=flags),
        )
    during = knowing_and_framing(framing_history)
    assert_same_as_reference(framing_history, during)
    assert not during.report.equals(before.report)
    for _ in range(4):
        framing_history.undo()
    after = knowing_and_framing(framing_history)
    assert_same_as_reference(framing_history, after)
    pd.testing.assert_frame_equal(after.report, before.report)
    assert (after.missed, after.flagged) == (before.missed, before.flagged)
