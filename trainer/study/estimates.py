"""How long today's cards will take, from the learner's own recent answer times."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from trainer.clock import require_utc
from trainer.model import CardState
from trainer.storage import store
from trainer.storage.database import read_transaction
from trainer.study.queue import Counts

if TYPE_CHECKING:
    from trainer.collection import Collection

WINDOW = timedelta(days=30)
SAMPLE = 1000
MIN_SAMPLES = 5
LONGEST_ANSWER_MS = 5 * 60 * 1000
# Seconds per answer assumed until the learner has MIN_SAMPLES timed answers of that kind.
DEFAULT_SECONDS = {CardState.NEW: 30.0, CardState.LEARNING: 15.0, CardState.REVIEW: 15.0}


@dataclass(frozen=True)
class DayEstimate:
    """Today's remaining work in minutes, the seconds per answer used, and answers done today."""

    minutes: float
    seconds_per_answer: dict[str, float]
    answered_today: int


def seconds_per_answer(col: Collection, now: datetime | None = None) -> dict[CardState, float]:
    """The learner's median seconds per answer, by the card's state before it, over the last 30
    days; a default stands in for a state with too few timed answers. Answers longer than five
    minutes (a learner who walked away) are left out."""
    moment = require_utc(now)
    logs = store.logs
    query = (
        select(logs.c.state_before, logs.c.duration_ms)
        .where(
            logs.c.learner_id == col.learner_id,
            logs.c.reviewed_at >= moment - WINDOW,
            logs.c.duration_ms.is_not(None),
        )
        .order_by(logs.c.reviewed_at.desc())
        .limit(SAMPLE)
    )
    with read_transaction(col.engine) as conn:
        rows = conn.execute(query).all()
    by_state: dict[CardState, list[float]] = {state: [] for state in DEFAULT_SECONDS}
    for state_before, duration_ms in rows:
        state = CardState(state_before)
        key = CardState.LEARNING if state == CardState.RELEARNING else state
        if duration_ms <= LONGEST_ANSWER_MS:
            by_state[key].append(duration_ms / 1000)
    return {
        state: statistics.median(samples) if len(samples) >= MIN_SAMPLES else DEFAULT_SECONDS[state]
        for state, samples in by_state.items()
    }


def answered_today(col: Collection, now: datetime | None = None) -> int:
    """How many answers the learner has given since their day began."""
    day = col.day(now)
    logs = store.logs
    with read_transaction(col.engine) as conn:
        count = conn.execute(
            select(func.count()).where(logs.c.learner_id == col.learner_id, logs.c.reviewed_at >= day.start)
        ).scalar_one()
    return int(count)


def estimate_day(col: Collection, counts: Counts, now: datetime | None = None) -> DayEstimate:
    """Minutes the `counts` still waiting will take: a new card is answered once as new and
    then once per learning step, a learning or review card about once."""
    seconds = seconds_per_answer(col, now)
    steps = len(col.settings.learning_steps)
    total = (
        counts.new * (seconds[CardState.NEW] + steps * seconds[CardState.LEARNING])
        + counts.learning * seconds[CardState.LEARNING]
        + counts.review * seconds[CardState.REVIEW]
    )
    return DayEstimate(
        minutes=round(total / 60, 1),
        seconds_per_answer={state.name.lower(): value for state, value in seconds.items()},
        answered_today=answered_today(col, now),
    )
