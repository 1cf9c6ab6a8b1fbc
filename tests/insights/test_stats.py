"""The per-domain report and weakness ranking on synthetic histories with known answers.

The deck writer and answer patterns here are shared by the readiness and chart tests."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from trainer import Collection, Rating
from trainer.insights.stats import COLUMNS, weakest_domains, wilson_interval


def write_decks(
    folder: Path, decks: dict[str, list[tuple[str, list[str]]]], drill: str | None = None
) -> Path:
    """Deck files: per domain, (card id, concepts) fact cards; `drill` adds a 4-point drill there."""
    folder.mkdir(parents=True, exist_ok=True)
    concepts = sorted({c for cards in decks.values() for _, cs in cards for c in cs} | {"recall"})
    lines = ["concepts:"] + [f"  - id: {c}\n    description: {c}." for c in concepts]
    (folder / "concepts.yaml").write_text("\n".join(lines) + "\n")
    for slug, cards in decks.items():
        lines = [f"deck: {slug}", f"title: {slug.title()}", "cards:"]
        for card_id, card_concepts in cards:
            lines += [
                f"  - id: {card_id}",
                "    kind: fact",
                f"    prompt: Question {card_id}?",
                f"    answer: Answer {card_id}.",
                f"    concepts: [{', '.join(card_concepts)}]",
            ]
        if drill == slug:
            lines += [
                f"  - id: {slug}-drill",
                "    kind: drill",
                "    prompt: Design it.",
                "    answer: A design.",
                "    points: [Prices errors, States latency, Names a baseline, Plans monitoring]",
                "    concepts: [recall]",
            ]
        (folder / f"{slug}.yaml").write_text("\n".join(lines) + "\n")
    return folder


def graduate(col: Collection, card_ids: Iterable[str], now: datetime) -> None:
    """Answer each new card Easy, which puts it straight into review."""
    for card_id in card_ids:
        col.answer(card_id, Rating.Easy, now)


def review_days(col: Collection, plan: dict[str, list[bool]], start: datetime) -> datetime:
    """On day k after `start`, answer each card Good if plan[card][k] else Again (then Good ten
    minutes later, back into review). Returns the time after the last day."""
    days = max(len(p) for p in plan.values())
    now = start
    for day in range(days):
        now = start + timedelta(days=day + 1)
        for card_id, outcomes in plan.items():
            if day >= len(outcomes):
                continue
            if outcomes[day]:
                col.answer(card_id, Rating.Good, now)
            else:
                col.answer(card_id, Rating.Again, now)
                col.answer(card_id, Rating.Good, now + timedelta(minutes=11))
    return now + timedelta(hours=1)


NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def ranked(db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]) -> Collection:
    """Strong (all pass), weak (half fail) and tiny (one card, two failures) domains."""
    decks = {
        "strong": [(f"s{i}", ["recall"]) for i in range(10)],
        "weak": [(f"w{i}", ["recall"]) for i in range(10)],
        "tiny": [("t0", ["recall"])],
    }
    col = open_collection(db_url)
    col.sync_decks([write_decks(tmp_path / "decks", decks)], now=NOW)
    col.configure(new_per_day=9999, reviews_per_day=99999, enable_fuzzing=False)
    graduate(col, [c for cards in decks.values() for c, _ in cards], NOW)
    plan = {f"s{i}": [True] * 6 for i in range(10)}
    plan |= {f"w{i}": [k % 2 == 0 for k in range(6)] for i in range(10)}
    plan["t0"] = [False, False]
    col.end = review_days(col, plan, NOW)  # type: ignore[attr-defined]
    return col


def test_forced_weak_domain_ranks_weakest_and_a_noisy_one_does_not(ranked: Collection) -> None:
    report = ranked.domain_stats(ranked.end).set_index("domain")  # type: ignore[attr-defined]
    assert report.loc["weak", "reviews_30d"] == 60
    assert report.loc["weak", "retention_30d"] == pytest.approx(0.5)
    assert report.loc["tiny", "reviews_30d"] == 2
    assert report.loc["tiny", "retention_30d"] == 0.0
    assert report.loc["strong", "retention_30d"] == 1.0
    # Two failed reviews are shown as they are, but are too few to rank the domain at all.
    assert weakest_domains(report.reset_index()) == ["weak", "strong"]
    assert report.loc["weak", "weak_rank"] == 1
    assert pd.isna(report.loc["tiny", "weak_rank"])
    assert report.loc["tiny", "retention_estimate"] > report.loc["weak", "retention_estimate"]


def test_report_counts_and_interval(ranked: Collection) -> None:
    report = ranked.domain_stats(ranked.end).set_index("domain")  # type: ignore[attr-defined]
    assert sorted(report.index) == ["strong", "tiny", "weak"]
    assert report.loc["strong", "cards"] == 10
    assert report.loc["strong", "introduced"] == 10
    assert report.loc["weak", "lapses"] == 30
    assert report.loc["tiny", "lapses"] == 2
    low, high = wilson_interval(30, 60)
    assert report.loc["weak", "retention_low"] == pytest.approx(low)
    assert report.loc["weak", "retention_high"] == pytest.approx(high)
    assert 0 < report.loc["strong", "retrievability"] <= 1
    assert report.loc["weak", "retrievability"] < report.loc["strong", "retrievability"]


def test_report_for_a_collection_without_reviews(col: Collection) -> None:
    report = col.domain_stats(NOW)
    assert list(report.columns) == COLUMNS
    assert list(report["domain"]) == ["alpha", "beta"]
    assert list(report["cards"]) == [3, 3]
    assert report["reviews_30d"].sum() == 0
    assert report["weak_rank"].isna().all()


def test_rubric_coverage_counts_ticked_points(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(db_url)
    col.sync_decks([write_decks(tmp_path / "decks", {"d": [("d0", ["recall"])]}, drill="d")], now=NOW)
    col.answer("d-drill", Rating.Hard, NOW, points_ticked=[0, 1, 2])
    col.answer("d-drill", Rating.Again, NOW + timedelta(minutes=5), points_ticked=[0])
    report = col.domain_stats(NOW + timedelta(hours=1)).set_index("domain")
    assert report.loc["d", "rubric_coverage"] == pytest.approx(4 / 8)


def test_wilson_interval_known_values() -> None:
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-3)
    assert high == pytest.approx(0.9433, abs=1e-3)
