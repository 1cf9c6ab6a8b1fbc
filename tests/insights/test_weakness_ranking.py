"""The weak-domain rank orders by the optimistic ceiling, not by the estimate: a domain with few
answers is not called weakest while even its optimistic view beats a well-measured weak one."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from trainer.insights.stats import CEILING_Z, PRIOR_REVIEWS, weakness_ranking
from trainer.insights.weakness import overall_recall, weakest_evidence


def test_few_answers_rank_by_their_ceiling_not_their_estimate() -> None:
    # "few" failed all 10 answers; "measured" passed 45 of 100; "strong" 98 of 100; "unseen" none.
    passed = pd.Series([0, 45, 98, 0], index=["few", "measured", "strong", "unseen"])
    graded = pd.Series([10, 100, 100, 0], index=passed.index)
    report = weakness_ranking(passed, graded)
    pooled = 143 / 210
    for domain in passed.index:
        weight = graded[domain] + PRIOR_REVIEWS
        estimate = (passed[domain] + PRIOR_REVIEWS * pooled) / weight
        ceiling = min(1.0, estimate + CEILING_Z * math.sqrt(estimate * (1 - estimate) / (weight + 1)))
        assert report.loc[domain, "retention_estimate"] == pytest.approx(estimate)
        assert report.loc[domain, "retention_ceiling"] == pytest.approx(ceiling)
    assert report.loc["few", "retention_estimate"] < report.loc["measured", "retention_estimate"]
    assert report.loc["few", "retention_ceiling"] > report.loc["measured", "retention_ceiling"]
    ranked = report["weak_rank"].dropna().sort_values()
    assert list(ranked.index) == ["measured", "few", "strong"]
    assert list(ranked) == [1.0, 2.0, 3.0]
    assert math.isnan(report.loc["unseen", "weak_rank"])


def test_with_no_answers_at_all_nothing_is_ranked() -> None:
    report = weakness_ranking(pd.Series([0, 0]), pd.Series([0, 0]))
    assert report["weak_rank"].isna().all()
    assert list(report["retention_estimate"]) == pytest.approx([0.9, 0.9])


def test_weakest_evidence_names_the_ranked_domains_below_the_overall_recall_weakest_first() -> None:
    # Overall recall: (38 + 3 + 6 + 11) / (40 + 7 + 12 + 12) = 58 / 71, about 82%.
    report = pd.DataFrame(
        {
            "domain": ["strong", "unseen", "weak", "middle", "level"],
            "weak_rank": [4.0, math.nan, 1.0, 2.0, 3.0],
            "recall_answers_30d": [40, 0, 7, 12, 12],
            "recall_30d": [0.95, math.nan, 3 / 7, 0.5, 11 / 12],
            "retention_estimate": [0.93, 0.9, 0.55, 0.6, 0.8],
            "retention_ceiling": [0.97, 1.0, 0.7, 0.75, 0.82],
        }
    )
    assert overall_recall(report) == pytest.approx(58 / 71)
    # "level" is ranked but may well be as good as the rest (its ceiling reaches 82%); "strong"
    # too: neither is named weakest.
    assert weakest_evidence(report) == [
        {"domain": "weak", "answers": 7, "recalled": 3, "estimate": 0.55, "ceiling": 0.7},
        {"domain": "middle", "answers": 12, "recalled": 6, "estimate": 0.6, "ceiling": 0.75},
    ]
    assert [type(value) for value in weakest_evidence(report)[0].values()] == [str, int, int, float, float]


def test_with_every_domain_alike_none_is_named_weakest() -> None:
    passed = pd.Series([45, 46, 47], index=["a", "b", "c"])
    graded = pd.Series([50, 50, 50], index=passed.index)
    ranking = weakness_ranking(passed, graded)
    report = ranking.assign(domain=passed.index, recall_answers_30d=graded, recall_30d=passed / graded)
    assert ranking["weak_rank"].notna().all()
    assert weakest_evidence(report) == []


def _report(ceilings: list[float]) -> pd.DataFrame:
    """A ranked report of two domains answered 4 times each, recalled 2 and 4 times: 75% overall."""
    return pd.DataFrame(
        {
            "domain": ["half", "full"],
            "weak_rank": [1.0, 2.0],
            "recall_answers_30d": [4, 4],
            "recall_30d": [0.5, 1.0],
            "retention_estimate": [0.55, 0.9],
            "retention_ceiling": ceilings,
        }
    )


def test_a_domain_whose_ceiling_reaches_the_overall_recall_exactly_is_not_named() -> None:
    assert overall_recall(_report([0.75, 1.0])) == 0.75
    assert weakest_evidence(_report([0.75, 1.0])) == []
    assert [d["domain"] for d in weakest_evidence(_report([0.7499, 1.0]))] == ["half"]


def test_with_no_recall_answers_there_is_no_overall_recall_and_no_weakest() -> None:
    report = _report([0.9, 0.9]).assign(recall_answers_30d=[0, 0], recall_30d=[math.nan, math.nan])
    assert overall_recall(report) is None
    assert weakest_evidence(report) == []
