"""What one answer adds to the statistics' tallies (`trainer.storage.tallies`).

Kept apart from the rebuild in `trainer.insights.tallies` so that answering imports neither
pandas nor numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from trainer.model import CardState, Memory
from trainer.storage.tallies import AnswerTally

if TYPE_CHECKING:
    from trainer.collection import Collection


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
    col: Collection,
    *,
    card_id: str,
    deck: str,
    before: Memory,
    rating: int,
    moment: datetime,
    duration_ms: int | None,
    points: tuple[Sequence[int], int] | None,
) -> AnswerTally:
    """What an answer given at `moment` to a card remembered as `before` adds to the tallies;
    `points` are a drill's ticked indexes and rubric length."""
    return AnswerTally(
        card_id=card_id,
        deck=deck,
        day=col.day(moment).date,
        rating=int(rating),
        state_before=int(before.state),
        duration_ms=duration_ms,
        predicted=predicted_recall(before, moment, col.settings.parameters),
        ticked=points[0] if points else None,
        total=points[1] if points else None,
    )
