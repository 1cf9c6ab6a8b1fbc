"""Readiness-aware scheduling against plain FSRS: predicted recall on the interview date for
the same number of reviews.

A simulated learner (memory follows FSRS-6 with the default parameters, each answer recalled
with its retrievability) studies a deck for `--history` days in plain FSRS due order, then has
`--days` days left before the interview. Both policies review the same number of cards each
day: plain FSRS takes the due cards; the readiness-aware policy does the same until the final
days (trainer.insights.readiness.FINAL_DAYS), then takes the cards a review helps most on the date
(trainer.insights.readiness.review_gain). Both see the same random outcomes per card and day.

    python benchmarks/bench_readiness.py [--cards 2000] [--days 21] [--seeds 5]
"""

from __future__ import annotations

import argparse

import numpy as np
from fsrs.scheduler import DEFAULT_PARAMETERS

from trainer.insights import forecast
from trainer.insights.readiness import FINAL_DAYS, MemoryArrays, review_gain

W = list(DEFAULT_PARAMETERS)


class Deck:
    """Many simulated cards: stability, difficulty, last review day and due day."""

    def __init__(self, cards: int) -> None:
        self.s = np.full(cards, np.nan)
        self.d = np.full(cards, np.nan)
        self.last = np.zeros(cards)
        self.due = np.zeros(cards)

    def copy(self) -> Deck:
        twin = Deck(0)
        twin.s, twin.d, twin.last, twin.due = self.s.copy(), self.d.copy(), self.last.copy(), self.due.copy()
        return twin

    def review(self, picked: np.ndarray, day: int, luck: np.ndarray) -> None:
        """Answer the `picked` cards on `day`; a card is recalled when its luck is below its recall."""
        s, d = self.s[picked], self.d[picked]
        fresh = np.isnan(s)
        s0, d0 = forecast.initial_state(forecast.GOOD, W)
        r = np.where(fresh, 1.0, forecast.retrievability(s, day - self.last[picked], W))
        recalled = luck[picked] < r
        base_s, base_d = np.where(fresh, s0, s), np.where(fresh, d0, d)
        good = forecast.recall_stability(base_s, base_d, r, W)
        again = forecast.forget_stability(base_s, base_d, r, W)
        new_s = np.where(fresh, s0, np.where(recalled, good, again))
        new_d = np.where(
            fresh,
            d0,
            np.where(
                recalled,
                forecast.next_difficulty(base_d, forecast.GOOD, W),
                forecast.next_difficulty(base_d, forecast.AGAIN, W),
            ),
        )
        self.s[picked], self.d[picked], self.last[picked] = new_s, new_d, day
        # At 90% desired retention the FSRS interval equals the stability.
        self.due[picked] = day + np.maximum(1, np.round(np.where(recalled | fresh, new_s, 1)))

    def recall_at(self, day: float) -> np.ndarray:
        return forecast.retrievability(self.s, day - self.last, W)


def due_today(deck: Deck, day: int, budget: int) -> np.ndarray:
    due = np.flatnonzero(deck.due <= day)
    return due[np.argsort(deck.due[due], kind="stable")][:budget]


def run(
    cards: int, history: int, days: int, budget: int, new_per_day: int, seed: int
) -> tuple[float, float, int, int]:
    """(plain recall on the date, readiness-aware recall on the date, plain reviews, aware reviews)."""
    rng = np.random.default_rng(seed)
    luck = rng.random((history + days, cards))
    deck = Deck(cards)
    introduced = 0
    for day in range(history):
        picked = due_today(deck, day, budget)
        picked = picked[~np.isnan(deck.s[picked])]
        fresh = np.arange(introduced, min(cards, introduced + new_per_day))
        introduced += len(fresh)
        deck.review(np.concatenate([picked, fresh]), day, luck[day])
    plain, aware = deck.copy(), deck.copy()
    interview = history + days
    plain_reviews = aware_reviews = 0
    for day in range(history, interview):
        studied = ~np.isnan(plain.s)
        picked = due_today(plain, day, budget)
        picked = picked[studied[picked]]
        plain.review(picked, day, luck[day])
        plain_reviews += len(picked)
        if interview - day <= FINAL_DAYS:
            memory = MemoryArrays(aware.s.copy(), aware.d.copy(), aware.last.copy())
            gain = np.where(np.isnan(aware.s), -np.inf, review_gain(memory, day, interview, W))
            chosen = np.argsort(-gain, kind="stable")[: len(picked)]
        else:
            chosen = due_today(aware, day, budget)
            chosen = chosen[~np.isnan(aware.s[chosen])]
        aware.review(chosen, day, luck[day])
        aware_reviews += len(chosen)
    return (
        float(plain.recall_at(interview).mean()),
        float(aware.recall_at(interview).mean()),
        plain_reviews,
        aware_reviews,
    )


def main() -> None:
    """Run several seeds and print both policies' predicted recall on the date."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=2000)
    parser.add_argument("--history", type=int, default=90)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--budget", type=int, default=150, help="Most reviews a day.")
    parser.add_argument("--new-per-day", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    rows = [
        run(args.cards, args.history, args.days, args.budget, args.new_per_day, s) for s in range(args.seeds)
    ]
    print(f"{args.cards} cards, {args.history} days of study, interview in {args.days} days")
    print(f"readiness-aware choice in the final {FINAL_DAYS} days; at most {args.budget} reviews a day")
    print("seed  plain FSRS  readiness-aware  reviews (plain = aware)")
    for seed, (plain, aware, n_plain, n_aware) in enumerate(rows):
        print(f"{seed:>4}  {plain:10.4f}  {aware:15.4f}  {n_plain} = {n_aware}")
    plain_mean = np.mean([r[0] for r in rows])
    aware_mean = np.mean([r[1] for r in rows])
    print(f"mean predicted recall on the date: plain FSRS {plain_mean:.4f}, readiness-aware {aware_mean:.4f}")
    print(f"gain: {100 * (aware_mean - plain_mean):+.2f} percentage points for the same number of reviews")


if __name__ == "__main__":
    main()
