"""card_totals.graded and passed: per card, the answers given in review state and those not
Again, so fact recall per domain reads the card totals instead of the review log

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

The new columns are counted from the review log for every card total already kept; from then
on every answer and undo keeps them in step.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVIEW = 2
AGAIN = 1


def upgrade() -> None:
    for name in ("graded", "passed"):
        op.add_column("card_totals", sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    logs = "review_logs l WHERE l.learner_id = card_totals.learner_id AND l.card_id = card_totals.card_id"
    op.execute(
        f"UPDATE card_totals SET graded = (SELECT count(*) FROM {logs} AND l.state_before = {REVIEW}),"
        f" passed = (SELECT count(*) FROM {logs} AND l.state_before = {REVIEW} AND l.rating != {AGAIN})"
    )


def downgrade() -> None:
    with op.batch_alter_table("card_totals") as batch:
        batch.drop_column("passed")
        batch.drop_column("graded")
