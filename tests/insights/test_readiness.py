"""Interview readiness: the mean of per-card retrievability on the date, and the plan to a target."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.insights.test_stats import NOW, graduate, review_days, write_decks
from trainer import Collection
from trainer.clock import learner_day
from trainer.insights.readiness import (
    MemoryArrays,
    bring_forward,
    interview_moment,
    interview_passed,
    plan_recall,
    readiness,
    recall_on,
    review_gain,
    reviews_per_day_needed,
)
from trainer.insights.summary import stats_summary, stats_text


@pytest.fixture
def studied(tmp_path: Path, open_collection: Callable[..., Collection]) -> Collection:
    decks = {"a": [(f"a{i}", ["recall"]) for i in range(6)], "b": [(f"b{i}", ["recall"]) for i in range(4)]}
    col = open_collection(f"sqlite:///{tmp_path / 'trainer.db'}")
    col.sync_decks([write_decks(tmp_path / "decks", decks)], now=NOW)
    col.configure(new_per_day=9999, reviews_per_day=99999, enable_fuzzing=False)
    graduate(col, [f"a{i}" for i in range(6)] + ["b0"], NOW)
    review_days(col, {"a0": [True, False, True], "a1": [False, False], "b0": [True]}, NOW)
    return col


def test_readiness_is_the_mean_of_per_card_retrievability_on_the_date(studied: Collection) -> None:
    now = NOW + timedelta(days=4)
    studied.configure(interview_date=(NOW + timedelta(days=20)).date())
    result = readiness(studied, now)
    assert result is not None
    moment = interview_moment(studied, (NOW + timedelta(days=20)).date())
    per_card = {c.id: studied.retrievability(c.id, moment) for c in studied.cards()}
    assert result.cards == 10
    assert result.overall == pytest.approx(sum(per_card.values()) / 10, rel=1e-9)
    for domain in ("a", "b"):
        mine = [r for card_id, r in per_card.items() if card_id.startswith(domain)]
        assert result.per_domain[domain] == pytest.approx(sum(mine) / len(mine), rel=1e-9)
    assert per_card["b3"] == 0.0
    assert result.days_left == 16


def test_no_interview_date_means_no_readiness(studied: Collection) -> None:
    assert readiness(studied, NOW) is None
    assert bring_forward(studied, NOW) == []


def test_reviews_per_day_is_the_fewest_that_reach_the_target(studied: Collection) -> None:
    now = NOW + timedelta(days=4)
    moment = now + timedelta(days=10)
    cards = recall_on(studied, moment)
    w = studied.settings.parameters
    needed = reviews_per_day_needed(cards, now, moment, w, 0.85)
    assert needed is not None and needed >= 1
    memory = MemoryArrays.from_cards(cards, now)
    horizon = (moment - now).total_seconds() / 86400
    assert plan_recall(memory, 10, needed, horizon, w) >= 0.85
    assert plan_recall(memory, 10, needed - 1, horizon, w) < 0.85
    assert reviews_per_day_needed(cards, now, now + timedelta(hours=3), w, 0.85) is None


def test_final_days_bring_forward_cards_below_target(studied: Collection) -> None:
    now = NOW + timedelta(days=4)
    studied.configure(interview_date=(now + timedelta(days=30)).date())
    assert bring_forward(studied, now) == []
    date = (now + timedelta(days=5)).date()
    studied.configure(interview_date=date)
    moment = interview_moment(studied, date)
    brought = bring_forward(studied, now, target=0.95)
    recall = {card_id: studied.retrievability(card_id, moment) for card_id in brought}
    assert brought and all(r < 0.95 for r in recall.values())
    cards = recall_on(studied, moment).set_index("card_id").loc[brought].reset_index()
    horizon = (moment - now).total_seconds() / 86400
    gain = review_gain(MemoryArrays.from_cards(cards, now), 0.0, horizon, studied.settings.parameters)
    assert list(gain) == sorted(gain, reverse=True) and gain[-1] > 0
    studied_ids = {c.id for c in studied.cards() if c.memory.last_review is not None}
    below = {c for c in studied_ids if studied.retrievability(c, moment) < 0.95}
    assert set(brought) == below


def test_planning_on_a_sample_matches_the_full_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np
    import pandas as pd
    from fsrs.scheduler import DEFAULT_PARAMETERS

    from trainer.insights import readiness as module

    rng = np.random.default_rng(4)
    count = 6000
    last = [NOW - timedelta(days=float(x)) for x in rng.uniform(0, 30, count)]
    cards = pd.DataFrame(
        {
            "stability": rng.lognormal(2, 1, count),
            "difficulty": rng.uniform(1, 10, count),
            "last_review": pd.to_datetime(last, utc=True),
        }
    )
    moment = NOW + timedelta(days=20)
    sampled = reviews_per_day_needed(cards, NOW, moment, DEFAULT_PARAMETERS, 0.9)
    monkeypatch.setattr(module, "PLAN_SAMPLE", count + 1)
    exact = reviews_per_day_needed(cards, NOW, moment, DEFAULT_PARAMETERS, 0.9)
    assert sampled is not None and exact is not None
    assert abs(sampled - exact) <= 0.03 * exact


def test_an_interview_date_before_today_has_no_readiness_and_is_named_passed(studied: Collection) -> None:
    today = learner_day(NOW, studied.settings.zone, studied.settings.rollover_hour)
    studied.configure(interview_date=today)
    result = readiness(studied, NOW)
    assert result is not None and result.days_left == 0 and result.final_days
    assert interview_passed(studied, NOW) is None
    studied.configure(interview_date=today - timedelta(days=1))
    assert readiness(studied, NOW) is None
    assert interview_passed(studied, NOW) == today - timedelta(days=1)
    assert bring_forward(studied, NOW) == []
    summary = stats_summary(studied, NOW)
    assert summary["readiness"] is None
    assert summary["interview_passed"] == (today - timedelta(days=1)).isoformat()
    assert f"Your interview date, {today - timedelta(days=1)}, has passed" in stats_text(summary)
