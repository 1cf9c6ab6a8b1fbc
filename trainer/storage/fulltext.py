"""Full-text matching of cards: a learner's words made into a safe FTS5 or PostgreSQL query.

The index (migrations 0013 and 0014) holds each card's id, prompt, cloze text, answer and why
as words: runs of letters and digits, lower-cased. The words of a search are cut out the same way here, so
quotes, `*`, `-`, `:` or `AND` in what a learner types are separators, never query syntax. Each
word must match the start of a word of the card (`recall` finds `recalls`); a card must match
every word, in any field and any order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ColumnClause,
    Connection,
    FromClause,
    Integer,
    MetaData,
    String,
    Table,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.exc import DatabaseError

MAX_WORDS = 32
MAX_WORD_LENGTH = 64
_WORD = re.compile(r"[^\W_]+")

# The same name on both: an FTS5 table on SQLite, a table of stored tsvectors on PostgreSQL.
_fts5 = Table("cards_search", MetaData(), Column("rowid", Integer, primary_key=True))
_vectors = Table(
    "cards_search", MetaData(), Column("card_id", String, primary_key=True), Column("words", TSVECTOR)
)
# bm25 weights in the FTS5 table's column order (id, prompt, text, answer, why): the words a card
# asks with count most, its answer less, the explanation least; PostgreSQL's A, B and C.
_WEIGHTS = (4.0, 4.0, 4.0, 2.0, 1.0)


def search_words(text: str | None) -> list[str]:
    """The words of a search, lower-cased, first occurrence first: at most MAX_WORDS, each cut to
    MAX_WORD_LENGTH characters (still matching the words it begins). Anything but letters and
    digits separates words, so every input gives a valid list, perhaps empty."""
    found: dict[str, None] = {}
    for word in _WORD.findall((text or "").lower()):
        found.setdefault(word[:MAX_WORD_LENGTH])
        if len(found) == MAX_WORDS:
            break
    return list(found)


@dataclass(frozen=True)
class WordMatch:
    """How to select the cards matching every word: join `source` in place of `cards`'s join,
    filter on `condition` (if any), and order by `rank` (best first)."""

    source: FromClause
    condition: Any
    rank: Any


def match_words(words: list[str], joined: FromClause, *, sqlite: bool) -> WordMatch:
    """The FTS5 (SQLite) or tsquery (PostgreSQL) match of `words`, which must be non-empty and
    come from `search_words`, over `joined`, a join that includes the `cards` table."""
    if not words:
        raise ValueError("match_words needs at least one word")
    if sqlite:
        table: ColumnClause[Any] = literal_column("cards_search")
        # Each word quoted as an FTS5 string (its letters and digits need no escaping) and marked
        # as a prefix; strings side by side must all match. The matches are found once, in a
        # materialised CTE: joined the other way round, SQLite would run the match once per card.
        query = " ".join(f'"{word}"*' for word in words)
        matched = (
            select(_fts5.c.rowid, func.bm25(table, *_WEIGHTS).label("rank"))
            .where(table.op("MATCH")(query))
            .cte("matched")
            .prefix_with("MATERIALIZED")
        )
        source = joined.join(matched, matched.c.rowid == literal_column("cards.rowid"))
        return WordMatch(source, None, matched.c.rank)
    tsquery = func.to_tsquery(literal_column("'simple'"), " & ".join(f"'{word}':*" for word in words))
    source = joined.join(_vectors, _vectors.c.card_id == literal_column("cards.id"))
    # Normalisation 1 divides by the log of the card's length, as bm25 favours shorter cards.
    return WordMatch(source, _vectors.c.words.op("@@")(tsquery), -func.ts_rank(_vectors.c.words, tsquery, 1))


def plan_for_these_words(conn: Connection) -> None:
    """On PostgreSQL, have the rest of this transaction planned for its own parameters.

    A statement the driver has prepared is otherwise soon run with a generic plan, made without
    the words; that plan cannot tell a rare word from a common one and reads every card (about
    0.5 s on 10,000 cards, against 10-40 ms planned for the words). SQLite needs nothing."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


def index_is_current(conn: Connection) -> bool:
    """Whether the search index holds exactly the words of the cards. On SQLite the FTS5 table
    finds its cards by rowid, which a VACUUM or a table rebuilt by a migration may renumber; on
    PostgreSQL the rows are keyed by card id and written by their trigger, so always True."""
    if conn.dialect.name != "sqlite":
        return True
    try:
        conn.exec_driver_sql("INSERT INTO cards_search(cards_search, rank) VALUES ('integrity-check', 1)")
    except DatabaseError:
        return False
    return True


def rebuild_index(conn: Connection) -> None:
    """Write SQLite's search index afresh from the cards (nothing to do on PostgreSQL)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO cards_search(cards_search) VALUES ('rebuild')")
