"""review_logs: a covering index for the statistics' per-card aggregates

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

The statistics group a learner's log by card, in a time window (the per-domain report) or over
all of it (gap attribution), and count graded, passed and ticked rubric points. With every
column they read in one index ordered by card, the database streams the groups out of the index
without a sort and without reading the wide rows (whose `before`/`after` JSON dominate them).
PostgreSQL cannot use a JSON column as an index key, so there `points_ticked` is an included
column; SQLite has no INCLUDE, so there it is the last key column.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_review_logs_card_outcomes"
KEYS = ["learner_id", "card_id", "reviewed_at", "state_before", "rating", "points_total"]


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.create_index(NAME, "review_logs", KEYS, postgresql_include=["points_ticked"])
    else:
        op.create_index(NAME, "review_logs", [*KEYS, "points_ticked"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="review_logs")
