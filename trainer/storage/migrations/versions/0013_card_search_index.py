"""cards: a full-text index of each card's id, prompt, cloze text, answer and why

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Browse finds cards by words in any order, ranked. On SQLite an FTS5 table reads its text from
`cards` (external content) and three triggers keep it in step with every insert, edit and
delete, so a deck sync needs no extra step; it is filled from the existing cards here. On
PostgreSQL a GIN index over the weighted `tsvector` of the same fields serves the `@@` match; the
expression must stay the one `trainer.storage.fulltext` queries with.

Both sides see the same words: runs of letters and digits, lower-cased, neither stemmed nor
stripped of accents (so `ml-precision-recall` is the words `ml`, `precision` and `recall`).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "id, prompt, text, answer, why"
INDEX = "ix_cards_search"


def _values(prefix: str) -> str:
    return ", ".join(f"{prefix}.{column}" for column in COLUMNS.split(", "))


SQLITE_UPGRADE = [
    f"CREATE VIRTUAL TABLE cards_search USING fts5({COLUMNS}, content='cards', content_rowid='rowid',"
    " tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER cards_search_insert AFTER INSERT ON cards BEGIN"
    f" INSERT INTO cards_search(rowid, {COLUMNS}) VALUES (new.rowid, {_values('new')}); END",
    f"CREATE TRIGGER cards_search_delete AFTER DELETE ON cards BEGIN"
    f" INSERT INTO cards_search(cards_search, rowid, {COLUMNS}) VALUES ('delete', old.rowid, {_values('old')});"
    " END",
    f"CREATE TRIGGER cards_search_update AFTER UPDATE OF {COLUMNS} ON cards BEGIN"
    f" INSERT INTO cards_search(cards_search, rowid, {COLUMNS}) VALUES ('delete', old.rowid, {_values('old')});"
    f" INSERT INTO cards_search(rowid, {COLUMNS}) VALUES (new.rowid, {_values('new')}); END",
    "INSERT INTO cards_search(cards_search) VALUES ('rebuild')",
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER cards_search_update",
    "DROP TRIGGER cards_search_delete",
    "DROP TRIGGER cards_search_insert",
    "DROP TABLE cards_search",
]


def _words(column: str) -> str:
    return f"to_tsvector('simple', regexp_replace({column}, '[^[:alnum:]]+', ' ', 'g'))"


POSTGRESQL_VECTOR = (
    f"setweight({_words('id')}, 'A') || setweight({_words('prompt')}, 'A')"
    f" || setweight({_words('text')}, 'A') || setweight({_words('answer')}, 'B')"
    f" || setweight({_words('why')}, 'C')"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UPGRADE:
            op.execute(statement)
    else:
        op.execute(f"CREATE INDEX {INDEX} ON cards USING gin (({POSTGRESQL_VECTOR}))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
    else:
        op.execute(f"DROP INDEX {INDEX}")
