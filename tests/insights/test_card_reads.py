"""The Stats page's per-card figures (readiness and its plan, the workload simulation, recall by
domain and concept, the due forecast, gap attribution) equal what the plain versions give.

The references below read every card state with SQLAlchemy's own result processing, parse every
card's concepts, and run the planning and simulation loops in their first, straightforward form
(both formulas worked out for every card, boolean masks). The collection is varied on purpose:
more cards than the plan and the simulation sample, new, learning, suspended and retired cards,
overdue ones, one to three concepts a card in varied order, and a time zone whose clocks change
inside the forecast window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import bindparam, insert, select, update

from tests.conftest import NOW
from trainer import Collection
from trainer.insights import charts, forecast
from trainer.insights.readiness import MemoryArrays, interview_moment, plan_recall, readiness, review_gain
from trainer.insights.weakness import (
    FIT_ROUNDS,
    PRIOR_REVIEWS,
    _additive_fit,
    domain_concept_retrievability,
    gap_attribution,
)
from trainer.insights.workload import RETENTIONS, SAMPLE, SEED, workload
from trainer.model import Queue
from trainer.storage import store
from trainer.storage.database import read_transaction, write_transaction

CONCEPTS = ["bias", "latency", "metrics", "models", "stats"]
CARDS_PER_DECK = 180


def _write_decks(folder: Path, rng: np.random.Generator) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "concepts.yaml").write_text(
        "concepts:\n" + "".join(f"  - id: {c}\n    description: {c}.\n" for c in CONCEPTS)
    )
    for deck in ("ds", "ml", "sys", "infra"):
        lines = [f"deck: {deck}", f"title: {deck.upper()}", "cards:"]
        for i in range(CARDS_PER_DECK):
            tags = list(rng.choice(CONCEPTS, size=int(rng.integers(1, 4)), replace=False))
            lines += [
                f"  - id: {deck}-{i}",
                "    kind: fact",
                f"    prompt: Question {i}?",
                f"    answer: Answer {i}.",
                f"    concepts: [{', '.join(tags)}]",
            ]
        (folder / f"{deck}.yaml").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture
def varied(db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]) -> Collection:
    """720 cards in four decks with seeded memories in every state, and a review log to tally."""
    rng = np.random.default_rng(7)
    col = open_collection(db_url)
    col.sync_decks([_write_decks(tmp_path / "decks", rng)], now=NOW - timedelta(days=60))
    col.configure(timezone="America/New_York", rollover_hour=4, new_per_day=15, now=NOW)
    with read_transaction(col.engine) as conn:
        ids = [r[0] for r in conn.execute(select(store.states.c.card_id).order_by(store.states.c.card_id))]
    changes = []
    for card_id in ids:
        kind = rng.choice(
            ["new", "review", "learning", "suspended", "retired"], p=[0.2, 0.6, 0.08, 0.07, 0.05]
        )
        last = NOW - timedelta(days=float(rng.uniform(0, 90)), microseconds=int(rng.integers(0, 10**6)))
        studied = kind != "new"
        queue = {"new": Queue.NEW, "review": Queue.REVIEW, "learning": Queue.LEARNING}.get(
            str(kind), Queue.SUSPENDED if kind == "suspended" else Queue.RETIRED
        )
        changes.append(
            {
                "id": card_id,
                "state": 2 if studied else 0,
                "queue": int(queue),
                "stability": float(rng.lognormal(1.5, 1.2)) if studied else None,
                "difficulty": float(rng.uniform(1, 10)) if studied else None,
                "last_review": last if studied else None,
                "due": NOW + timedelta(days=float(rng.uniform(-20, 45))) if studied else None,
                "suspended": kind == "suspended",
            }
        )
    s = store.states
    statement = (
        update(s)
        .where(s.c.learner_id == col.learner_id, s.c.card_id == bindparam("id"))
        .values(
            state=bindparam("state"),
            queue=bindparam("queue"),
            stability=bindparam("stability"),
            difficulty=bindparam("difficulty"),
            last_review=bindparam("last_review"),
            due=bindparam("due"),
            suspended=bindparam("suspended"),
        )
    )
    answered = [c["id"] for c in changes if c["state"] == 2]
    log = [
        {
            "learner_id": col.learner_id,
            "card_id": answered[int(rng.integers(len(answered)))],
            "rating": int(rng.choice([1, 2, 3, 4], p=[0.2, 0.1, 0.6, 0.1])),
            "reviewed_at": NOW - timedelta(days=float(rng.uniform(0, 50))),
            "state_before": 2,
            "state_after": 2,
            "before": {"stability": 5.0, "last_review": (NOW - timedelta(days=60)).isoformat()},
            "after": {"stability": 5.0},
        }
        for _ in range(4000)
    ]
    retired = [c["id"] for c in changes if c["queue"] == int(Queue.RETIRED)]
    with write_transaction(col.engine) as conn:
        conn.execute(statement, changes)
        conn.execute(update(store.cards).where(store.cards.c.id.in_(retired)).values(retired=True))
        conn.execute(insert(store.logs), log)
    return col


@dataclass
class Memories:
    stability: np.ndarray
    difficulty: np.ndarray
    last: np.ndarray


def reference_cards(col: Collection) -> pd.DataFrame:
    """Every live card's state, read row by row through SQLAlchemy's result processing."""
    s = store.states
    query = select(
        s.c.card_id,
        s.c.deck,
        s.c.queue,
        s.c.stability,
        s.c.difficulty,
        s.c.due,
        s.c.last_review,
        s.c.suspended,
    ).where(s.c.learner_id == col.learner_id, s.c.queue != int(Queue.RETIRED))
    with read_transaction(col.engine) as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    frame = pd.DataFrame(
        rows,
        columns=["card_id", "deck", "queue", "stability", "difficulty", "due", "last_review", "suspended"],
    )
    frame["due"] = pd.to_datetime(frame["due"], utc=True)
    frame["last_review"] = pd.to_datetime(frame["last_review"], utc=True)
    frame[["stability", "difficulty"]] = frame[["stability", "difficulty"]].astype(float)
    return frame


def reference_recall(cards: pd.DataFrame, w: Sequence[float], when: datetime) -> np.ndarray:
    elapsed = (pd.Timestamp(when) - cards["last_review"]).dt.total_seconds().to_numpy() / 86400
    values = forecast.retrievability(cards["stability"].to_numpy(dtype=float), elapsed, w)
    return np.where(np.isnan(elapsed), 0.0, values)


def reference_concepts(col: Collection) -> pd.DataFrame:
    """One row per live card and concept, each card's concepts parsed on its own."""
    c, s = store.cards, store.states
    query = (
        select(c.c.id, c.c.deck, c.c.concepts)
        .join(s, (s.c.card_id == c.c.id) & (s.c.learner_id == col.learner_id))
        .where(s.c.queue != int(Queue.RETIRED))
    )
    with read_transaction(col.engine) as conn:
        rows = [(r[0], r[1], concept) for r in conn.execute(query) for concept in r[2]]
    return pd.DataFrame(rows, columns=["card_id", "deck", "concept"])


def _expected_after(
    memory: Memories, picked: np.ndarray, day: float, horizon: float, w: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, float]:
    s, d = memory.stability[picked], memory.difficulty[picked]
    fresh = np.isnan(s)
    s0, d0 = forecast.initial_state(forecast.GOOD, w)
    r = np.where(fresh, 1.0, forecast.retrievability(s, day - memory.last[picked], w))
    s_base = np.where(fresh, s0, s)
    d_base = np.where(fresh, d0, d)
    good = np.where(fresh, s0, forecast.recall_stability(s_base, d_base, r, w))
    again = np.where(fresh, s0, forecast.forget_stability(s_base, d_base, r, w))
    ahead = max(horizon - day, 1e-6)
    mix = r * forecast.retrievability(good, np.full_like(good, ahead), w)
    mix += (1 - r) * forecast.retrievability(again, np.full_like(again, ahead), w)
    difficulty = np.where(fresh, d0, forecast.next_difficulty(d_base, forecast.GOOD, w))
    return mix, difficulty, ahead


def reference_plan(memory: Memories, days: int, per_day: int, horizon: float, w: Sequence[float]) -> float:
    """Mean recall at `horizon` after `per_day` greedy reviews on each of `days` days, working
    out every card's expected review twice a day (once to rank, once to apply)."""
    plan = Memories(memory.stability.copy(), memory.difficulty.copy(), memory.last.copy())
    everyone = np.arange(len(plan.stability))

    def recall_at(day: float) -> np.ndarray:
        return forecast.retrievability(plan.stability, day - plan.last, w)

    for day in range(days):
        if per_day <= 0 or not len(plan.stability):
            break
        gain = _expected_after(plan, everyone, float(day), horizon, w)[0] - recall_at(horizon)
        count = min(per_day, len(gain))
        picked = np.argpartition(-gain, count - 1)[:count]
        mix, difficulty, ahead = _expected_after(plan, picked, float(day), horizon, w)
        decay = -w[20]
        factor = 0.9 ** (1 / decay) - 1
        r = np.clip(mix, 1e-6, 1 - 1e-9)
        plan.stability[picked] = np.maximum(
            factor * ahead / (np.power(r, 1 / decay) - 1), forecast.STABILITY_MIN
        )
        plan.difficulty[picked] = difficulty
        plan.last[picked] = day
    return float(recall_at(horizon).mean()) if len(plan.stability) else 0.0


def reference_needed(cards: pd.DataFrame, now: datetime, moment: datetime, w: Sequence[float]) -> int | None:
    if len(cards) > 500:
        sample = cards.iloc[np.linspace(0, len(cards) - 1, 500).astype(int)]
        needed = reference_needed(sample, now, moment, w)
        return None if needed is None else int(np.ceil(needed * len(cards) / 500))
    last = (cards["last_review"] - pd.Timestamp(now)).dt.total_seconds().to_numpy() / 86400
    memory = Memories(
        cards["stability"].to_numpy(dtype=float).copy(),
        cards["difficulty"].to_numpy(dtype=float).copy(),
        np.nan_to_num(last, nan=0.0),
    )
    horizon = (moment - now).total_seconds() / 86400
    days = int(np.floor(horizon))
    if reference_plan(memory, 0, 0, horizon, w) >= 0.9:
        return 0
    low, high = 1, len(cards)
    if days < 1 or reference_plan(memory, days, high, horizon, w) < 0.9:
        return None
    while low < high:
        middle = (low + high) // 2
        if reference_plan(memory, days, middle, horizon, w) >= 0.9:
            high = middle
        else:
            low = middle + 1
    return low


@pytest.mark.parametrize("per_day", [1, 7, 60, 400])
def test_a_plan_matches_the_reference_plan(per_day: int) -> None:
    from fsrs.scheduler import DEFAULT_PARAMETERS

    rng = np.random.default_rng(per_day)
    count = 400
    studied = rng.random(count) < 0.75
    stability = np.where(studied, rng.lognormal(1.5, 1.2, count), np.nan)
    difficulty = np.where(studied, rng.uniform(1, 10, count), np.nan)
    last = np.where(studied, -rng.uniform(0, 60, count), 0.0)
    memory = MemoryArrays(stability, difficulty, last)
    got = plan_recall(memory, 20, per_day, 20.4, DEFAULT_PARAMETERS)
    expected = reference_plan(Memories(stability, difficulty, last), 20, per_day, 20.4, DEFAULT_PARAMETERS)
    assert got == pytest.approx(expected, rel=1e-12)
    assert list(memory.stability[studied]) == list(stability[studied])  # the plan works on a copy
    reference = Memories(stability, difficulty, last)
    for day in (0.0, 3.0):
        gain = _expected_after(reference, np.arange(count), day, 20.4, DEFAULT_PARAMETERS)[0]
        gain -= forecast.retrievability(stability, 20.4 - last, DEFAULT_PARAMETERS)
        np.testing.assert_allclose(review_gain(memory, day, 20.4, DEFAULT_PARAMETERS), gain, rtol=1e-12)


@pytest.mark.parametrize("days", [3, 12, 40])
def test_readiness_and_its_plan_match_the_reference(varied: Collection, days: int) -> None:
    date = (NOW + timedelta(days=days)).date()
    varied.configure(interview_date=date, now=NOW)
    moment = interview_moment(varied, date)
    w = varied.settings.parameters
    cards = reference_cards(varied)
    cards = cards[~cards["suspended"]].reset_index(drop=True)
    cards["r"] = reference_recall(cards, w, moment)
    assert len(cards) > 500 and cards["last_review"].isna().sum() > 50
    got = readiness(varied, NOW)
    assert got is not None
    assert got.cards == len(cards)
    assert got.overall == pytest.approx(cards["r"].mean(), rel=1e-12)
    expected = cards.groupby("deck")["r"].mean().to_dict()
    assert got.per_domain == pytest.approx(expected, rel=1e-12)
    assert got.reviews_per_day == reference_needed(cards, NOW, moment, w)


def reference_workload(
    cards: pd.DataFrame, w: Sequence[float], now: datetime, new_per_day: int
) -> list[float]:
    """The simulation with both outcomes worked out for every due card and boolean masks."""
    total = len(cards)
    if total > SAMPLE:
        cards = cards.iloc[np.linspace(0, total - 1, SAMPLE).astype(int)]
    scale = total / len(cards)
    rng = np.random.default_rng(SEED)
    levels = np.asarray(RETENTIONS, dtype=float)[:, None]
    shape = (len(levels), len(cards))
    decay = -w[20]
    factor = 0.9 ** (1 / decay) - 1

    def interval(stability: np.ndarray, retention: np.ndarray) -> np.ndarray:
        return np.maximum(np.round(stability / factor * (np.power(retention, 1 / decay) - 1)), 1.0)

    stability = np.broadcast_to(cards["stability"].to_numpy(dtype=float), shape).copy()
    difficulty = np.broadcast_to(cards["difficulty"].to_numpy(dtype=float), shape).copy()
    elapsed = (pd.Timestamp(now) - cards["last_review"]).dt.total_seconds().to_numpy() / 86400
    last = np.broadcast_to(-np.nan_to_num(elapsed, nan=0.0), shape).copy()
    studied = ~np.isnan(stability)
    due = np.where(studied, last + interval(np.nan_to_num(stability, nan=1.0), levels), np.inf)
    waiting = int((~studied[0]).sum())
    queue_place = np.broadcast_to(np.cumsum(~studied[0]), shape)
    introduced = 0.0
    reviews = np.zeros(len(levels))
    s0, d0 = forecast.initial_state(forecast.GOOD, w)
    for day in range(365):
        before = int(introduced)
        introduced = min(introduced + new_per_day / scale, waiting)
        if int(introduced) > before:
            fresh = ~studied & (queue_place <= int(introduced))
            stability[fresh], difficulty[fresh], last[fresh] = s0, d0, day
            studied |= fresh
            due = np.where(fresh, day + interval(stability, levels), due)
            reviews += fresh.sum(axis=1)
        now_due = due <= day
        if not now_due.any():
            continue
        s, d = stability[now_due], difficulty[now_due]
        r = forecast.retrievability(s, day - last[now_due], w)
        recalled = np.broadcast_to(rng.random(len(cards)), shape)[now_due] < r
        stability[now_due] = np.where(
            recalled, forecast.recall_stability(s, d, r, w), forecast.forget_stability(s, d, r, w)
        )
        difficulty[now_due] = np.where(
            recalled,
            forecast.next_difficulty(d, forecast.GOOD, w),
            forecast.next_difficulty(d, forecast.AGAIN, w),
        )
        last[now_due] = day
        due[now_due] = day + interval(stability[now_due], np.broadcast_to(levels, shape)[now_due])
        reviews += now_due.sum(axis=1)
    return [float(v) for v in reviews * scale / 365]


def test_workload_matches_the_reference_simulation(varied: Collection) -> None:
    cards = reference_cards(varied)
    cards = cards[~cards["suspended"]].reset_index(drop=True)
    assert len(cards) > SAMPLE
    settings = varied.settings
    expected = reference_workload(cards, settings.parameters, NOW, settings.new_per_day)
    got = workload(varied, NOW)
    assert got.cards == len(cards)
    assert list(got.reviews_per_day) == pytest.approx(expected, rel=1e-12)
    assert expected[-1] > expected[0] > 0


@pytest.mark.parametrize(("count", "new_per_day", "daily"), [(5, 0, True), (12, 1, True), (900, 20, False)])
def test_the_simulation_matches_the_reference_for_few_cards_and_many(
    count: int, new_per_day: int, daily: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Few cards leave days with nothing due (no draws those days): the day-by-day simulation
    runs. Many cards have something due every day: the review-by-review one does."""
    from fsrs.scheduler import DEFAULT_PARAMETERS

    from trainer.insights import workload as module

    rng = np.random.default_rng(count)
    studied = rng.random(count) < 0.7
    cards = pd.DataFrame(
        {
            "stability": np.where(studied, rng.lognormal(2.5, 1.0, count), np.nan),
            "difficulty": np.where(studied, rng.uniform(1, 10, count), np.nan),
            "last_review": pd.to_datetime(
                [
                    NOW - timedelta(days=float(x)) if s else None
                    for x, s in zip(rng.uniform(0, 40, count), studied, strict=True)
                ],
                utc=True,
            ),
        }
    )
    original, day_by_day = module._review_day_by_day, []

    def spy(*args: Any) -> np.ndarray:
        day_by_day.append(args)
        return original(*args)

    monkeypatch.setattr(module, "_review_day_by_day", spy)
    got = module.simulate_workload(cards, DEFAULT_PARAMETERS, NOW, new_per_day)
    assert list(got) == pytest.approx(
        reference_workload(cards, DEFAULT_PARAMETERS, NOW, new_per_day), rel=1e-12
    )
    assert bool(day_by_day) == daily


def test_recall_by_domain_and_concept_matches_the_reference(varied: Collection) -> None:
    cards = reference_cards(varied)
    cards = cards[cards["last_review"].notna()].copy()
    cards["r"] = reference_recall(cards, varied.settings.parameters, NOW)
    cells = reference_concepts(varied).merge(cards[["card_id", "r"]], on="card_id")
    expected = cells.groupby(["deck", "concept"])["r"].mean()
    # The database works out recall from times it keeps to the millisecond (SQLite's julianday).
    grid = domain_concept_retrievability(varied, NOW).stack()
    assert grid.to_dict() == pytest.approx(expected.to_dict(), rel=1e-7)
    chart = charts.concept_recall(varied, NOW)
    assert chart.spec is not None
    got = {(v["domain"], v["concept"]): v["recall"] for v in chart.spec["data"]["values"]}
    assert len(got) == len(expected) == 4 * len(CONCEPTS)
    assert got == pytest.approx({key: round(float(v), 4) for key, v in expected.items()}, abs=1.0001e-4)
    weakest = expected.sort_values().head(10)
    assert [(r[0], r[1]) for r in chart.rows] == [(d, c) for d, c in weakest.index]


def test_due_forecast_counts_each_learner_day_as_the_reference(varied: Collection) -> None:
    settings = varied.settings
    cards = reference_cards(varied)
    cards = cards[cards["queue"].isin([int(Queue.LEARNING), int(Queue.REVIEW)]) & cards["due"].notna()]
    today = varied.day(NOW).date
    days = [
        max(
            (pd.Timestamp(due).tz_convert(settings.timezone) - timedelta(hours=settings.rollover_hour)).date()
            - today,
            timedelta(0),
        ).days
        for due in cards["due"]
    ]
    expected = [days.count(k) for k in range(30)]
    chart = charts.due_forecast(varied, NOW)
    assert chart.spec is not None
    assert [v["cards"] for v in chart.spec["data"]["values"]] == expected
    assert expected[0] > 20 and sum(expected[10:]) > 50


def test_gap_attribution_matches_the_per_card_reference(varied: Collection) -> None:
    log = store.logs
    with read_transaction(varied.engine) as conn:
        answers = pd.DataFrame(
            [
                tuple(r)
                for r in conn.execute(
                    select(log.c.card_id, log.c.rating).where(log.c.learner_id == varied.learner_id)
                )
            ],
            columns=["card_id", "rating"],
        )
    totals = (
        answers.assign(failed=answers["rating"] == 1)
        .groupby("card_id", as_index=False)
        .agg(reviews=("rating", "size"), failed=("failed", "sum"))
    )
    cells = reference_concepts(varied).merge(totals, on="card_id")
    cells = cells.groupby(["deck", "concept"], as_index=False)[["reviews", "failed"]].sum()
    overall = cells["failed"].sum() / cells["reviews"].sum()
    rate = (cells["failed"] + PRIOR_REVIEWS * overall) / (cells["reviews"] + PRIOR_REVIEWS)
    expected = cells.assign(rate=rate).rename(columns={"deck": "domain"}).sort_values("rate", ascending=False)
    got = gap_attribution(varied)
    assert len(got) == 4 * len(CONCEPTS)
    columns = ["domain", "concept", "reviews", "failed", "rate"]
    pd.testing.assert_frame_equal(
        got[columns], expected[columns].reset_index(drop=True), check_dtype=False, rtol=1e-12
    )


def test_calendar_cells_name_their_day_week_and_weekday(varied: Collection) -> None:
    chart = charts.review_calendar(varied, NOW)
    assert chart.spec is not None
    values = chart.spec["data"]["values"]
    today = varied.day(NOW).date
    assert values[-1]["day"] == today.isoformat() and len(values) >= 52 * 7
    log, settings = store.logs, varied.settings
    with read_transaction(varied.engine) as conn:
        times = [
            r[0] for r in conn.execute(select(log.c.reviewed_at).where(log.c.learner_id == varied.learner_id))
        ]
    days = [(t.astimezone(settings.zone) - timedelta(hours=settings.rollover_hour)).date() for t in times]
    for cell in values:
        day = datetime.fromisoformat(cell["day"]).date()
        assert cell["week"] == (day - timedelta(days=day.weekday())).isoformat()
        assert cell["weekday"] == day.strftime("%a")
        assert cell["reviews"] == days.count(day)
    assert sum(cell["reviews"] for cell in values) == len(times)


def test_the_additive_fit_matches_the_plain_alternating_means() -> None:
    rng = np.random.default_rng(3)
    cells = pd.DataFrame(
        {
            "deck": rng.choice(["ds", "ml", "sys", "infra"], 60),
            "concept": rng.choice(CONCEPTS, 60),
            "reviews": rng.integers(1, 200, 60).astype(float),
            "rate": rng.uniform(0.02, 0.6, 60),
        }
    ).drop_duplicates(["deck", "concept"])
    weights, rate = cells["reviews"].to_numpy(), cells["rate"].to_numpy()
    mu = float(np.average(rate, weights=weights))
    domains, d_index = np.unique(cells["deck"].to_numpy(), return_inverse=True)
    concepts, c_index = np.unique(cells["concept"].to_numpy(), return_inverse=True)
    a, b = np.zeros(len(domains)), np.zeros(len(concepts))
    for _ in range(FIT_ROUNDS):
        a = np.bincount(d_index, weights * (rate - mu - b[c_index])) / np.bincount(d_index, weights)
        a -= np.average(a, weights=np.bincount(d_index, weights))
        b = np.bincount(c_index, weights * (rate - mu - a[d_index])) / np.bincount(c_index, weights)
        b -= np.average(b, weights=np.bincount(c_index, weights))
    got_mu, domain, concept = _additive_fit(cells)
    assert got_mu == mu
    assert list(domain.index) == list(domains) and list(domain) == list(a)
    assert list(concept.index) == list(concepts) and list(concept) == list(b)
