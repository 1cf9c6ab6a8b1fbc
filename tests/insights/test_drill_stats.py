"""Knowing against framing: per-domain recall beside drill performance, and drill habits named
only after enough answers."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from pathlib import Path

from tests.conftest import NOW
from tests.web.support import collection_of, web_app
from trainer import Collection, DrillAnswer, Rating
from trainer.insights.drills import drill_habits, drill_report


def _answer_design(col: Collection, minute: int, ticked: list[int], seconds: int) -> None:
    col.answer(
        "d-design",
        Rating.Good,
        now=NOW + timedelta(minutes=minute),
        duration_ms=seconds * 1000,
        drill=DrillAnswer.of(ticked),
    )


def test_drill_performance_per_domain_beside_recall(drill_col: Collection) -> None:
    _answer_design(drill_col, 0, [0, 1, 2], 120)
    _answer_design(drill_col, 1, [0], 480)
    drill_col.answer(
        "d-framing",
        Rating.Hard,
        now=NOW + timedelta(minutes=2),
        duration_ms=30_000,
        drill=DrillAnswer.of([0, 1], flags_raised=[0]),
    )
    report = drill_report(drill_col).set_index("domain")
    row = report.loc["drills"]
    assert row["drill_answers"] == 3
    assert math.isclose(row["core_coverage"], (1 + 1 / 3 + 2 / 4) / 3)
    assert math.isclose(row["red_flag_rate"], 1 / 3)
    # 120 s and 480 s against 240 s, 30 s against 60 s: ratios 0.5, 2.0, 0.5.
    assert math.isclose(row["time_vs_target"], 0.5) and math.isclose(row["over_target_share"], 1 / 3)
    assert report.loc["alpha"]["drill_answers"] == 0 and math.isnan(report.loc["alpha"]["core_coverage"])


def test_fact_recall_counts_only_facts_and_clozes_in_review(drill_col: Collection) -> None:
    moment = NOW
    for rating in (Rating.Easy, Rating.Good, Rating.Again):
        drill_col.answer("a-fact", rating, now=moment)
        moment = drill_col.card("a-fact").memory.due or moment
    report = drill_report(drill_col).set_index("domain")
    assert report.loc["alpha"]["recall_reviews"] == 2
    assert math.isclose(report.loc["alpha"]["recall_rate"], 0.5)


def test_habits_wait_for_enough_answers(drill_col: Collection) -> None:
    for minute in range(2):
        _answer_design(drill_col, minute, [0], 100)
    assert drill_habits(drill_col) == ([], [])
    _answer_design(drill_col, 2, [0, 1], 100)
    missed, flagged = drill_habits(drill_col)
    assert [(h.text, h.times, h.answers) for h in missed] == [("Three", 3, 3), ("Two", 2, 3)]
    assert flagged == []


def test_frequent_red_flags_are_named_per_variant(drill_col: Collection) -> None:
    for minute in range(9):
        reps = drill_col.card("d-framing").memory.reps
        flags = [0] if reps % 3 == 0 else []
        drill_col.answer(
            "d-framing",
            Rating.Good,
            now=NOW + timedelta(minutes=minute),
            drill=DrillAnswer.of([0], flags_raised=flags),
        )
    _missed, flagged = drill_habits(drill_col)
    assert [(h.variant, h.text, h.times) for h in flagged] == [(0, "Leads with accuracy", 3)]


def test_the_stats_page_shows_framing_beside_recall(
    sqlite_url: str, drill_decks_dir: Path, tmp_path: Path
) -> None:
    with web_app(sqlite_url, drill_decks_dir, tmp_path / "data") as app:
        col = collection_of(app)
        for minute in range(3):
            _answer_design(col, minute, [0], 100)
        page = app.test_client().get("/stats").get_data(as_text=True)
    row = re.search(r'<tr data-domain="drills">(.*?)</tr>', page, re.S)
    assert row is not None and "33%" in row.group(1)
    assert "Misses: Three" in page and "3 of 3" in page
