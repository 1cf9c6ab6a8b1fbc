"""cards.note and cards.cloze: a cloze makes one card per cloze number, as in Anki

Revision ID: 0007
Revises: 0008
Create Date: 2026-12-07

Before, a cloze entry was one card that hid every gap. Now each cloze number is its own card:
the card of `{{c1::...}}` keeps the entry's id, the card of `{{cN::...}}` is `<id>-cN`, and all
of them name the entry in `note`. The present card becomes the card of its lowest number, so
its scheduling, history and undo steps stay with the gaps it was showing first; the cards of the other
numbers are added, as new, by the next sync. Its HTML is cleared, so that sync renders it for
its one number.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOZE_NUMBER = re.compile(r"\{\{c(\d+)::", re.DOTALL)
CARD_TABLES = ("card_states", "review_logs", "undo_steps", "learner_stories")
"""Every table whose rows belong to one card (by `card_id`)."""


def card_id_for(note: str, number: int) -> str:
    """The id of the card of cloze number `number` of the entry `note` (as trainer.decks does)."""
    return note if number == 1 else f"{note}-c{number}"


def upgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(length=128), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("cloze", sa.SmallInteger(), nullable=False, server_default="0"))
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE cards SET note = id"))
    clozes = conn.execute(sa.text("SELECT id, text FROM cards WHERE kind = 'cloze'")).all()
    existing = {row[0] for row in conn.execute(sa.text("SELECT id FROM cards")).all()}
    for card_id, text in clozes:
        numbers = [int(n) for n in CLOZE_NUMBER.findall(text or "") if int(n) > 0]
        lowest = min(numbers, default=1)
        conn.execute(
            sa.text("UPDATE cards SET cloze = :n, rendered = NULL WHERE id = :id"),
            {"n": lowest, "id": card_id},
        )
        target = card_id_for(card_id, lowest)
        if target != card_id and target not in existing:
            _rename_card(conn, card_id, target)
            existing.add(target)


def _rename_card(conn: sa.Connection, old: str, new: str) -> None:
    """Give the card `old` the id `new`, its learners' states and review log moving with it."""
    columns = [c for c in _card_columns(conn) if c != "id"]
    listed = ", ".join(columns)
    conn.execute(
        sa.text(f"INSERT INTO cards (id, {listed}) SELECT :new, {listed} FROM cards WHERE id = :old"),
        {"new": new, "old": old},
    )
    for table in CARD_TABLES:
        conn.execute(sa.text(f"UPDATE {table} SET card_id = :new WHERE card_id = :old"), {"new": new, "old": old})
    conn.execute(sa.text("DELETE FROM cards WHERE id = :old"), {"old": old})


def _card_columns(conn: sa.Connection) -> list[str]:
    return [column["name"] for column in sa.inspect(conn).get_columns("cards")]


def downgrade() -> None:
    conn = op.get_bind()
    # Only one card per entry existed before: each entry keeps its lowest number's card under
    # the entry's id; the other numbers' cards and their history go.
    rows = conn.execute(sa.text("SELECT id, note, cloze FROM cards WHERE kind = 'cloze'")).all()
    kept: dict[str, tuple[int, str]] = {}
    for card_id, note, number in rows:
        if note not in kept or number < kept[note][0]:
            kept[note] = (number, card_id)
    keep = {card_id for _, card_id in kept.values()}
    for card_id, _, _ in rows:
        if card_id not in keep:
            for table in reversed(CARD_TABLES):
                conn.execute(sa.text(f"DELETE FROM {table} WHERE card_id = :id"), {"id": card_id})
            conn.execute(sa.text("DELETE FROM cards WHERE id = :id"), {"id": card_id})
    for note, (_, card_id) in kept.items():
        if card_id != note:
            _rename_card(conn, card_id, note)
    conn.execute(sa.text("UPDATE cards SET rendered = NULL WHERE kind = 'cloze'"))
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_column("cloze")
        batch_op.drop_column("note")
