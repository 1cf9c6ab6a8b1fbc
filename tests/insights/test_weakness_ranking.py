"""The weak-domain rank orders by the optimistic ceiling, not by the estimate: a domain with few
answers is not called weakest while even its optimistic view beats a well-measured weak one."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from trainer.insights.stats import CEILING_Z, PRIOR_REVIEWS, weakness_ranking
from trainer.insights.weakness import weakest_evidence


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


def test_weakest_evidence_lists_the_ranked_domains_weakest_first_with_their_numbers() -> None:
    report = pd.DataFrame(
        {
            "domain": ["strong", "unseen", "weak", "middle"],
            "weak_rank": [3.0, math.nan, 1.0, 2.0],
            "recall_answers_30d": [40, 0, 7, 12],
            "recall_30d": [0.95, math.nan, 3 / 7, 0.5],
            "retention_estimate": [0.93, 0.9, 0.55, 0.6],
            "retention_ceiling": [0.97, 1.0, 0.8, 0.75],
        }
    )
    assert weakest_evidence(report) == [
        {"domain": "weak", "answers": 7, "recalled": 3, "estimate": 0.55, "ceiling": 0.8},
        {"domain": "middle", "answers": 12, "recalled": 6, "estimate": 0.6, "ceiling": 0.75},
        {"domain": "strong", "answers": 40, "recalled": 38, "estimate": 0.93, "ceiling": 0.97},
    ]
    assert [type(value) for value in weakest_evidence(report)[0].values()] == [str, int, int, float, float]
