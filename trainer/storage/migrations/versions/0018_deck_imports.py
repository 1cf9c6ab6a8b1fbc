"""deck_imports: the imports of deck files that committed

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

An import moves its deck files and images into the deck folder under a journal, then syncs them
in one transaction that also records the journal's id here. A crash that leaves the journal is
settled by this table: a recorded import is kept, any other rolled back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deck_imports",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("committed_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deck_imports")
