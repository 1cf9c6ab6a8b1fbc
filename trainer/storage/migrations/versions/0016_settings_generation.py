"""learner_settings.generation: a counter of each learner's settings saves, so every process
notices a settings change made by another

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

Each process of a multi-worker server (and the terminal beside it) keeps a learner's settings
between calls. Saving them moves the learner's counter on in the same transaction; a process
reads it in the same statement as the decks generation and loads the settings again when it
has moved.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "learner_settings",
        sa.Column("generation", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("learner_settings") as batch:
        batch.drop_column("generation")
