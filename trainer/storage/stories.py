"""Learners' own stories for story drills: one text per learner and card, private to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Table, delete, insert, select, update

from trainer.storage.schema import LearnerStory

stories: Table = LearnerStory.__table__  # type: ignore[assignment]


def load_story(conn: Connection, learner_id: int, card_id: str) -> str | None:
    """The learner's story for the card, or None if they have not written one."""
    return conn.execute(  # type: ignore[no-any-return]
        select(stories.c.text).where(stories.c.learner_id == learner_id, stories.c.card_id == card_id)
    ).scalar()


def save_story(conn: Connection, learner_id: int, card_id: str, text: str, now: datetime) -> None:
    """Store (or replace) the learner's story for the card."""
    where = (stories.c.learner_id == learner_id, stories.c.card_id == card_id)
    changed = conn.execute(update(stories).where(*where).values(text=text, updated_at=now)).rowcount
    if not changed:
        conn.execute(
            insert(stories).values(learner_id=learner_id, card_id=card_id, text=text, updated_at=now)
        )


def delete_story(conn: Connection, learner_id: int, card_id: str) -> bool:
    """Remove the learner's story for the card; whether there was one."""
    where = (stories.c.learner_id == learner_id, stories.c.card_id == card_id)
    return bool(conn.execute(delete(stories).where(*where)).rowcount)


def all_stories(conn: Connection, learner_id: int) -> dict[str, str]:
    """Every story the learner has written, by card id."""
    rows = conn.execute(
        select(stories.c.card_id, stories.c.text)
        .where(stories.c.learner_id == learner_id)
        .order_by(stories.c.card_id)
    )
    return {row.card_id: row.text for row in rows}
