"""Per-domain progress from card states and the review log, computed with pandas."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import select

from . import store
from .database import read_transaction
from .model import CardState, Queue, Rating

if TYPE_CHECKING:
    from .collection import Collection

MATURE_DAYS = 21.0
RETENTION_WINDOW = timedelta(days=30)
COLUMNS = [
    "domain",
    "cards",
    "introduced",
    "mature",
    "due",
    "overdue",
    "reviews_30d",
    "retention_30d",
    "retention_low",
    "retention_high",
    "retrievability",
    "lapses",
    "difficulty",
    "rubric_coverage",
]


def wilson_interval(passed: float, total: float, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a pass rate: (nan, nan) when there are no trials."""
    if total <= 0:
        return math.nan, math.nan
    rate = passed / total
    denominator = 1 + z * z / total
    centre = (rate + z * z / (2 * total)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def card_frame(col: Collection) -> pd.DataFrame:
    """One row per live card with the learner's state: deck, state, stability, due, and so on."""
    s = store.states
    query = select(
        s.c.card_id,
        s.c.deck,
        s.c.state,
        s.c.queue,
        s.c.stability,
        s.c.difficulty,
        s.c.due,
        s.c.last_review,
        s.c.lapses,
        s.c.suspended,
        s.c.leech,
    ).where(s.c.learner_id == col.learner_id, s.c.queue != int(Queue.RETIRED))
    with read_transaction(col.engine) as conn:
        return pd.DataFrame(
            conn.execute(query).all(),
            columns=[
                "card_id",
                "deck",
                "state",
                "queue",
                "stability",
                "difficulty",
                "due",
                "last_review",
                "lapses",
                "suspended",
                "leech",
            ],
        )


def log_frame(col: Collection, since: datetime | None = None) -> pd.DataFrame:
    """The learner's review log (card, deck, rating, time, state before, rubric ticks)."""
    logs, cards = store.logs, store.cards
    query = (
        select(
            logs.c.id,
            logs.c.card_id,
            cards.c.deck,
            logs.c.rating,
            logs.c.reviewed_at,
            logs.c.duration_ms,
            logs.c.state_before,
            logs.c.points_ticked,
            logs.c.points_total,
        )
        .join(cards, cards.c.id == logs.c.card_id)
        .where(logs.c.learner_id == col.learner_id)
    )
    if since is not None:
        query = query.where(logs.c.reviewed_at >= since)
    with read_transaction(col.engine) as conn:
        return pd.DataFrame(
            conn.execute(query).all(),
            columns=[
                "id",
                "card_id",
                "deck",
                "rating",
                "reviewed_at",
                "duration_ms",
                "state_before",
                "points_ticked",
                "points_total",
            ],
        )


def retrievability_now(cards: pd.DataFrame, decay: float, now: datetime) -> pd.Series:
    """FSRS retrievability at `now` for each card row (0 for cards never reviewed)."""
    factor = 0.9 ** (1 / -decay) - 1
    elapsed = (now - pd.to_datetime(cards["last_review"], utc=True)).dt.total_seconds() / 86400
    stability = cards["stability"].astype(float)
    values = np.power(1 + factor * elapsed.clip(lower=0) / stability, -decay)
    return values.where(stability.notna() & elapsed.notna(), 0.0).astype(float)


def domain_report(col: Collection, now: datetime) -> pd.DataFrame:
    """One row per domain: cards, introduced, mature, due, overdue, 30-day retention with a 95%
    Wilson interval, mean retrievability now, lapses, mean difficulty and drill rubric coverage."""
    decks = [d.slug for d in col.decks()]
    cards = card_frame(col)
    log = log_frame(col, since=now - RETENTION_WINDOW)
    day = col.day(now)
    rows = []
    decay = col.settings.parameters[20]
    if not cards.empty:
        cards["r_now"] = retrievability_now(cards, decay, now)
        due_at = pd.to_datetime(cards["due"], utc=True)
        cards["is_due"] = cards["queue"].isin([int(Queue.LEARNING), int(Queue.REVIEW)]) & (due_at < day.end)
        cards["is_overdue"] = (cards["queue"] == int(Queue.REVIEW)) & (due_at < day.start)
    for deck in decks:
        mine = cards[cards["deck"] == deck] if not cards.empty else cards
        introduced = mine[mine["state"] != int(CardState.NEW)] if not mine.empty else mine
        graded = log[(log["deck"] == deck) & (log["state_before"] == int(CardState.REVIEW))]
        passed = int((graded["rating"] != int(Rating.Again)).sum())
        total = len(graded)
        low, high = wilson_interval(passed, total)
        drills = log[(log["deck"] == deck) & log["points_total"].notna()]
        ticked = drills["points_ticked"].map(len).sum() if not drills.empty else 0
        possible = drills["points_total"].sum() if not drills.empty else 0
        rows.append(
            {
                "domain": deck,
                "cards": len(mine),
                "introduced": len(introduced),
                "mature": int((introduced["stability"] >= MATURE_DAYS).sum()) if len(introduced) else 0,
                "due": int(mine["is_due"].sum()) if len(mine) else 0,
                "overdue": int(mine["is_overdue"].sum()) if len(mine) else 0,
                "reviews_30d": total,
                "retention_30d": passed / total if total else math.nan,
                "retention_low": low,
                "retention_high": high,
                "retrievability": float(introduced["r_now"].mean()) if len(introduced) else math.nan,
                "lapses": int(mine["lapses"].sum()) if len(mine) else 0,
                "difficulty": float(introduced["difficulty"].mean()) if len(introduced) else math.nan,
                "rubric_coverage": float(ticked) / float(possible) if possible else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
