"""Browse search on both databases: words in any order, all required, ranked; filters that
combine; any text a learner types; an index that follows every sync; upgraded collections."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import event, select, text

from tests.conftest import NOW
from tests.storage.test_upgrades import SCHEMA_FIXTURES
from trainer import CardKind, Collection, Rating
from trainer.decks.browse import CardQuery, DueFilter, StateFilter, search_cards
from trainer.storage import store
from trainer.storage.database import read_transaction
from trainer.storage.fulltext import match_words, search_words

CARDS: list[dict[str, Any]] = [
    {
        "id": "recall-over-precision",
        "kind": "fact",
        "prompt": "Why favour recall over precision when screening fraud?",
        "answer": "A missed fraud costs more than a second look.",
        "concepts": ["cost-asymmetry"],
    },
    {
        "id": "what-precision-measures",
        "kind": "fact",
        "prompt": "What does precision measure?",
        "answer": "The share of flagged cases that are real.",
        "concepts": ["class-imbalance"],
    },
    {
        "id": "reliability-diagram",
        "kind": "fact",
        "prompt": "What does a reliability diagram plot?",
        "answer": "Predicted against observed rates.",
        "why": "Reading it judges calibration.",
        "concepts": ["class-imbalance"],
    },
    {
        "id": "calibration-meaning",
        "kind": "fact",
        "prompt": "What is calibration of a classifier?",
        "answer": "Scores that match observed rates.",
        "concepts": ["class-imbalance"],
    },
    {
        "id": "scoring-latency",
        "kind": "cloze",
        "text": "Online fraud scoring must answer within {{c1::tens of milliseconds}}.",
        "concepts": ["cost-asymmetry"],
    },
    {
        "id": "design-screening",
        "kind": "drill",
        "prompt": "Design fraud screening for card payments.",
        "answer": "Score each payment, queue the doubtful ones for review.",
        "points": ["Prices both errors", "States a latency budget", "Plans monitoring"],
        "concepts": ["cost-asymmetry"],
    },
]
HOSTILE = [
    '"',
    "'",
    "*",
    "-",
    ":",
    "AND",
    "OR NOT",
    "NEAR(recall precision)",
    '"unterminated recall',
    "recall*",
    "-precision",
    "prompt:recall",
    "^recall",
    "{recall precision}",
    "recall + precision",
    "\\",
    "%_",
    "'); DROP TABLE cards; --",
    "ünïcödé ∑ 😀 中文",
    "\x00recall",
    "a" * 5000,
    " ".join(["precision"] * 1000),
    ":*&|!<->",
]


def _write(folder: Path, cards: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "concepts.yaml").write_text(
        yaml.safe_dump(
            {
                "concepts": [
                    {"id": "class-imbalance", "description": "Rare positives."},
                    {"id": "cost-asymmetry", "description": "Errors cost different amounts."},
                ]
            }
        )
    )
    deck = {"deck": "metrics", "title": "Metrics", "description": "Search tests.", "cards": cards}
    (folder / "metrics.yaml").write_text(yaml.safe_dump(deck, sort_keys=False))
    return folder


@pytest.fixture
def searchable(db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]) -> Collection:
    col = open_collection(db_url)
    col.sync_decks([_write(tmp_path / "search-decks", CARDS)], now=NOW)
    return col


def found(col: Collection, query: CardQuery | str = "", **moment: float) -> list[str]:
    wanted = CardQuery(text=query) if isinstance(query, str) else query
    result = search_cards(col, wanted, limit=500, now=NOW + timedelta(**moment))
    ids = [study.id for study in result.cards]
    assert result.total == len(ids)
    return ids


def test_words_match_in_any_order_and_all_are_required(searchable: Collection) -> None:
    assert found(searchable, "precision recall") == ["recall-over-precision"]
    assert found(searchable, "recall precision") == ["recall-over-precision"]
    assert found(searchable, "Precision, RECALL?") == ["recall-over-precision"]
    assert found(searchable, "precision recall diagram") == []
    assert found(searchable, "milliseconds scoring") == ["scoring-latency"], "cloze text is searched"
    assert found(searchable, "doubtful queue") == ["design-screening"], "a drill's answer is searched"


def test_each_word_matches_the_start_of_a_word(searchable: Collection) -> None:
    assert found(searchable, "reliab diag") == ["reliability-diagram"]
    assert found(searchable, "milli") == ["scoring-latency"]
    assert found(searchable, "illiseconds") == []


def test_ids_are_found_by_their_words(searchable: Collection) -> None:
    assert found(searchable, "what-precision-measures") == ["what-precision-measures"]
    assert found(searchable, "design-screening") == ["design-screening"]


def test_better_matches_come_first(searchable: Collection) -> None:
    # In deck order each pair is the other way round.
    assert found(searchable, "calibration") == ["calibration-meaning", "reliability-diagram"], (
        "prompt over why"
    )
    assert found(searchable, "precision") == ["what-precision-measures", "recall-over-precision"], (
        "id and prompt"
    )


def test_filters_each_and_combined(searchable: Collection) -> None:
    col = searchable
    assert found(col, CardQuery(kind=CardKind.CLOZE)) == ["scoring-latency"]
    assert found(col, CardQuery(kind=CardKind.DRILL)) == ["design-screening"]
    assert found(col, CardQuery(concept="cost-asymmetry")) == [
        "recall-over-precision",
        "scoring-latency",
        "design-screening",
    ]
    assert found(col, CardQuery(text="fraud", kind=CardKind.FACT)) == ["recall-over-precision"]
    assert sorted(found(col, CardQuery(deck="metrics", concept="class-imbalance", text="observed"))) == [
        "calibration-meaning",
        "reliability-diagram",
    ]
    assert found(col, CardQuery(deck="nowhere")) == []

    col.answer("recall-over-precision", Rating.Easy, NOW)  # review, due in some days
    col.answer("what-precision-measures", Rating.Again, NOW)  # learning, due in minutes
    col.suspend("reliability-diagram")
    new = ["reliability-diagram", "calibration-meaning", "scoring-latency", "design-screening"]
    assert found(col, CardQuery(state=StateFilter.REVIEW)) == ["recall-over-precision"]
    assert found(col, CardQuery(state=StateFilter.LEARNING)) == ["what-precision-measures"]
    assert found(col, CardQuery(state=StateFilter.NEW)) == new
    assert found(col, CardQuery(state=StateFilter.NEW, suspended=False)) == new[1:]
    assert found(col, CardQuery(suspended=True)) == ["reliability-diagram"]
    assert found(col, CardQuery(suspended=True, text="calibration")) == ["reliability-diagram"]
    assert found(col, CardQuery(suspended=True, kind=CardKind.CLOZE)) == []

    review_due = col.card("recall-over-precision").memory.due
    assert review_due is not None and review_due > NOW + timedelta(days=1)
    assert found(col, CardQuery(due=DueFilter.TODAY), minutes=1) == ["what-precision-measures"]
    assert found(col, CardQuery(due=DueFilter.OVERDUE), minutes=1) == []
    later = (review_due - NOW) + timedelta(days=2)
    assert found(col, CardQuery(due=DueFilter.OVERDUE), seconds=later.total_seconds()) == [
        "recall-over-precision",
        "what-precision-measures",
    ]
    assert found(
        col, CardQuery(due=DueFilter.OVERDUE, state=StateFilter.REVIEW, text="precision"), days=400
    ) == ["recall-over-precision"]


def test_leech_filter(searchable: Collection) -> None:
    col = searchable
    col.configure(leech_threshold=1, leech_action="tag", now=NOW)
    col.answer("calibration-meaning", Rating.Easy, NOW)
    due = col.card("calibration-meaning").memory.due
    assert due is not None
    col.answer("calibration-meaning", Rating.Again, due)
    assert col.card("calibration-meaning").memory.leech
    assert found(col, CardQuery(leech=True)) == ["calibration-meaning"]
    assert found(col, CardQuery(leech=True, text="calibration")) == ["calibration-meaning"]
    assert found(col, CardQuery(leech=False, text="calibration")) == ["reliability-diagram"]
    assert found(col, CardQuery(leech=True, kind=CardKind.CLOZE)) == []


@pytest.mark.parametrize("typed", HOSTILE, ids=range(len(HOSTILE)))
def test_any_text_is_a_search_never_an_error(searchable: Collection, typed: str) -> None:
    result = search_cards(searchable, CardQuery(text=typed), now=NOW)
    assert result.total == len(result.cards) <= len(CARDS)


def test_operators_and_quotes_are_only_words(searchable: Collection) -> None:
    assert found(searchable, '"recall" precision*') == ["recall-over-precision"]
    assert found(searchable, "-precision recall") == ["recall-over-precision"], "a dash does not negate"
    assert found(searchable, "recall OR calibration") == []
    assert found(searchable, "'); DROP TABLE cards; --") == []
    assert len(found(searchable)) == len(CARDS)


def test_parse_reports_every_bad_value() -> None:
    query = CardQuery.parse(" recall ", kind="cloze", state="learning", due="today", leech="no", suspended="")
    assert query == CardQuery(
        text=" recall ", kind=CardKind.CLOZE, state=StateFilter.LEARNING, due=DueFilter.TODAY, leech=False
    )
    with pytest.raises(ValueError) as caught:
        CardQuery.parse(kind="note", state="suspended", leech="maybe")
    message = str(caught.value)
    assert "kind must be one of fact, cloze, drill" in message
    assert (
        "state must be one of new, learning, review" in message and "leech must be one of yes, no" in message
    )


def test_the_index_follows_every_sync(searchable: Collection, tmp_path: Path) -> None:
    col = searchable
    folder = tmp_path / "search-decks"
    edited = [dict(card) for card in CARDS]
    edited[3]["prompt"] = "What is calibration of a regressor?"
    del edited[2]
    edited.append(
        {
            "id": "pr-auc",
            "kind": "fact",
            "prompt": "When is PR AUC better than ROC AUC?",
            "answer": "On rare positives.",
            "concepts": ["class-imbalance"],
        }
    )
    report = col.sync_decks([_write(folder, edited)], now=NOW)
    assert (report.added, report.updated, report.retired) == (1, 1, 1)
    assert found(col, "regressor") == ["calibration-meaning"]
    assert found(col, "classifier") == []
    assert found(col, "reliability") == [] and found(col, "calibration") == ["calibration-meaning"]
    assert found(col, "auc rare") == ["pr-auc"]
    col.sync_decks([_write(folder, CARDS)], now=NOW)
    assert found(col, "reliability") == ["reliability-diagram"], "a card that comes back is found again"
    assert found(col, "auc") == []
    _assert_index_matches_cards(col)


def _assert_index_matches_cards(col: Collection) -> None:
    with read_transaction(col.engine) as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("INSERT INTO cards_search(cards_search, rank) VALUES ('integrity-check', 1)"))


def test_words_are_matched_through_the_index(searchable: Collection) -> None:
    """On SQLite the match runs once per search (not once per card, as a join driven from
    card_states would run it); PostgreSQL's match is the expression of its GIN index."""
    with searchable.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if not sqlite:
            sent: list[str] = []

            def send(*args: Any) -> None:
                sent.append(args[2])

            event.listen(searchable.engine, "before_cursor_execute", send)
            search_cards(searchable, CardQuery(text="fraud"), now=NOW)
            event.remove(searchable.engine, "before_cursor_execute", send)
            # Prepared statements would otherwise soon get a generic plan that reads every card.
            assert sent[0] == "SET LOCAL plan_cache_mode = force_custom_plan", sent
            match = match_words(search_words("fraud screening"), store.cards, sqlite=False)
            query = select(store.cards.c.id).select_from(match.source).where(match.condition)
            sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql))
            assert "ix_cards_search" in plan, plan
            assert sorted(conn.execute(query).scalars()) == ["design-screening", "recall-over-precision"]
            return
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(searchable.engine, "before_cursor_execute", keep)
    for query in (CardQuery(text="fraud screening"), CardQuery(text="fraud", deck="metrics", concept="x")):
        search_cards(searchable, query, now=NOW)
    event.remove(searchable.engine, "before_cursor_execute", keep)
    searched = [(sql, params) for sql, params in statements if "cards_search" in sql]
    assert len(searched) == 4, "a page and a count for each search"
    with searchable.engine.connect() as conn:
        for sql, params in searched:
            plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
            assert "MATERIALIZE matched" in plan, plan
            scans = [step for step in plan if "cards_search" in step]
            assert scans == ["SCAN cards_search VIRTUAL TABLE INDEX 0:M5"], plan


def test_an_upgraded_collection_is_searchable(
    tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    database = tmp_path / "trainer.db"
    shutil.copy(SCHEMA_FIXTURES / "0012.db", database)
    col = open_collection(f"sqlite:///{database}")
    assert sorted(found(col, "fraud")) == ["a-drill", "a-fact"]
    assert found(col, "milliseconds tens") == ["a-cloze"]
    _assert_index_matches_cards(col)


def test_the_index_is_filled_from_the_cards_a_database_already_holds(searchable: Collection) -> None:
    from alembic import command

    from trainer.storage.database import alembic_config, migrate, write_transaction

    config = alembic_config()
    with write_transaction(searchable.engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0012")
    migrate(searchable.engine)
    assert found(searchable, "precision recall") == ["recall-over-precision"]
    assert found(searchable, "milliseconds scoring") == ["scoring-latency"]
    _assert_index_matches_cards(searchable)


def test_check_finds_and_repairs_a_stale_index(sqlite_url: str, tmp_path: Path, open_collection: Any) -> None:
    from trainer.check import check_database

    col = open_collection(sqlite_url)
    col.sync_decks([_write(tmp_path / "search-decks", CARDS)], now=NOW)
    with col.engine.begin() as conn:  # as if a VACUUM had renumbered a card's rowid
        conn.exec_driver_sql(
            "INSERT INTO cards_search(cards_search, rowid, id, prompt, text, answer, why) SELECT 'delete',"
            " rowid, id, prompt, text, answer, why FROM cards WHERE id = 'calibration-meaning'"
        )
    assert found(col, "calibration") == ["reliability-diagram"]
    report = check_database(col.engine)
    assert [problem.kind for problem in report.problems] == ["search"]
    repaired = check_database(col.engine, repair=True, now=NOW)
    assert repaired.repairs == ["search index rebuilt from the cards"]
    assert check_database(col.engine).ok
    assert found(col, "calibration") == ["calibration-meaning", "reliability-diagram"]
