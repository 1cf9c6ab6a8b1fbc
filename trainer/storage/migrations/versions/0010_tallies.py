"""Tallies kept by every answer for the statistics: per deck and day, per card, per
calibration bin and per rubric point

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-07

The tables start empty and with no basis, so the statistics rebuild each learner's tallies from
the review log on their first read; from then on every answer and undo keeps them in step.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _learner() -> sa.Column[int]:
    return sa.Column("learner_id", sa.Integer(), sa.ForeignKey("learners.id"), nullable=False)


def _counts(*names: str) -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "deck_days",
        _learner(),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("deck", sa.String(length=64), nullable=False),
        *_counts(
            "reviews", "failed", "graded", "passed", "attempts", "recalled", "introduced", "ticked", "possible"
        ),
        sa.Column("duration_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("learner_id", "day", "deck"),
    )
    op.create_table(
        "card_totals",
        _learner(),
        sa.Column("card_id", sa.String(length=128), nullable=False),
        *_counts("reviews", "failed"),
        sa.PrimaryKeyConstraint("learner_id", "card_id"),
    )
    op.create_table(
        "calibration_bins",
        _learner(),
        sa.Column("deck", sa.String(length=64), nullable=False),
        sa.Column("bin", sa.SmallInteger(), nullable=False),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("predicted", sa.Float(), nullable=False),
        sa.Column("recalled", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("learner_id", "deck", "bin"),
    )
    op.create_table(
        "rubric_tallies",
        _learner(),
        sa.Column("card_id", sa.String(length=128), nullable=False),
        sa.Column("total", sa.SmallInteger(), nullable=False),
        sa.Column("point", sa.SmallInteger(), nullable=False),
        *_counts("shown", "ticked"),
        sa.PrimaryKeyConstraint("learner_id", "card_id", "total", "point"),
    )
    op.create_table(
        "tally_bases",
        _learner(),
        sa.Column("basis", sa.String(length=200), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("learner_id"),
    )


def downgrade() -> None:
    for table in ("tally_bases", "rubric_tallies", "calibration_bins", "card_totals", "deck_days"):
        op.drop_table(table)
