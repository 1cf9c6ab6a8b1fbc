"""Knowing against framing: per-domain recall beside drill performance, and drill habits named
only after enough answers."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW
from tests.web.support import collection_of, web_app
from trainer import Collection, DrillAnswer, Rating
from trainer.insights.drills import drill_habits, drill_report, framing_gaps
from trainer.insights.stats import MIN_EVIDENCE


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


def _answer_framing(col: Collection, answers: int, flagged: Callable[[int, int], bool]) -> None:
    """Answer d-framing `answers` times, ticking its first point, raising its first red flag
    when `flagged(answer number, variant shown)`."""
    for number in range(answers):
        variant = col.card("d-framing").memory.reps % 3
        col.answer(
            "d-framing",
            Rating.Good,
            now=NOW + timedelta(minutes=number),
            drill=DrillAnswer.of([0], flags_raised=[0] if flagged(number, variant) else []),
        )


def test_a_red_flag_raised_in_one_variant_is_counted_over_every_variant_showing_it(
    drill_col: Collection,
) -> None:
    # Variants 0 and 2 share the base flags; variant 1 has its own ("Ignores nurse capacity").
    _answer_framing(drill_col, 9, lambda _number, variant: variant == 0)
    _missed, flagged = drill_habits(drill_col)
    assert [(h.variants, h.text, h.times, h.answers) for h in flagged] == [
        ((0, 2), "Leads with accuracy", 3, 6)
    ]


def test_a_text_several_variants_share_is_one_habit(drill_col: Collection) -> None:
    # Raised once in variant 0 (the first answer) and once in variant 2 (the third): twice over
    # the six answers that showed it, so frequent, and named once.
    _answer_framing(drill_col, 9, lambda number, _variant: number in (0, 2))
    missed, flagged = drill_habits(drill_col)
    assert [(h.variants, h.text, h.times, h.answers) for h in flagged] == [
        ((0, 2), "Leads with accuracy", 2, 6)
    ]
    missed_texts = [h.text for h in missed]
    assert len(missed_texts) == len(set(missed_texts))
    assert ("Ties k to nurse capacity", (1,), 3) in [(h.text, h.variants, h.answers) for h in missed]
    assert ("Bounds the alert rate", (0, 2), 6) in [(h.text, h.variants, h.answers) for h in missed]


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


def know_alpha_and_drill_it(
    col: Collection, fact_reviews: int, drill_answers: int, ticked: list[int]
) -> None:
    """a-fact answered Good `fact_reviews` times in review (after an Easy first answer), and
    a-drill answered `drill_answers` times covering `ticked` of its four core points."""
    moment = NOW
    for rating in [Rating.Easy] + [Rating.Good] * fact_reviews:
        col.answer("a-fact", rating, now=moment)
        moment = col.card("a-fact").memory.due or moment
    for minute in range(drill_answers):
        col.answer("a-drill", Rating.Hard, now=NOW + timedelta(minutes=minute), points_ticked=ticked)


@pytest.mark.parametrize(
    ("fact_reviews", "drill_answers", "ticked", "named"),
    [
        (MIN_EVIDENCE, MIN_EVIDENCE, [0], True),  # facts all recalled, a quarter of the core points
        (MIN_EVIDENCE, MIN_EVIDENCE, [0, 1, 2], True),  # three quarters: still 25 points below
        (MIN_EVIDENCE, MIN_EVIDENCE, [0, 1, 2, 3], False),  # frames as well as it knows
        (MIN_EVIDENCE - 1, MIN_EVIDENCE, [0], False),  # too few fact answers to say
        (MIN_EVIDENCE, MIN_EVIDENCE - 1, [0], False),  # too few drill answers to say
    ],
)
def test_a_domain_known_but_badly_framed_is_named_on_enough_answers(
    col: Collection, fact_reviews: int, drill_answers: int, ticked: list[int], named: bool
) -> None:
    know_alpha_and_drill_it(col, fact_reviews, drill_answers, ticked)
    expected = [{"domain": "alpha", "recall_rate": 1.0, "core_coverage": len(ticked) / 4}]
    assert framing_gaps(drill_report(col)) == (expected if named else [])


def test_the_stats_page_says_which_domain_is_known_but_badly_framed(
    sqlite_url: str, decks_dir: Path, tmp_path: Path
) -> None:
    with web_app(sqlite_url, decks_dir, tmp_path / "data") as app:
        know_alpha_and_drill_it(collection_of(app), MIN_EVIDENCE, MIN_EVIDENCE, [0])
        page = app.test_client().get("/stats").get_data(as_text=True)
    assert (
        "You know Alpha's facts (100% recalled) but frame its answers badly (25% of core points covered)."
        in page
    )


def test_the_stats_api_carries_knowing_beside_framing(
    sqlite_url: str, decks_dir: Path, tmp_path: Path
) -> None:
    with web_app(sqlite_url, decks_dir, tmp_path / "data") as app:
        know_alpha_and_drill_it(collection_of(app), MIN_EVIDENCE, MIN_EVIDENCE, [0])
        body = app.test_client().get("/api/stats/framing").get_json()
        paths = app.test_client().get("/api/openapi.json").get_json()["paths"]
    alpha = {row["domain"]: row for row in body["domains"]}["alpha"]
    assert (alpha["recall_reviews"], alpha["recall_rate"]) == (MIN_EVIDENCE, 1.0)
    assert (alpha["drill_answers"], alpha["core_coverage"], alpha["red_flag_rate"]) == (
        MIN_EVIDENCE,
        0.25,
        0.0,
    )
    assert alpha["time_vs_target"] is None
    assert body["known_but_badly_framed"] == [{"domain": "alpha", "recall_rate": 1.0, "core_coverage": 0.25}]
    missed = [(h["text"], h["times"], h["answers"], h["variants"]) for h in body["habits"]["missed"]]
    assert missed == [
        ("States a latency budget", MIN_EVIDENCE, MIN_EVIDENCE, [0]),
        ("Names a baseline", MIN_EVIDENCE, MIN_EVIDENCE, [0]),
        ("Plans monitoring", MIN_EVIDENCE, MIN_EVIDENCE, [0]),
    ]
    assert body["habits"]["red_flags"] == [] and "/api/stats/framing" in paths
