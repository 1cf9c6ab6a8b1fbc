"""cards_search on PostgreSQL: each card's words stored as a tsvector, kept by a trigger

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

The GIN index of 0013 was over an expression, so ranking recomputed every matching card's
tsvector (about 0.25 ms a card), and before the planner had statistics it filtered every card
through it (seconds on 10,000 cards). The words are now stored, one row per card in
`cards_search` (the name of SQLite's FTS5 table), written by a trigger on every insert and edit
of `cards` and deleted with the card; the GIN index is on the stored column. SQLite is unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _words(row: str, column: str) -> str:
    return f"to_tsvector('simple', regexp_replace({row}{column}, '[^[:alnum:]]+', ' ', 'g'))"


def _vector(row: str) -> str:
    return (
        f"setweight({_words(row, 'id')}, 'A') || setweight({_words(row, 'prompt')}, 'A')"
        f" || setweight({_words(row, 'text')}, 'A') || setweight({_words(row, 'answer')}, 'B')"
        f" || setweight({_words(row, 'why')}, 'C')"
    )


UPGRADE = [
    "DROP INDEX ix_cards_search",
    "CREATE TABLE cards_search (card_id VARCHAR(128) PRIMARY KEY"
    " REFERENCES cards (id) ON DELETE CASCADE ON UPDATE CASCADE, words TSVECTOR NOT NULL)",
    "CREATE INDEX ix_cards_search ON cards_search USING gin (words)",
    f"""CREATE FUNCTION cards_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cards_search (card_id, words) VALUES (NEW.id, {_vector("NEW.")})
    ON CONFLICT (card_id) DO UPDATE SET words = EXCLUDED.words;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER cards_search_write AFTER INSERT OR UPDATE OF id, prompt, text, answer, why ON cards"
    " FOR EACH ROW EXECUTE FUNCTION cards_search_write()",
    f"INSERT INTO cards_search (card_id, words) SELECT id, {_vector('')} FROM cards",
]
DOWNGRADE = [
    "DROP TRIGGER cards_search_write ON cards",
    "DROP FUNCTION cards_search_write()",
    "DROP TABLE cards_search",
    f"CREATE INDEX ix_cards_search ON cards USING gin (({_vector('')}))",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for statement in DOWNGRADE:
            op.execute(statement)
