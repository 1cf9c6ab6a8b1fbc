"""Time FSRS parameter fitting over about 100,000 reviews (target: at most 10 s).

Reviews are simulated from known non-default FSRS-6 parameters (trainer.insights.synthetic), then
`trainer.insights.optimize` builds the training items, fits on the earlier four fifths, scores default
and fitted parameters on the later fifth and refits on everything: the whole of what
`trainer optimize` does after reading the log. Prints the time and the held-out metrics.

    python benchmarks/bench_optimize.py [--reviews 100000]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np
from fsrs.scheduler import DEFAULT_PARAMETERS

from trainer.insights.optimize import build_items, fit_items, learner_days
from trainer.insights.synthetic import simulate_log

TARGET_S = 10.0
TRUE_PARAMETERS = list(DEFAULT_PARAMETERS)
TRUE_PARAMETERS[0:4] = [0.6, 2.5, 6.0, 20.0]
TRUE_PARAMETERS[8], TRUE_PARAMETERS[10], TRUE_PARAMETERS[11], TRUE_PARAMETERS[20] = 1.0, 1.2, 2.5, 0.4


def main() -> None:
    """Simulate, then time building items and fitting."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reviews", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    cards = max(100, args.reviews // 8)
    log = simulate_log(
        TRUE_PARAMETERS, cards=cards, days=730, start=datetime(2024, 1, 1, tzinfo=UTC), rng=rng
    )
    while len(log) < args.reviews:
        cards = int(cards * args.reviews / len(log)) + 10
        log = simulate_log(
            TRUE_PARAMETERS, cards=cards, days=730, start=datetime(2024, 1, 1, tzinfo=UTC), rng=rng
        )
    log = log.head(args.reviews)
    stages: list[tuple[str, float]] = []
    start = time.perf_counter()
    items, days = build_items(log, learner_days(log["reviewed_at"], "UTC", 4))
    stages.append(("build items", time.perf_counter() - start))
    result, _chosen = fit_items(
        items,
        days,
        DEFAULT_PARAMETERS,
        lambda stage, _d, _t: stages.append((stage, time.perf_counter() - start)),
    )
    elapsed = time.perf_counter() - start
    print(f"reviews in log: {len(log)} over {log['card_id'].nunique()} cards; training items: {len(items)}")
    for stage, at in stages:
        print(f"  {at:6.2f} s  {stage}")
    print(f"held-out log loss: default {result.default.log_loss:.4f}, fitted {result.fitted.log_loss:.4f}")
    print(
        f"held-out RMSE(bins): default {result.default.rmse_bins:.4f}, fitted {result.fitted.rmse_bins:.4f}"
    )
    print(f"adopted: {result.adopted}")
    verdict = "PASS" if elapsed <= TARGET_S else "FAIL"
    print(f"fit time {elapsed:.2f} s, target <= {TARGET_S:.0f} s: ratio {elapsed / TARGET_S:.2f} ({verdict})")


if __name__ == "__main__":
    main()
