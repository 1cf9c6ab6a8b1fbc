"""Edges of the domain x concept reads: each learner's grid holds only their own cards, a reviewed
card without a stability counts as no recall (as `Collection.retrievability` says), and a frame
whose columns would clash with the concept rows is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import update

from tests.insights.test_stats import NOW, write_decks
from trainer import Collection, Rating
from trainer.insights.weakness import domain_concept_retrievability, with_concepts
from trainer.storage import store
from trainer.storage.database import write_transaction

DECKS = {"d1": [("d1-a", ["alpha"]), ("d1-b", ["alpha"]), ("d1-c", ["beta"])], "d2": [("d2-x", ["alpha"])]}
LATER = NOW + timedelta(days=3)


def _cells(grid: pd.DataFrame) -> dict[tuple[str, str], float]:
    """The grid's cells that hold a reviewed card."""
    return {key: float(value) for key, value in grid.stack().dropna().items()}


def test_the_recall_grid_holds_only_the_learners_own_reviewed_cards(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    alice = open_collection(db_url, user="alice")
    alice.sync_decks([write_decks(tmp_path / "decks", DECKS)], now=NOW)
    bob = open_collection(db_url, user="bob")
    alice.answer("d1-a", Rating.Easy, NOW)
    for card in ("d1-a", "d1-c", "d2-x"):
        bob.answer(card, Rating.Again, NOW)
    assert _cells(domain_concept_retrievability(alice, LATER)) == pytest.approx(
        {("d1", "alpha"): alice.retrievability("d1-a", LATER)}
    )
    bob_expected = {
        ("d1", "alpha"): bob.retrievability("d1-a", LATER),
        ("d1", "beta"): bob.retrievability("d1-c", LATER),
        ("d2", "alpha"): bob.retrievability("d2-x", LATER),
    }
    assert _cells(domain_concept_retrievability(bob, LATER)) == pytest.approx(bob_expected)
    # The two learners' memories of d1-a differ, so a grid mixing them would show it.
    assert alice.retrievability("d1-a", LATER) != pytest.approx(bob.retrievability("d1-a", LATER))


def _forget_stability(col: Collection, card_id: str) -> None:
    s = store.states
    with write_transaction(col.engine) as conn:
        conn.execute(
            update(s).where(s.c.learner_id == col.learner_id, s.c.card_id == card_id).values(stability=None)
        )


def test_a_reviewed_card_without_a_stability_counts_as_no_recall(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(db_url)
    col.sync_decks([write_decks(tmp_path / "decks", DECKS)], now=NOW)
    col.answer("d1-a", Rating.Good, NOW)
    col.answer("d1-b", Rating.Good, NOW)
    _forget_stability(col, "d1-b")
    assert col.retrievability("d1-b", LATER) == 0.0
    recalled = col.retrievability("d1-a", LATER)
    assert recalled > 0.5
    # The cell is the mean over its reviewed cards, d1-b's recall being 0.
    assert _cells(domain_concept_retrievability(col, LATER)) == pytest.approx({("d1", "alpha"): recalled / 2})
    # With no stability anywhere the grid is still one of numbers: every reviewed cell at 0.
    _forget_stability(col, "d1-a")
    grid = domain_concept_retrievability(col, LATER)
    assert _cells(grid) == {("d1", "alpha"): 0.0}
    assert list(grid.dtypes) == [float]


def test_concept_rows_keep_every_other_column_in_order() -> None:
    frame = pd.DataFrame(
        {"card_id": ["a", "b", "c"], "concepts": ['["x", "y"]', "[]", '["y"]'], "reviews": [3, 1, 2]}
    )
    rows = with_concepts(frame)
    assert list(rows.columns) == ["card_id", "reviews", "concept"]
    assert list(rows.itertuples(index=False, name=None)) == [("a", 3, "x"), ("a", 3, "y"), ("c", 2, "y")]


@pytest.mark.parametrize("name", ["concept", "code"])
def test_a_frame_with_a_clashing_column_is_refused(name: str) -> None:
    frame = pd.DataFrame({"card_id": ["a"], "concepts": ['["x"]'], name: ["kept?"]})
    with pytest.raises(ValueError, match=f"column named '{name}'"):
        with_concepts(frame)
