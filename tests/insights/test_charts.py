"""Charts as Vega-Lite specs: none drawn without data, every one for a large collection, a
workload that grows with desired retention; calibration bins add up."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, update

from tests.insights.test_stats import NOW, graduate, review_days, write_decks
from trainer import Collection, Rating
from trainer.errors import NotFound
from trainer.insights import charts
from trainer.insights.calibration import calibration_report
from trainer.insights.workload import workload
from trainer.storage.database import write_transaction
from trainer.storage.store import logs, states

STATS_CHARTS = ["concepts", "calendar", "forecast", "retention", "workload"]


def test_only_the_workload_chart_has_something_to_plot_before_any_study(col: Collection) -> None:
    drawn = charts.stats_charts(col, NOW)
    assert list(drawn) == STATS_CHARTS
    for name, chart in drawn.items():
        assert chart.name == name and chart.title and chart.description
        if name == "workload":
            assert chart.spec is not None and chart.rows
        else:
            assert chart.spec is None and chart.empty and not chart.rows, name
    assert charts.forgetting_curve(col, "a-fact", NOW).spec is None


@pytest.fixture
def large(tmp_path: Path, open_collection: Callable[..., Collection]) -> Collection:
    """2,000 cards over 5 domains and 4 concepts, and 60,000 review-log rows over 300 days."""
    rng = np.random.default_rng(11)
    concepts = ["c0", "c1", "c2", "c3"]
    decks = {f"dom{d}": [(f"dom{d}-{i}", [concepts[i % 4]]) for i in range(400)] for d in range(5)}
    col = open_collection(f"sqlite:///{tmp_path / 'trainer.db'}")
    col.sync_decks([write_decks(tmp_path / "decks", decks)], now=NOW)
    ids = [card for cards in decks.values() for card, _ in cards]
    with write_transaction(col.engine) as conn:
        for card_id in ids:
            conn.execute(
                update(states)
                .where(states.c.learner_id == col.learner_id, states.c.card_id == card_id)
                .values(
                    state=2,
                    queue=2,
                    stability=float(rng.lognormal(2, 1)),
                    difficulty=float(rng.uniform(1, 10)),
                    last_review=NOW + timedelta(days=float(rng.uniform(0, 39))),
                    due=NOW + timedelta(days=float(rng.uniform(35, 80))),
                    reps=5,
                )
            )
        rows = [
            {
                "learner_id": col.learner_id,
                "card_id": ids[int(rng.integers(len(ids)))],
                "rating": int(rng.choice([1, 3])),
                "reviewed_at": NOW - timedelta(days=float(rng.uniform(-39, 260))),
                "state_before": 2,
                "state_after": 2,
                "before": {"stability": 5.0, "last_review": (NOW - timedelta(days=300)).isoformat()},
                "after": {"stability": 5.0},
            }
            for _ in range(60_000)
        ]
        conn.execute(insert(logs), rows)
    return col


def test_every_chart_plots_a_large_collection_and_says_it_in_a_table(large: Collection) -> None:
    now = NOW + timedelta(days=40)
    drawn = charts.stats_charts(large, now)
    for name, chart in drawn.items():
        assert chart.spec is not None, name
        assert chart.spec["description"] == chart.description
        assert chart.spec["data"]["values"], name
        assert chart.rows and all(len(row) == len(chart.columns) for row in chart.rows), name
        json.dumps(chart.to_dict())
    calendar = drawn["calendar"].spec["data"]["values"]  # type: ignore[index]
    assert len(calendar) >= 52 * 7 and sum(day["reviews"] for day in calendar) > 50_000
    cells = drawn["concepts"].spec["data"]["values"]  # type: ignore[index]
    assert {(c["domain"], c["concept"]) for c in cells} == {
        (f"dom{d}", f"c{k}") for d in range(5) for k in range(4)
    }
    assert charts.review_calendar(large, NOW + timedelta(days=800)).spec is None


def test_workload_grows_with_desired_retention_and_is_repeatable(large: Collection) -> None:
    first = workload(large, NOW)
    again = workload(large, NOW)
    assert first == again
    assert first.retentions[0] == 0.8 and first.retentions[-1] == 0.97
    assert first.reviews_per_day[-1] > 1.5 * first.reviews_per_day[0] > 0


def test_forgetting_curve_for_a_studied_card_and_an_unknown_one(col: Collection) -> None:
    graduate(col, ["a-fact"], NOW)
    review_days(col, {"a-fact": [True, False, True]}, NOW)
    curve = charts.forgetting_curve(col, "a-fact", NOW + timedelta(days=5))
    studied = [h for h in col.history("a-fact") if h.after.stability is not None]
    assert curve.spec is not None and len(curve.rows) == len(studied) >= 3
    recall = [point["recall"] for point in curve.spec["data"]["values"]]  # type: ignore[index]
    assert max(recall) == pytest.approx(1.0) and min(recall) < 0.95
    assert charts.forgetting_curve(col, "b-one", NOW + timedelta(days=5)).spec is None
    with pytest.raises(NotFound):
        charts.forgetting_curve(col, "no-such-card", NOW)


def test_calibration_bins_count_every_review_with_a_memory(col: Collection) -> None:
    graduate(col, ["a-fact", "b-one"], NOW)
    review_days(col, {"a-fact": [True, False, True, True], "b-one": [True, True]}, NOW)
    report = calibration_report(col)
    with_memory = [h for h in col.history() if h.before.stability is not None]
    assert report["reviews"].sum() == len(with_memory)
    assert ((report["predicted"] >= report["bin_low"]) & (report["predicted"] <= report["bin_high"])).all()
    assert set(report["domain"]) == {"alpha", "beta"}
    assert report["actual"].between(0, 1).all()
    col.answer("a-fact", Rating.Again, NOW + timedelta(days=9))
    assert calibration_report(col)["reviews"].sum() == len(with_memory) + 1
