"""New cards come with drills mixed in, so a learner meets drills in the first session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

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
