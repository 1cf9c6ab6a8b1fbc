"""decks: an owner, for a learner's own deck of cards they wrote

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

A deck with an owner is studied by that learner only: the other learners get no state for its
cards. Every deck synced before is shared (no owner). The column names a learner (learners are
never deleted) without a foreign key: SQLite adds one only by rebuilding `decks`, which every card
references.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("decks", sa.Column("owner_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decks") as batch_op:
        batch_op.drop_column("owner_id")
