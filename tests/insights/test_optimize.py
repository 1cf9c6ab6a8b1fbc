"""Fitting FSRS parameters: a fit to reviews simulated from known parameters beats the defaults
on held-out later reviews, is accepted by fsrs.Scheduler, and short histories are refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from fsrs import Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS
from sqlalchemy import insert

from tests.insights.test_stats import NOW, graduate, write_decks
from trainer import Collection
from trainer.insights.optimize import NotEnoughHistory, build_items, fit_items, learner_days, optimize
from trainer.insights.synthetic import simulate_log
from trainer.storage.database import write_transaction
from trainer.storage.store import logs

TRUE_PARAMETERS = list(DEFAULT_PARAMETERS)
TRUE_PARAMETERS[0:4] = [0.6, 2.5, 6.0, 20.0]
TRUE_PARAMETERS[8], TRUE_PARAMETERS[10], TRUE_PARAMETERS[11], TRUE_PARAMETERS[20] = 1.0, 1.2, 2.5, 0.4
START = datetime(2025, 1, 1, tzinfo=UTC)


def test_fit_to_known_parameters_beats_defaults_on_later_reviews() -> None:
    log = simulate_log(TRUE_PARAMETERS, cards=1200, days=365, start=START, rng=np.random.default_rng(3))
    items, days = build_items(log, learner_days(log["reviewed_at"], "UTC", 4))
    stages: list[str] = []
    result, chosen = fit_items(items, days, DEFAULT_PARAMETERS, lambda stage, _d, _t: stages.append(stage))
    assert result.fitted.log_loss < result.default.log_loss
    assert result.adopted
    assert result.train_items > 4 * result.test_items / 2
    assert stages[-1] == "done" and "refitting on all reviews" in stages
    Scheduler(parameters=chosen)
    assert chosen != tuple(DEFAULT_PARAMETERS)
    assert chosen[3] > DEFAULT_PARAMETERS[3]


def test_items_are_reviews_a_day_or_more_after_the_previous_one() -> None:
    import pandas as pd

    times = pd.to_datetime(
        ["2026-01-01 10:00", "2026-01-01 10:05", "2026-01-03 10:00", "2026-01-08 09:00", "2026-01-01 12:00"],
        utc=True,
    )
    log = pd.DataFrame(
        {"card_id": ["x", "x", "x", "x", "y"], "rating": [1, 3, 3, 2, 3], "reviewed_at": times}
    )
    items, days = build_items(log, learner_days(log["reviewed_at"], "UTC", 4))
    assert [len(item.reviews) for item in items] == [3, 4]
    assert [item.long_term_review_cnt() for item in items] == [1, 2]
    assert list(np.diff(days)) == [5]


def test_short_history_is_refused_and_settings_are_unchanged(col: Collection) -> None:
    graduate(col, ["a-fact", "b-one"], NOW)
    with pytest.raises(NotEnoughHistory, match="not enough review history"):
        optimize(col, NOW)
    assert col.settings.parameters == tuple(DEFAULT_PARAMETERS)


def simulated_collection(folder: Path, opener: Callable[..., Collection], cards: int = 600) -> Collection:
    """A collection whose log holds reviews simulated from TRUE_PARAMETERS, inserted in bulk."""
    col = opener(f"sqlite:///{folder / 'trainer.db'}")
    deck = {"sim": [(f"sim-{i}", ["recall"]) for i in range(cards)]}
    col.sync_decks([write_decks(folder / "decks", deck)], now=NOW)
    log = simulate_log(TRUE_PARAMETERS, cards=cards, days=365, start=START, rng=np.random.default_rng(9))
    rows = [
        {
            "learner_id": col.learner_id,
            "card_id": card_id,
            "rating": int(rating),
            "reviewed_at": when.to_pydatetime(),
            "state_before": 2,
            "state_after": 2,
            "before": {},
            "after": {},
        }
        for card_id, rating, when in log[["card_id", "rating", "reviewed_at"]].itertuples(index=False)
    ]
    with write_transaction(col.engine) as conn:
        conn.execute(insert(logs), rows)
    return col


def test_optimize_adopts_a_better_fit_from_the_stored_log(
    tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col = simulated_collection(tmp_path, open_collection)
    progress: list[tuple[str, int, int]] = []
    result = optimize(col, NOW, progress=lambda *step: progress.append(step))
    assert result.adopted, result.message
    assert result.fitted.log_loss < result.default.log_loss
    assert col.settings.parameters == result.parameters
    Scheduler(parameters=col.settings.parameters)
    assert progress[0][0] == "reading the review log" and progress[-1] == ("done", 4, 4)
    assert "adopted" in result.message
