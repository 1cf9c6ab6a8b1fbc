"""Drill tallies kept by every answer for knowing beside framing: per drill, variant and rubric
length; per rubric item; per answer time

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

The tables are filled from the graded drill answers already in the review log, so the report
reads them at once; from then on every answer and undo keeps them in step.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(*names: str) -> list[sa.Column[Any]]:
    return [
        sa.Column("learner_id", sa.Integer(), sa.ForeignKey("learners.id"), nullable=False),
        sa.Column("card_id", sa.String(length=128), nullable=False),
        *(sa.Column(name, sa.SmallInteger(), nullable=False) for name in names),
    ]


def _counts(*names: str) -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def upgrade() -> None:
    tallies = op.create_table(
        "drill_tallies",
        *_key("variant", "total"),
        *_counts("answers", "ticked", "flagged"),
        sa.Column("first_log_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("learner_id", "card_id", "variant", "total"),
    )
    marks = op.create_table(
        "drill_marks",
        *_key("variant", "total"),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("item", sa.SmallInteger(), nullable=False),
        *_counts("times"),
        sa.PrimaryKeyConstraint("learner_id", "card_id", "variant", "total", "kind", "item"),
    )
    times = op.create_table(
        "drill_times",
        *_key(),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        *_counts("answers"),
        sa.PrimaryKeyConstraint("learner_id", "card_id", "duration_ms"),
    )
    assert tallies is not None and marks is not None and times is not None
    _backfill(tallies, marks, times)


def _backfill(tallies: sa.Table, marks: sa.Table, times: sa.Table) -> None:
    """Count every graded drill answer in the review log (one with a rubric length) as the
    answers themselves would have."""
    logs = sa.table(
        "review_logs",
        sa.column("id", sa.Integer()),
        sa.column("learner_id", sa.Integer()),
        sa.column("card_id", sa.String()),
        sa.column("variant", sa.SmallInteger()),
        sa.column("points_total", sa.SmallInteger()),
        sa.column("points_ticked", sa.JSON()),
        sa.column("flags_raised", sa.JSON()),
        sa.column("duration_ms", sa.Integer()),
    )
    groups: dict[tuple[Any, ...], dict[str, int]] = {}
    counted: dict[tuple[Any, ...], int] = {}
    timed: dict[tuple[Any, ...], int] = {}
    query = sa.select(logs).where(logs.c.points_total.is_not(None)).order_by(logs.c.id)
    for row in op.get_bind().execute(query):
        key = (row.learner_id, row.card_id, row.variant or 0, row.points_total)
        ticked, flags = row.points_ticked or [], row.flags_raised or []
        group = groups.setdefault(key, {"answers": 0, "ticked": 0, "flagged": 0, "first_log_id": row.id})
        group["answers"] += 1
        group["ticked"] += len(ticked)
        group["flagged"] += bool(flags)
        for kind, items in (("point", ticked), ("flag", flags)):
            for item in set(items):
                counted[(*key, kind, item)] = counted.get((*key, kind, item), 0) + 1
        if row.duration_ms is not None:
            moment = (row.learner_id, row.card_id, row.duration_ms)
            timed[moment] = timed.get(moment, 0) + 1
    names = ("learner_id", "card_id", "variant", "total")
    if groups:
        op.bulk_insert(tallies, [{**dict(zip(names, key, strict=True)), **n} for key, n in groups.items()])
    if counted:
        rows = [dict(zip((*names, "kind", "item", "times"), (*key, n), strict=True)) for key, n in counted.items()]
        op.bulk_insert(marks, rows)
    if timed:
        rows = [dict(zip(("learner_id", "card_id", "duration_ms", "answers"), (*key, n), strict=True)) for key, n in timed.items()]
        op.bulk_insert(times, rows)


def downgrade() -> None:
    for table in ("drill_times", "drill_marks", "drill_tallies"):
        op.drop_table(table)
