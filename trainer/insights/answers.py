"""What one answer adds to the statistics' tallies (`trainer.storage.tallies`).

Kept apart from the rebuild in `trainer.insights.tallies` so that answering imports neither
pandas nor numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from trainer.model import CardState, Memory
from trainer.storage.tallies import AnswerTally


def predicted_recall(before: Memory, moment: datetime, w: Sequence[float]) -> float | None:
    """The recall FSRS predicted at `moment` for a card remembered as `before` (the formula of
    `trainer.insights.forecast.retrievability`), or None for a card never studied."""
    if before.state == CardState.NEW or before.stability is None or before.last_review is None:
        return None
    elapsed = max((moment - before.last_review).total_seconds() / 86400, 0.0)
    decay = -w[20]
    factor = 0.9 ** (1 / decay) - 1
    return float((1 + factor * elapsed / before.stability) ** decay)


def answer_tally(
    *,
    card_id: str,
    deck: str,
    day: date,
    parameters: Sequence[float],
    before: Memory,
    rating: int,
    moment: datetime,
    duration_ms: int | None,
    points: tuple[Sequence[int], int] | None,
) -> AnswerTally:
    """What an answer given at `moment` (in the learner's `day`) to a card remembered as `before`
    adds to the tallies, its recall predicted by the FSRS `parameters`; `points` are a drill's
    ticked indexes and rubric length."""
    return AnswerTally(
        card_id=card_id,
        deck=deck,
        day=day,
        rating=int(rating),
        state_before=int(before.state),
        duration_ms=duration_ms,
        predicted=predicted_recall(before, moment, parameters),
        ticked=points[0] if points else None,
        total=points[1] if points else None,
    )
