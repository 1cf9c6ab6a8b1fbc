"""Domain x concept views: a concept weak everywhere is a concept gap, a domain weak across its
concepts is a domain gap; the rubric points missed most often come first."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.insights.test_stats import NOW, graduate, review_days, write_decks
from trainer import Collection, Rating
from trainer.insights.stats import MIN_EVIDENCE
from trainer.insights.weakness import (
    _additive_fit,
    card_concepts,
    concept_gaps,
    domain_concept_retrievability,
    domain_gaps,
    gap_attribution,
    missed_points,
)

DOMAINS = ["d1", "d2", "d3"]
# A cell is weak when its failure rate is this far above the mean (weakness.GAP_MARGIN).
GAP_MARGIN_STATED = 0.15
# A cell's failure rate is shrunk toward the overall rate as if by this many reviews at it.
PRIOR_REVIEWS_STATED = 5
GAP_COLUMNS = [
    "domain",
    "concept",
    "reviews",
    "failed",
    "fail_rate",
    "rate",
    "domain_effect",
    "concept_effect",
    "gap",
]
CONCEPTS = ["alpha", "beta", "gamma"]


def grid_collection(
    url: str, tmp_path: Path, opener: Callable[..., Collection], failing: Callable[[str, str], bool]
):
    """Two cards per (domain, concept) cell, five days of answers: all failed in `failing` cells."""
    return counted_grid(url, tmp_path, opener, lambda d, c, _card: 5 if failing(d, c) else 0)


def counted_grid(
    url: str,
    tmp_path: Path,
    opener: Callable[..., Collection],
    failures: Callable[[str, str, int], int],
    days: int = 5,
    domains: Sequence[str] = tuple(DOMAINS),
    concepts: Sequence[str] = tuple(CONCEPTS),
):
    """The same grid; card i of cell (d, c) fails the first `failures(d, c, i)` of its `days` days
    (so the cell has 2 * (1 + days) reviews, the first answer of each card included, plus one
    per failure, the Good answer that follows it)."""
    decks = {d: [(f"{d}-{c}-{i}", [c]) for c in concepts for i in range(2)] for d in domains}
    col = opener(url)
    col.sync_decks([write_decks(tmp_path / "decks", decks)], now=NOW)
    col.configure(new_per_day=9999, reviews_per_day=99999, enable_fuzzing=False)
    ids = [card for cards in decks.values() for card, _ in cards]
    graduate(col, ids, NOW)
    plan = {}
    for card in ids:
        failed = failures(*card.split("-")[:2], int(card.split("-")[2]))
        plan[card] = [False] * failed + [True] * (days - failed)
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


def test_a_cell_is_weak_only_a_full_margin_above_the_mean_rate(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    failures = {("d2", "beta"): (2, 2), ("d3", "gamma"): (4, 5)}
    col, _ = counted_grid(db_url, tmp_path, open_collection, lambda d, c, i: failures.get((d, c), (0, 0))[i])
    attribution = gap_attribution(col).set_index(["domain", "concept"])
    # The fit's grand mean: the mean shrunk failure rate, weighted by reviews.
    mean = np.average(attribution["rate"], weights=attribution["reviews"])
    near, far = attribution.loc[("d2", "beta")], attribution.loc[("d3", "gamma")]
    assert near["reviews"] >= MIN_EVIDENCE
    assert 0.05 < near["rate"] - mean < GAP_MARGIN_STATED
    assert near["gap"] == ""
    assert far["rate"] - mean > GAP_MARGIN_STATED
    assert far["gap"] != ""
    assert list(attribution.index[attribution["gap"] != ""]) == [("d3", "gamma")]


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
    assert list(gap_attribution(col).columns) == GAP_COLUMNS
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


def test_missed_points_name_the_text_each_variant_showed(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    # The base text and variant 1 have four points each, with different texts; variant 2 has three.
    folder = write_decks(tmp_path / "decks", {"d": [("d0", ["recall"])]}, drill="d")
    deck = folder / "d.yaml"
    base_points = "    points: [Prices errors, States latency, Names a baseline, Plans monitoring]\n"
    deck.write_text(
        deck.read_text().replace(
            base_points,
            base_points
            + "    variants:\n"
            + "      - prompt: Design it for a bank.\n        answer: A bank design.\n"
            + "        points: [Names the regulator, Keeps reason codes, Audits drift, Plans appeals]\n"
            + "      - prompt: Design it offline.\n        answer: An offline design.\n"
            + "        points: [Batches scores, Sizes the nightly job, Plans a backfill]\n",
        )
    )
    col = open_collection(db_url)
    col.sync_decks([folder], now=NOW)
    for k in range(6):  # variants 0, 1, 2, 0, 1, 2, nothing covered
        col.answer("d-drill", Rating.Again, NOW + timedelta(days=k), points_ticked=[])
    missed = missed_points(col)
    # Tallies keyed by rubric length cannot tell the base's four points from variant 1's, so
    # neither is named (as the base's texts, half of them would be variant 1's misses).
    assert list(zip(missed["point"], missed["shown"], missed["missed"], strict=True)) == [
        ("Batches scores", 2, 2),
        ("Sizes the nightly job", 2, 2),
        ("Plans a backfill", 2, 2),
    ]


@settings(max_examples=int(os.environ.get("TRAINER_ORACLE_EXAMPLES", "100")), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(DOMAINS),
            st.sampled_from(CONCEPTS),
            st.integers(MIN_EVIDENCE, 60),
            st.floats(0, 1),
        ),
        min_size=1,
        max_size=9,
        unique_by=lambda cell: cell[:2],
    )
)
def test_the_additive_fit_is_weighted_least_squares(cells: list[tuple[str, str, int, float]]) -> None:
    frame = pd.DataFrame(cells, columns=["deck", "concept", "reviews", "rate"])
    mu, domain, concept = _additive_fit(frame)
    # Outside oracle: numpy's least squares on rate ~ 1 + domain + concept, each cell weighted
    # by its reviews; the fit's values must be its fitted values.
    decks, concepts = sorted(set(frame["deck"])), sorted(set(frame["concept"]))
    design = np.column_stack(
        [np.ones(len(frame))]
        + [(frame["deck"] == d).to_numpy(float) for d in decks[1:]]
        + [(frame["concept"] == c).to_numpy(float) for c in concepts[1:]]
    )
    root = np.sqrt(frame["reviews"].to_numpy(float))
    solution, *_ = np.linalg.lstsq(design * root[:, None], frame["rate"].to_numpy() * root, rcond=None)
    fitted = design @ solution
    ours = mu + domain[frame["deck"]].to_numpy() + concept[frame["concept"]].to_numpy()
    # Fifty rounds of alternating means come close to it (on cells of at least MIN_EVIDENCE
    # reviews, the ones a gap is called on), not exactly onto it.
    assert ours == pytest.approx(fitted, abs=0.01)
    # Each effect is centred on its reviews, so the grand mean is the reviews-weighted mean rate.
    assert mu == pytest.approx(np.average(frame["rate"], weights=frame["reviews"]))
    by_deck = frame.groupby("deck")["reviews"].sum()
    by_concept = frame.groupby("concept")["reviews"].sum()
    assert float((domain[by_deck.index] * by_deck).sum()) == pytest.approx(0, abs=1e-9)
    assert float((concept[by_concept.index] * by_concept).sum()) == pytest.approx(0, abs=1e-9)
    assert sorted(domain.index) == decks and sorted(concept.index) == concepts


def test_a_cell_weak_by_both_effects_is_both_gaps_and_the_table_is_ranked_by_rate(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    failures = {
        **{("d3", c): (2, 2) for c in ("alpha", "beta")},
        **{(d, "gamma"): (2, 2) for d in ("d1", "d2")},
        ("d3", "gamma"): (5, 5),
        ("d1", "beta"): (3, 3),
    }
    col, _ = counted_grid(db_url, tmp_path, open_collection, lambda d, c, i: failures.get((d, c), (0, 0))[i])
    attribution = gap_attribution(col)
    assert list(attribution.columns) == GAP_COLUMNS
    assert list(attribution.index) == list(range(9))
    assert list(attribution["rate"]) == sorted(attribution["rate"], reverse=True)
    assert list(attribution["fail_rate"]) == list(attribution["failed"] / attribution["reviews"])
    overall = attribution["failed"].sum() / attribution["reviews"].sum()
    shrunk = (attribution["failed"] + PRIOR_REVIEWS_STATED * overall) / (
        attribution["reviews"] + PRIOR_REVIEWS_STATED
    )
    assert list(attribution["rate"]) == pytest.approx(list(shrunk))
    assert attribution["reviews"].dtype == "int64" and attribution["failed"].dtype == "int64"
    flagged = attribution[attribution["gap"] != ""]
    assert list(zip(flagged["domain"], flagged["concept"], flagged["gap"], strict=True)) == [
        ("d3", "gamma", "both")
    ]
    assert concept_gaps(attribution) == ["gamma"]
    assert domain_gaps(attribution) == ["d3"]
    # Since a moment, only the answers after it count: two days of one answer per card.
    recent = gap_attribution(col, since=NOW + timedelta(days=3, hours=12)).set_index(["domain", "concept"])
    assert (recent.loc[("d2", "alpha"), "reviews"], recent.loc[("d2", "alpha"), "failed"]) == (4, 0)
    assert (recent.loc[("d3", "gamma"), "reviews"], recent.loc[("d3", "gamma"), "failed"]) == (8, 4)


def test_missed_points_are_each_learners_own_with_ties_in_point_order(
    tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    url = f"sqlite:///{tmp_path / 'trainer.db'}"
    alice = open_collection(url, user="alice")
    alice.sync_decks([write_decks(tmp_path / "decks", {"d": [("d0", ["recall"])]}, drill="d")], now=NOW)
    bob = open_collection(url, user="bob")
    for k in range(3):
        alice.answer("d-drill", Rating.Hard, NOW + timedelta(days=k), points_ticked=[0, 1])
        bob.answer("d-drill", Rating.Hard, NOW + timedelta(days=k), points_ticked=[2, 3])
    missed = missed_points(alice)
    assert list(missed.columns) == ["card_id", "domain", "point", "index", "shown", "missed", "miss_rate"]
    assert list(missed.index) == [0, 1]
    assert list(zip(missed["domain"], missed["index"], missed["shown"], missed["missed"], strict=True)) == [
        ("d", 2, 3, 3),
        ("d", 3, 3, 3),
    ]
    assert list(missed_points(bob)["index"]) == [0, 1]


def test_card_concepts_are_one_row_per_card_and_concept_of_the_learners_own_cards(
    tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    url = f"sqlite:///{tmp_path / 'trainer.db'}"
    alice = open_collection(url, user="alice")
    decks = {"d1": [("d1-a", ["alpha", "beta"]), ("d1-b", ["beta"])], "d2": [("d2-a", ["alpha"])]}
    alice.sync_decks([write_decks(tmp_path / "decks", decks)], now=NOW)
    bob = open_collection(url, user="bob")
    bob.answer("d1-a", Rating.Good, NOW)
    frame = card_concepts(alice)
    assert list(frame.columns) == ["card_id", "deck", "concept"]
    assert list(frame.index) == list(range(len(frame)))
    assert sorted(frame.itertuples(index=False, name=None)) == [
        ("d1-a", "d1", "alpha"),
        ("d1-a", "d1", "beta"),
        ("d1-b", "d1", "beta"),
        ("d2-a", "d2", "alpha"),
    ]


@pytest.mark.parametrize("transposed", [False, True])
def test_concept_and_domain_gaps_are_listed_weakest_effect_first(
    transposed: bool, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    # Of seven concepts, beta fails in every domain, gamma a little less (of seven domains, d2
    # and d3 across every concept, when transposed): both are gaps, beta's the larger.
    many = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"]
    failed = {"beta": 5, "gamma": 4, "d2": 5, "d3": 4}
    domains, concepts = ([f"d{i}" for i in range(1, 8)], CONCEPTS) if transposed else (DOMAINS, many)
    url = f"sqlite:///{tmp_path / 'trainer.db'}"
    col, _ = counted_grid(
        url,
        tmp_path,
        open_collection,
        lambda d, c, _i: failed.get(d if transposed else c, 0),
        domains=domains,
        concepts=concepts,
    )
    attribution = gap_attribution(col)
    if transposed:
        assert (domain_gaps(attribution), concept_gaps(attribution)) == (["d2", "d3"], [])
    else:
        assert (concept_gaps(attribution), domain_gaps(attribution)) == (["beta", "gamma"], [])


# Failures per card (card 0, card 1) in the cells of a grid, and the gap of cell (d1, alpha).
NEITHER_EXPLAINS = [
    ({("d1", "alpha"): (3, 3)}, "concept"),  # the two effects are equal
    ({("d1", "alpha"): (3, 2), ("d1", "beta"): (1, 0)}, "domain"),
    ({("d1", "alpha"): (3, 2), ("d2", "alpha"): (1, 0)}, "concept"),
]


@pytest.mark.parametrize(("failures", "gap"), NEITHER_EXPLAINS)
def test_a_weak_cell_neither_effect_explains_is_put_down_to_the_larger_one(
    failures: dict[tuple[str, str], tuple[int, int]],
    gap: str,
    tmp_path: Path,
    open_collection: Callable[..., Collection],
) -> None:
    url = f"sqlite:///{tmp_path / 'trainer.db'}"
    col, _ = counted_grid(url, tmp_path, open_collection, lambda d, c, i: failures.get((d, c), (0, 0))[i])
    attribution = gap_attribution(col).set_index(["domain", "concept"])
    cell = attribution.loc[("d1", "alpha")]
    mean = np.average(attribution["rate"], weights=attribution["reviews"])
    assert cell["rate"] - mean > GAP_MARGIN_STATED
    assert max(cell["domain_effect"], cell["concept_effect"]) < GAP_MARGIN_STATED / 2
    if gap == "concept":
        assert cell["concept_effect"] >= cell["domain_effect"]
    else:
        assert cell["domain_effect"] > cell["concept_effect"]
    assert cell["gap"] == gap
    assert list(attribution.index[attribution["gap"] != ""]) == [("d1", "alpha")]


@pytest.mark.parametrize("transposed", [False, True])
def test_an_effect_explains_a_weak_cell_only_from_half_the_margin(
    transposed: bool, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    # Cell (d1, alpha) fails often, the rest of d1 a little (the rest of alpha, when transposed):
    # the domain's effect reaches half the margin, the concept's stays below it, above a third.
    rest = [("d2", "alpha"), ("d3", "alpha")] if transposed else [("d1", "beta"), ("d1", "gamma")]
    failures = {("d1", "alpha"): (3, 3), **dict.fromkeys(rest, (1, 0))}
    url = f"sqlite:///{tmp_path / 'trainer.db'}"
    col, _ = counted_grid(url, tmp_path, open_collection, lambda d, c, i: failures.get((d, c), (0, 0))[i])
    cell = gap_attribution(col).set_index(["domain", "concept"]).loc[("d1", "alpha")]
    strong, weak = ("concept", "domain") if transposed else ("domain", "concept")
    assert cell[f"{strong}_effect"] >= GAP_MARGIN_STATED / 2
    assert GAP_MARGIN_STATED / 3 < cell[f"{weak}_effect"] < GAP_MARGIN_STATED / 2
    assert cell["gap"] == strong


def test_a_cell_needs_ten_reviews_to_be_called_weak_and_is_listed_from_one(
    tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    url = f"sqlite:///{tmp_path / 'trainer.db'}"
    # Two days: 6 reviews a cell, 10 in (d1, alpha), whose cards fail both days, and 9 in
    # (d2, beta), where one card fails both days and the other the first.
    failures = {("d1", "alpha"): (2, 2), ("d2", "beta"): (2, 1)}
    col, _ = counted_grid(
        url, tmp_path, open_collection, lambda d, c, i: failures.get((d, c), (0, 0))[i], days=2
    )
    attribution = gap_attribution(col).set_index(["domain", "concept"])
    assert attribution.loc[("d1", "alpha"), "reviews"] == MIN_EVIDENCE == 10
    assert attribution.loc[("d1", "alpha"), "gap"] != ""
    # After the day's first answers only the Good answers after a failure of day two are left:
    # one in (d2, beta), two in (d1, alpha).
    last = gap_attribution(col, since=NOW + timedelta(days=2, minutes=5))
    assert sorted(zip(last["domain"], last["concept"], last["reviews"], strict=True)) == [
        ("d1", "alpha", 2),
        ("d2", "beta", 1),
    ]


def test_missed_points_are_the_twenty_most_missed_by_count_then_rate_card_and_point(
    tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    folder = write_decks(tmp_path / "decks", {"d": [("d0", ["recall"])]})
    drills = [f"d-p{k}" for k in range(1, 7)]
    lines = (folder / "d.yaml").read_text().splitlines()
    for card_id in drills:
        lines += [
            f"  - id: {card_id}",
            "    kind: drill",
            f"    prompt: Design {card_id}.",
            "    answer: A design.",
            "    points: [First, Second, Third, Fourth]",
            "    concepts: [recall]",
        ]
    (folder / "d.yaml").write_text("\n".join(lines) + "\n")
    col = open_collection(f"sqlite:///{tmp_path / 'trainer.db'}")
    col.sync_decks([folder], now=NOW)
    # Every point of every drill is missed once; d-p1's are also shown once more and ticked, so
    # they are missed at half the rate of the others and come last.
    for card_id in drills:
        col.answer(card_id, Rating.Again, NOW, points_ticked=[])
    col.answer("d-p1", Rating.Good, NOW + timedelta(days=1), points_ticked=[0, 1, 2, 3])
    missed = missed_points(col)
    expected = [(card_id, point) for card_id in drills[1:] for point in range(4)]
    assert list(zip(missed["card_id"], missed["index"], strict=True)) == expected
    assert set(missed["missed"]) == {1} and set(missed["miss_rate"]) == {1.0}
    first = missed_points(col, limit=3)
    assert list(zip(first["card_id"], first["index"], strict=True)) == [("d-p2", 0), ("d-p2", 1), ("d-p2", 2)]
    everything = missed_points(col, limit=100)
    assert len(everything) == 24
    assert list(everything["miss_rate"].iloc[-4:]) == [0.5] * 4


def answered_cells(
    url: str,
    tmp_path: Path,
    opener: Callable[..., Collection],
    counts: dict[tuple[str, str], tuple[int, int]],
) -> Collection:
    """One card per (domain, concept) cell, answered `reviews` times, the first `failed` of them Again."""
    decks: dict[str, list[tuple[str, list[str]]]] = {}
    for domain, concept in counts:
        decks.setdefault(domain, []).append((f"{domain}-{concept}", [concept]))
    col = opener(url)
    col.sync_decks([write_decks(tmp_path / "decks", decks)], now=NOW)
    col.configure(new_per_day=9999, reviews_per_day=99999)
    for (domain, concept), (reviews, failed) in counts.items():
        for k in range(reviews):
            rating = Rating.Again if k < failed else Rating.Good
            col.answer(f"{domain}-{concept}", rating, NOW + timedelta(days=k))
    return col


def test_a_cell_exactly_the_margin_above_the_mean_is_weak(
    tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    # Fifteen answers each, six of alpha's failed: shrunk rates 0.3 and 0, a mean of 0.15.
    counts = {("d", "alpha"): (15, 6), ("d", "beta"): (15, 0)}
    col = answered_cells(f"sqlite:///{tmp_path / 'trainer.db'}", tmp_path, open_collection, counts)
    attribution = gap_attribution(col).set_index(["domain", "concept"])
    mean = np.average(attribution["rate"], weights=attribution["reviews"])
    cell = attribution.loc[("d", "alpha")]
    assert cell["rate"] == mean + GAP_MARGIN_STATED
    assert cell["gap"] == "concept"


def test_a_weak_cell_each_effect_explains_at_exactly_half_the_margin_is_both_gaps(
    tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    counts = {
        ("d1", "alpha"): (15, 6),
        ("d1", "beta"): (15, 2),
        ("d2", "alpha"): (15, 2),
        ("d2", "beta"): (15, 0),
    }
    col = answered_cells(f"sqlite:///{tmp_path / 'trainer.db'}", tmp_path, open_collection, counts)
    cell = gap_attribution(col).set_index(["domain", "concept"]).loc[("d1", "alpha")]
    assert cell["domain_effect"] == cell["concept_effect"] == GAP_MARGIN_STATED / 2
    assert cell["gap"] == "both"
