"""Drills: styles, weighted rubrics, variants, follow-ups, typed answers and learners' own stories

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

Every new column is nullable, so every existing card and review stays as it was: a drill synced
before this revision reads as a design drill with the default time target until the next sync
stores its new fields, and an old review simply has no variant, optional points or red flags.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVIEW_COLUMNS = ("variant", "optional_ticked", "flags_raised", "follow_ups_done", "typed_answer")


def upgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("style", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("time_target_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("drill", sa.JSON(), nullable=True))
    # Plain ADD COLUMNs: review_logs is the largest table, and copying it (as SQLite's batch
    # mode would) is not needed to add nullable columns.
    op.add_column("review_logs", sa.Column("variant", sa.SmallInteger(), nullable=True))
    op.add_column("review_logs", sa.Column("optional_ticked", sa.JSON(), nullable=True))
    op.add_column("review_logs", sa.Column("flags_raised", sa.JSON(), nullable=True))
    op.add_column("review_logs", sa.Column("follow_ups_done", sa.JSON(), nullable=True))
    op.add_column("review_logs", sa.Column("typed_answer", sa.Text(), nullable=True))
    op.create_table(
        "learner_stories",
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"]),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"]),
        sa.PrimaryKeyConstraint("learner_id", "card_id"),
    )


def downgrade() -> None:
    op.drop_table("learner_stories")
    with op.batch_alter_table("review_logs", schema=None) as batch_op:
        for name in REVIEW_COLUMNS:
            batch_op.drop_column(name)
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_column("drill")
        batch_op.drop_column("time_target_s")
        batch_op.drop_column("style")
