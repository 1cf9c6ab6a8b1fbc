"""Charts render as PNG images for an empty collection and a large one; calibration bins add up."""

from __future__ import annotations

import struct
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
from trainer.storage.database import write_transaction
from trainer.storage.store import logs, states

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def all_charts(col: Collection, card_id: str) -> dict[str, bytes]:
    now = NOW + timedelta(days=40)
    return {
        "heatmap": charts.review_heatmap_png(col, now),
        "forecast": charts.due_forecast_png(col, now),
        "retention": charts.retention_by_domain_png(col, now),
        "grid": charts.domain_concept_heatmap_png(col, now),
        "curve": charts.forgetting_curve_png(col, card_id, now),
    }


def test_charts_render_for_an_empty_collection(col: Collection) -> None:
    for name, data in all_charts(col, "a-fact").items():
        width, height = png_size(data)
        assert width >= 400 and height >= 200, name


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


def test_charts_render_for_a_large_collection(large: Collection) -> None:
    images = all_charts(large, "dom0-0")
    for name, data in images.items():
        width, height = png_size(data)
        assert width >= 400 and height >= 200, name
    assert images["heatmap"] != charts.review_heatmap_png(large, NOW + timedelta(days=800))


def test_forgetting_curve_for_a_studied_card_and_an_unknown_one(col: Collection) -> None:
    graduate(col, ["a-fact"], NOW)
    review_days(col, {"a-fact": [True, False, True]}, NOW)
    curve = charts.forgetting_curve_png(col, "a-fact", NOW + timedelta(days=5))
    blank = charts.forgetting_curve_png(col, "b-one", NOW + timedelta(days=5))
    assert png_size(curve) == png_size(blank)
    assert curve != blank
    with pytest.raises(NotFound):
        charts.forgetting_curve_png(col, "no-such-card", NOW)


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
