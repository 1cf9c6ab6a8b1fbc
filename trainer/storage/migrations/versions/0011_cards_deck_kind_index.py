"""cards: an index by deck, kind and position, for the drill mix of new cards

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

Introducing new cards with drills mixed in asks, on every new card served, for a deck's first new
drill and how many drills the learner has introduced. Read from the deck's drills in file order,
each looked up by its state's key, both cost a few rows whatever the size of the deck.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_cards_deck_kind_position"


def upgrade() -> None:
    op.create_index(NAME, "cards", ["deck", "kind", "position"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="cards")
