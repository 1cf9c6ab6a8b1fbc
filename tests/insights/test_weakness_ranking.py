"""The weak-domain rank orders by the optimistic ceiling, not by the estimate: a domain with few
answers is not called weakest while even its optimistic view beats a well-measured weak one."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from trainer.insights.stats import CEILING_Z, PRIOR_REVIEWS, weakness_ranking


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
