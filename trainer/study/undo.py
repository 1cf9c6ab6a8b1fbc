"""The learner's undo stack: answers (from the review log) and suspend, unsuspend and bury
(from `undo_steps`), undone newest first, whichever kind it is.

A step remembers the newest review-log id when it was taken; an answer logged after that id
is newer than the step, anything at or before it is older.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Table, delete, func, insert, select

from trainer.errors import NothingToUndo
from trainer.model import CardState, Memory
from trainer.storage import store
from trainer.storage.schema import UndoStep

steps: Table = UndoStep.__table__  # type: ignore[assignment]
Action = Literal["answer", "suspend", "unsuspend", "bury"]


@dataclass(frozen=True)
class Undone:
    """What an undo reverted: the card and the kind of action."""

    card_id: str
    action: Action

    def describe(self) -> str:
        """One line for the learner in words, such as "Undid your last answer." (no card id:
        the card itself is in front of them again, or back where it was)."""
        return UNDONE_WORDS[self.action]


UNDONE_WORDS: dict[Action, str] = {
    "answer": "Undid your last answer.",
    "suspend": "Undid the suspend: the card is back in your reviews.",
    "bury": "Undid the bury: the card is back in your reviews.",
    "unsuspend": "Undid the unsuspend: the card is suspended again.",
}


def record_step(
    conn: Connection, learner_id: int, card_id: str, action: Action, before: Memory, now: datetime
) -> None:
    """Push a suspend, unsuspend or bury of `card_id` (whose state was `before`) on the stack."""
    newest_log = conn.execute(
        select(func.coalesce(func.max(store.logs.c.id), 0)).where(store.logs.c.learner_id == learner_id)
    ).scalar_one()
    conn.execute(
        insert(steps).values(
            learner_id=learner_id,
            card_id=card_id,
            action=action,
            before=before.to_dict(),
            after_log_id=int(newest_log),
            done_at=now,
        )
    )


def _last_answer(conn: Connection, learner_id: int) -> Any:
    logs = store.logs
    return conn.execute(
        select(
            logs.c.id,
            logs.c.card_id,
            logs.c.before,
            logs.c.state_before,
            logs.c.reviewed_at,
            logs.c.rating,
            logs.c.duration_ms,
            logs.c.points_ticked,
            logs.c.points_total,
            logs.c.variant,
            logs.c.flags_raised,
        )
        .where(logs.c.learner_id == learner_id)
        .order_by(logs.c.id.desc())
        .limit(1)
        .with_for_update()
    ).first()


def _last_step(conn: Connection, learner_id: int) -> Any:
    return conn.execute(
        select(
            steps.c.id, steps.c.card_id, steps.c.action, steps.c.before, steps.c.after_log_id, steps.c.done_at
        )
        .where(steps.c.learner_id == learner_id)
        .order_by(steps.c.id.desc())
        .limit(1)
        .with_for_update()
    ).first()


def undo_last(
    conn: Connection,
    learner_id: int,
    count_day: Any,
    untally: Callable[[Connection, Any], None] | None = None,
    since: datetime | None = None,
) -> Undone:
    """Revert the learner's newest action inside the caller's transaction.

    An answer's card gets back its exact state before and its log row is removed (and the
    day's count, via `count_day(reviewed_at)` giving (date, day start); `untally(conn, row)`
    is given the removed row, before the card's state is restored); a suspend, unsuspend
    or bury restores only those flags, so nothing else about the card moves. Raises
    NothingToUndo when the stack is empty, or when its newest action was taken before `since`
    (an earlier session's work is left as it is).
    """
    answer = _last_answer(conn, learner_id)
    step = _last_step(conn, learner_id)
    newest_is_step = step is not None and (answer is None or answer.id <= step.after_log_id)
    taken = step.done_at if newest_is_step else answer.reviewed_at if answer is not None else None
    if since is not None and taken is not None and taken < since:
        raise NothingToUndo("there is nothing to undo today; earlier days' answers stay as they are")
    if newest_is_step:
        loaded = store.load_memory(conn, learner_id, step.card_id, for_update=True)
        if loaded is not None:
            before = Memory.from_dict(step.before)
            restored = replace(loaded.memory, suspended=before.suspended, buried_until=before.buried_until)
            store.save_memory(conn, learner_id, step.card_id, restored)
        conn.execute(delete(steps).where(steps.c.id == step.id))
        return Undone(str(step.card_id), step.action)
    if answer is None:
        raise NothingToUndo("there is nothing to undo")
    if untally is not None:
        untally(conn, answer)
    store.save_memory(conn, learner_id, answer.card_id, Memory.from_dict(answer.before))
    conn.execute(delete(store.logs).where(store.logs.c.id == answer.id))
    day, start = count_day(answer.reviewed_at)
    store.count_answer(conn, learner_id, day, start, CardState(answer.state_before), -1)
    return Undone(str(answer.card_id), "answer")
