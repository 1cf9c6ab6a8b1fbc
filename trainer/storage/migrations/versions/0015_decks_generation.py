"""generations: a counter of deck changes, so every process notices a sync made by another

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

Each process of a multi-worker server keeps the list of decks a learner studies between calls.
A sync that changes the decks table (a deck folder, an import, the first card of a learner's own
deck) moves the "decks" counter on in its own transaction; a process reads the counter in the
transactions that use its list and reads the list again when the counter has moved.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    generations = op.create_table(
        "generations",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.bulk_insert(generations, [{"name": "decks", "value": 0}])


def downgrade() -> None:
    op.drop_table("generations")
