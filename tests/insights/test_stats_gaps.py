"""Domain x concept views: a concept weak everywhere is a concept gap, a domain weak across its
concepts is a domain gap; the rubric points missed most often come first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.insights.test_stats import NOW, graduate, review_days, write_decks
from trainer import Collection, Rating
from trainer.insights.weakness import (
    concept_gaps,
    domain_concept_retrievability,
    domain_gaps,
    gap_attribution,
    missed_points,
)

DOMAINS = ["d1", "d2", "d3"]
CONCEPTS = ["alpha", "beta", "gamma"]


def grid_collection(
    url: str, tmp_path: Path, opener: Callable[..., Collection], failing: Callable[[str, str], bool]
):
    decks = {d: [(f"{d}-{c}-{i}", [c]) for c in CONCEPTS for i in range(2)] for d in DOMAINS}
    col = opener(url)
    col.sync_decks([write_decks(tmp_path / "decks", decks)], now=NOW)
    col.configure(new_per_day=9999, reviews_per_day=99999, enable_fuzzing=False)
    ids = [card for cards in decks.values() for card, _ in cards]
    graduate(col, ids, NOW)
    plan = {card: [not failing(card.split("-")[0], card.split("-")[1])] * 5 for card in ids}
    return col, review_days(col, plan, NOW)


def test_a_concept_failed_in_every_domain_is_a_concept_gap(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col, _ = grid_collection(db_url, tmp_path, open_collection, lambda _d, c: c == "beta")
    attribution = gap_attribution(col)
    assert concept_gaps(attribution) == ["beta"]
    assert domain_gaps(attribution) == []
    beta = attribution[attribution["concept"] == "beta"]
    assert set(beta["gap"]) == {"concept"}
    assert set(attribution[attribution["concept"] != "beta"]["gap"]) == {""}
    assert beta["concept_effect"].min() > 0.15
    assert attribution["domain_effect"].abs().max() < 0.01


def test_a_domain_failed_across_its_concepts_is_a_domain_gap(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col, _ = grid_collection(db_url, tmp_path, open_collection, lambda d, _c: d == "d2")
    attribution = gap_attribution(col)
    assert domain_gaps(attribution) == ["d2"]
    assert concept_gaps(attribution) == []


def test_domain_concept_retrievability_is_lower_where_cards_fail(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col, end = grid_collection(db_url, tmp_path, open_collection, lambda _d, c: c == "beta")
    grid = domain_concept_retrievability(col, end + timedelta(days=3))
    assert sorted(grid.index) == DOMAINS
    assert sorted(grid.columns) == CONCEPTS
    for domain in DOMAINS:
        assert grid.loc[domain, "beta"] < grid.loc[domain, "alpha"]
        assert grid.loc[domain, "beta"] < grid.loc[domain, "gamma"]


def test_attribution_and_grid_are_empty_without_reviews(col: Collection) -> None:
    assert gap_attribution(col).empty
    assert domain_concept_retrievability(col, NOW).empty
    assert missed_points(col).empty


def test_most_missed_rubric_points_come_first(
    tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(f"sqlite:///{tmp_path / 'trainer.db'}")
    col.sync_decks([write_decks(tmp_path / "decks", {"d": [("d0", ["recall"])]}, drill="d")], now=NOW)
    for k, ticked in enumerate([[0, 1, 2], [0, 1], [0, 1]]):
        col.answer("d-drill", Rating.Hard, NOW + timedelta(days=k), points_ticked=ticked)
    missed = missed_points(col)
    assert list(missed["point"]) == ["Plans monitoring", "Names a baseline"]
    assert list(missed["missed"]) == [3, 2]
    assert set(missed["card_id"]) == {"d-drill"}
    assert missed["miss_rate"].iloc[0] == pytest.approx(1.0)
