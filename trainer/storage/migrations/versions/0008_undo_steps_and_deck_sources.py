"""undo_steps: suspend and bury on the learner's undo stack; deck_sources: the synced deck paths

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-07

Answers are undone from the review log; suspending, unsuspending and burying are recorded in
`undo_steps` with the card's state before, so one undo stack covers every study action. Each
step keeps the newest review-log id at the time, which orders it among the answers.
`deck_sources` holds every deck folder or file the collection has been synced from, so a later
sync without paths reads all of them instead of retiring the cards of the ones not named.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "undo_steps",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after_log_id", sa.BigInteger(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"]),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_undo_steps_learner_id", "undo_steps", ["learner_id", "id"])
    op.create_table(
        "deck_sources",
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("path"),
    )


def downgrade() -> None:
    op.drop_table("deck_sources")
    op.drop_index("ix_undo_steps_learner_id", table_name="undo_steps")
    op.drop_table("undo_steps")
