"""New cards come with drills mixed in, so a learner meets drills in the first session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.conftest import NOW, REPO_DECKS
from trainer import CardKind, Collection, Rating
from trainer.study.introduction import drills_due


@pytest.mark.parametrize(
    ("every", "pattern"),
    [
        (5, "fdffffdffffdfff"),
        (3, "fdffdffdfffffff"),
        (1, "fdddfffffffffff"),
        (0, "ffffffffffffddd"),
    ],
)
def test_drills_are_mixed_into_a_domains_new_cards(
    sqlite_url: str,
    tmp_path: Path,
    decks_dir: Path,
    open_collection: Callable[..., Collection],
    every: int,
    pattern: str,
) -> None:
    facts = [
        f"  - id: m-fact-{i}\n    kind: fact\n    prompt: Q{i}?\n    answer: A{i}.\n"
        "    concepts: [class-imbalance]\n"
        for i in range(12)
    ]
    drills = [
        f"  - id: m-drill-{i}\n    kind: drill\n    prompt: D{i}?\n    answer: M{i}.\n"
        "    points: [one, two, three]\n    concepts: [class-imbalance]\n"
        for i in range(3)
    ]
    (decks_dir / "mixed.yaml").write_text("deck: mixed\ntitle: Mixed\ncards:\n" + "".join(facts + drills))
    col = open_collection(sqlite_url)
    col.sync_decks([decks_dir], now=NOW)
    col.configure(now=NOW, new_drill_every=every, new_per_day=100, learning_steps=[])
    kinds = []
    for minute in range(15):
        moment = NOW + timedelta(minutes=minute)
        card = col.next_card(now=moment, domain="mixed")
        assert card is not None
        kinds.append("d" if card.card.kind == CardKind.DRILL else "f")
        col.answer(card.id, Rating.Good, now=moment)
    assert "".join(kinds) == pattern


def test_undo_brings_back_the_same_new_card(sqlite_col: Collection) -> None:
    first = sqlite_col.next_card(now=NOW, domain="alpha")
    assert first is not None
    sqlite_col.answer(first.id, Rating.Good, now=NOW)
    second = sqlite_col.next_card(now=NOW, domain="alpha")
    assert second is not None and second.card.kind == CardKind.DRILL
    sqlite_col.answer(second.id, Rating.Good, now=NOW)
    sqlite_col.undo()
    again = sqlite_col.next_card(now=NOW, domain="alpha")
    assert again is not None and again.id == second.id


def test_a_first_session_of_20_cards_with_the_bundled_decks_includes_drills(
    sqlite_url: str, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(sqlite_url)
    col.sync_decks([REPO_DECKS], now=NOW)
    kinds = []
    for minute in range(20):
        moment = NOW + timedelta(minutes=minute)
        card = col.next_card(now=moment)
        assert card is not None
        kinds.append(card.card.kind)
        col.answer(card.id, Rating.Easy, now=moment)
    assert kinds.count(CardKind.DRILL) >= 3


def test_the_setting_is_validated(sqlite_col: Collection) -> None:
    with pytest.raises(Exception, match="new_drill_every"):
        sqlite_col.configure(now=NOW, new_drill_every=-1)
    assert drills_due(0, 5) == 0 and drills_due(1, 5) == 1 and drills_due(6, 5) == 2


def _deck_of(folder: Path, facts: int, drills: int) -> Path:
    """A deck folder with `facts` facts followed by `drills` drills (file order: drills last)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "concepts.yaml").write_text("concepts:\n  - id: recall\n    description: Recall.\n")
    entries = [
        f"  - id: s-fact-{i}\n    kind: fact\n    prompt: Q{i}?\n    answer: A{i}.\n    concepts: [recall]\n"
        for i in range(facts)
    ] + [
        f"  - id: s-drill-{i}\n    kind: drill\n    prompt: D{i}?\n    answer: M{i}.\n"
        "    points: [one, two, three]\n    concepts: [recall]\n"
        for i in range(drills)
    ]
    (folder / "size.yaml").write_text(
        "deck: size\ntitle: Size\ndescription: Scaling.\ncards:\n" + "".join(entries)
    )
    return folder


def _steps_to_serve_a_new_card(url: str, decks: Path, introduced: int) -> int:
    """SQLite virtual-machine steps (in hundreds) spent picking the next card, once `introduced`
    of the deck's facts are in review and not due: a count of work done, not of time."""
    with Collection.open(url) as col:
        col.sync_decks([decks], now=NOW)
        with col.engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE card_states SET queue = 2, state = 2, due = '2099-01-01 00:00:00'"
                " WHERE card_id IN (SELECT id FROM cards WHERE kind = 'fact' ORDER BY position LIMIT ?)",
                (introduced,),
            )
        col.engine.dispose()
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            dbapi_connection.set_progress_handler(count, 100)

        event.listen(col.engine.pool, "checkout", on_checkout)
        try:
            card = col.next_card(now=NOW)
        finally:
            event.remove(col.engine.pool, "checkout", on_checkout)
        assert card is not None and card.card.kind in (CardKind.FACT, CardKind.DRILL)
        return steps[0]


@pytest.mark.parametrize("drills", [0, 3])
def test_serving_a_new_card_costs_the_same_in_a_deck_ten_times_larger(tmp_path: Path, drills: int) -> None:
    small = _steps_to_serve_a_new_card(
        f"sqlite:///{tmp_path / 'small.db'}", _deck_of(tmp_path / "small", 400, drills), 200
    )
    large = _steps_to_serve_a_new_card(
        f"sqlite:///{tmp_path / 'large.db'}", _deck_of(tmp_path / "large", 4000, drills), 2000
    )
    assert large < 2 * small + 20, (small, large)
