"""Per-domain progress from card states and the review log, computed with pandas.

The database does the counting: card states in one pass, and the answers of the last 30 days
from the per-deck, per-day tallies every answer keeps (`trainer.insights.tallies`), so the
report reads a few hundred rows however long the log; the per-card frames serve other reports.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, case, extract, func, literal, select, type_coerce
from sqlalchemy.types import NullType

from trainer.insights import forecast
from trainer.insights.tallies import ensure_tallies
from trainer.model import CardState, Queue, Rating
from trainer.storage import store, tallies
from trainer.storage.database import is_sqlite, read_transaction
from trainer.storage.schema import UTCDateTime

if TYPE_CHECKING:
    from trainer.collection import Collection

MATURE_DAYS = 21.0
WINDOW_DAYS = 30
PRIOR_REVIEWS = 20.0
# The evidence needed before a domain is ranked (named weakest) or a domain-concept cell is
# named a gap: answers to cards already seen. Fewer are shown as raw counts only.
MIN_EVIDENCE = 10
CEILING_Z = 1.2816
COLUMNS = [
    "domain",
    "cards",
    "introduced",
    "mature",
    "due",
    "overdue",
    "reviews_30d",
    "retention_30d",
    "recall_answers_30d",
    "recall_30d",
    "retention_low",
    "retention_high",
    "retrievability",
    "lapses",
    "difficulty",
    "rubric_coverage",
    "retention_estimate",
    "retention_ceiling",
    "weak_rank",
]
MEMORY_COLUMNS = ["card_id", "deck", "stability", "difficulty", "last_review"]
LOG_AGGREGATES = ["card_id", "reviews", "failed", "graded", "passed", "ticked", "possible"]


def wilson_interval(passed: float, total: float, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a pass rate: (nan, nan) when there are no trials."""
    if total <= 0:
        return math.nan, math.nan
    rate = passed / total
    denominator = 1 + z * z / total
    centre = (rate + z * z / (2 * total)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def driver_value(column: Any) -> ColumnElement[Any]:
    """`column` without result processing: datetimes arrive as the driver gives them, which
    `utc_times` turns into a pandas column far faster than row-by-row conversion."""
    return type_coerce(column, NullType())


def raw_rows(conn: Any, query: Any) -> list[tuple[Any, ...]]:
    """The rows of `query` as the driver returns them (plain tuples, no per-value processing):
    times as stored (see `utc_times`), JSON as text on SQLite (see `json_values`)."""
    return list(conn.execute(query).cursor.fetchall())


def utc_times(values: pd.Series) -> pd.Series:
    """Driver datetimes (ISO text on SQLite, naive UTC on PostgreSQL) as tz-aware UTC."""
    return pd.to_datetime(values, utc=True, format="ISO8601")


def memory_frame(col: Collection, columns: Sequence[str] = tuple(MEMORY_COLUMNS)) -> pd.DataFrame:
    """One row per live, unsuspended card: of `MEMORY_COLUMNS` (card_id, deck, stability,
    difficulty and last_review in UTC; nan and NaT for a card never studied) those in `columns`."""
    s = store.states
    sources: dict[str, ColumnElement[Any]] = {name: s.c[name] for name in MEMORY_COLUMNS}
    sources["last_review"] = driver_value(s.c.last_review)
    query = select(*(sources[name] for name in columns)).where(
        s.c.learner_id == col.learner_id, s.c.queue != int(Queue.RETIRED), ~s.c.suspended
    )
    with read_transaction(col.engine) as conn:
        frame = pd.DataFrame(raw_rows(conn, query), columns=list(columns))
    if "last_review" in columns:
        frame["last_review"] = utc_times(frame["last_review"])
    for name in {"stability", "difficulty"} & set(columns):
        frame[name] = frame[name].astype(float)
    return frame


def scheduled_due_times(col: Collection) -> pd.Series:
    """When each card in the learning or review queue falls due (UTC)."""
    s = store.states
    query = select(driver_value(s.c.due)).where(
        s.c.learner_id == col.learner_id,
        s.c.queue.in_([int(Queue.LEARNING), int(Queue.REVIEW)]),
        s.c.due.is_not(None),
    )
    with read_transaction(col.engine) as conn:
        rows = raw_rows(conn, query)
    return utc_times(pd.Series([row[0] for row in rows], dtype=object))


def log_aggregates(col: Collection, since: datetime | None = None) -> pd.DataFrame:
    """Per card, over the log since `since` (all of it if None): reviews, failed (Again),
    graded and passed (reviews of cards in review state), rubric points ticked and possible."""
    logs = store.logs
    in_review = logs.c.state_before == int(CardState.REVIEW)
    again = logs.c.rating == int(Rating.Again)
    ticked_count = case((logs.c.points_total.is_not(None), func.json_array_length(logs.c.points_ticked)))
    query = select(
        logs.c.card_id,
        func.count(),
        func.count().filter(again),
        func.count().filter(in_review),
        func.count().filter(in_review & ~again),
        func.sum(ticked_count),
        func.sum(logs.c.points_total),
    ).where(logs.c.learner_id == col.learner_id)
    if since is not None:
        query = query.where(logs.c.reviewed_at >= since)
    with read_transaction(col.engine) as conn:
        rows = conn.execute(query.group_by(logs.c.card_id)).all()
    frame = pd.DataFrame(rows, columns=LOG_AGGREGATES)
    for name in LOG_AGGREGATES[1:]:
        frame[name] = pd.to_numeric(frame[name]).fillna(0).astype(float)
    return frame


LOG_COLUMNS = [
    "id",
    "card_id",
    "deck",
    "rating",
    "reviewed_at",
    "duration_ms",
    "state_before",
    "state_after",
    "points_ticked",
    "points_total",
]


def json_values(col: Collection, values: Sequence[Any]) -> list[Any]:
    """Driver values of a JSON column as Python values: SQLite hands over the JSON text, which is
    parsed in one pass; PostgreSQL's driver has already parsed it. SQL NULL (None, or NaN once in
    a pandas column) becomes None."""
    if not is_sqlite(col.engine):
        return list(values)
    return json.loads("[" + ",".join(v if isinstance(v, str) else "null" for v in values) + "]")


def log_frame(
    col: Collection,
    since: datetime | None = None,
    columns: Sequence[str] = tuple(LOG_COLUMNS),
    *,
    in_review: bool = False,
) -> pd.DataFrame:
    """The learner's review log, one row per answer, oldest first: of `LOG_COLUMNS` (id, card,
    deck, rating, time in UTC, duration, state before and after, rubric points ticked as a list
    or None, and possible) those in `columns`; since `since` if given, and only reviews of cards
    in review state if `in_review`. The `before`/`after` memories are never read."""
    logs, cards = store.logs, store.cards
    sources: dict[str, ColumnElement[Any]] = {name: logs.c[name] for name in LOG_COLUMNS if name != "deck"}
    sources["deck"] = cards.c.deck
    sources["reviewed_at"] = driver_value(logs.c.reviewed_at)
    # Only drill answers have ticks; every other row holds JSON null, left unread.
    sources["points_ticked"] = case((logs.c.points_total.is_not(None), driver_value(logs.c.points_ticked)))
    query = select(*(sources[name] for name in columns)).where(logs.c.learner_id == col.learner_id)
    if "deck" in columns:
        query = query.join(cards, cards.c.id == logs.c.card_id)
    if since is not None:
        query = query.where(logs.c.reviewed_at >= since)
    if in_review:
        query = query.where(logs.c.state_before == int(CardState.REVIEW))
    with read_transaction(col.engine) as conn:
        rows = conn.execute(query.order_by(logs.c.id)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(columns))
    if "reviewed_at" in columns:
        frame["reviewed_at"] = utc_times(frame["reviewed_at"])
    if "points_ticked" in columns:
        ticked = frame["points_ticked"].to_numpy(dtype=object)
        drill = np.flatnonzero(pd.notna(ticked))
        parsed = np.full(len(frame), None, dtype=object)
        parsed[drill] = pd.Series(json_values(col, ticked[drill].tolist()), dtype=object).to_numpy()
        frame["points_ticked"] = parsed
    return frame


def retrievability_at(cards: pd.DataFrame, parameters: tuple[float, ...], when: datetime) -> pd.Series:
    """FSRS retrievability at `when` for each card row (0 for cards never reviewed)."""
    elapsed = (pd.Timestamp(when) - cards["last_review"]).dt.total_seconds().to_numpy() / 86400
    stability = cards["stability"].to_numpy(dtype=float)
    values = forecast.retrievability(stability, elapsed, parameters)
    values = np.where(np.isnan(elapsed), 0.0, values)
    return pd.Series(values, index=cards.index, dtype=float)


def weakness_ranking(passed: pd.Series, graded: pd.Series) -> pd.DataFrame:
    """Empirical-Bayes recall per domain and a rank that noise cannot top.

    `passed` of `graded` are the domain's recall attempts that did not fail: answers to cards
    already seen, in learning, relearning or review, so a domain whose cards keep failing before
    they ever graduate counts as weak. Each domain's pass rate is shrunk toward the pooled rate
    with the weight of PRIOR_REVIEWS answers (`estimate`); `ceiling` is the optimistic end (90%
    one-sided) of that estimate. Domains are ranked weakest first by their ceiling, so a domain
    is called weak only when even the optimistic view of it is worse than the others; domains
    with fewer than MIN_EVIDENCE such answers get no rank.
    """
    total_graded = float(graded.sum())
    pooled = float(passed.sum()) / total_graded if total_graded else 0.9
    weight = graded + PRIOR_REVIEWS
    estimate = (passed + PRIOR_REVIEWS * pooled) / weight
    ceiling = np.minimum(1.0, estimate + CEILING_Z * np.sqrt(estimate * (1 - estimate) / (weight + 1)))
    rank = ceiling.where(graded >= MIN_EVIDENCE).rank(method="first")
    return pd.DataFrame({"retention_estimate": estimate, "retention_ceiling": ceiling, "weak_rank": rank})


def _state_counts(col: Collection, now: datetime) -> pd.DataFrame:
    """Per deck, from one pass of the database over live cards: cards, introduced, mature, due,
    overdue, lapses, mean difficulty of introduced cards and their mean retrievability now (the
    FSRS formula of `forecast.retrievability`)."""
    s = store.states
    day = col.day(now)
    introduced = s.c.state != int(CardState.NEW)
    recall = recall_now(col, now)
    reviewed = introduced & s.c.stability.is_not(None) & s.c.last_review.is_not(None)
    due_today = s.c.queue.in_([int(Queue.LEARNING), int(Queue.REVIEW)]) & (s.c.due < day.end)
    query = (
        select(
            s.c.deck,
            func.count(),
            func.count().filter(introduced),
            func.count().filter(introduced & (s.c.stability >= MATURE_DAYS)),
            func.count().filter(due_today),
            func.count().filter((s.c.queue == int(Queue.REVIEW)) & (s.c.due < day.start)),
            func.sum(s.c.lapses),
            func.avg(s.c.difficulty).filter(introduced),
            func.avg(recall).filter(reviewed),
        )
        .where(s.c.learner_id == col.learner_id, s.c.queue != int(Queue.RETIRED))
        .group_by(s.c.deck)
    )
    columns = [
        "domain",
        "cards",
        "introduced",
        "mature",
        "due",
        "overdue",
        "lapses",
        "difficulty",
        "retrievability",
    ]
    with read_transaction(col.engine) as conn:
        rows = raw_rows(conn, query)
    return pd.DataFrame(rows, columns=columns).set_index("domain")


def recall_now(col: Collection, now: datetime) -> ColumnElement[Any]:
    """SQL for a card state's FSRS retrievability at `now` (the formula of
    `forecast.retrievability`; NULL for a card never studied)."""
    s = store.states
    decay = -col.settings.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    elapsed = _elapsed_days(col, s.c.last_review, now)
    return func.power(1 + factor * case((elapsed < 0, 0.0), else_=elapsed) / s.c.stability, decay)


def _elapsed_days(col: Collection, column: Any, when: datetime) -> ColumnElement[Any]:
    """SQL for the days from `column` to `when`, on SQLite or PostgreSQL."""
    moment = literal(when, UTCDateTime)
    if is_sqlite(col.engine):
        return func.julianday(moment) - func.julianday(column)
    return extract("epoch", moment - column) / 86400.0


def deck_day_sums(col: Collection, first_day: date | None, now: datetime) -> pd.DataFrame:
    """Per deck, the tallied answers of the learner-days from `first_day` (all if None): the
    sums of `tallies.DECK_DAY_COUNTS`."""
    ensure_tallies(col, now)
    d = tallies.deck_days
    sums = [func.sum(d.c[name]) for name in tallies.DECK_DAY_COUNTS]
    query = select(d.c.deck, *sums).where(d.c.learner_id == col.learner_id).group_by(d.c.deck)
    if first_day is not None:
        query = query.where(d.c.day >= first_day.isoformat())
    with read_transaction(col.engine) as conn:
        rows = raw_rows(conn, query)
    frame = pd.DataFrame(rows, columns=["domain", *tallies.DECK_DAY_COUNTS]).set_index("domain")
    return frame.apply(pd.to_numeric).astype(float)


def deck_days_frame(col: Collection, first_day: date, now: datetime) -> pd.DataFrame:
    """The tallied rows from `first_day` on: day (a date), deck and `tallies.DECK_DAY_COUNTS`."""
    ensure_tallies(col, now)
    d = tallies.deck_days
    query = select(d.c.day, d.c.deck, *(d.c[name] for name in tallies.DECK_DAY_COUNTS)).where(
        d.c.learner_id == col.learner_id, d.c.day >= first_day.isoformat()
    )
    with read_transaction(col.engine) as conn:
        rows = raw_rows(conn, query)
    frame = pd.DataFrame(rows, columns=["day", "deck", *tallies.DECK_DAY_COUNTS])
    frame["day"] = pd.to_datetime(frame["day"], format="%Y-%m-%d")
    return frame


def reviews_per_day(col: Collection, first_day: date, now: datetime) -> pd.Series:
    """The tallied answers of each learner-day from `first_day` on, over every deck, by day
    (a datetime index named "day"); days without a tally row are absent."""
    ensure_tallies(col, now)
    d = tallies.deck_days
    query = (
        select(d.c.day, func.sum(d.c.reviews))
        .where(d.c.learner_id == col.learner_id, d.c.day >= first_day.isoformat())
        .group_by(d.c.day)
    )
    with read_transaction(col.engine) as conn:
        rows = raw_rows(conn, query)
    frame = pd.DataFrame(rows, columns=["day", "reviews"])
    days = pd.DatetimeIndex(pd.to_datetime(frame["day"], format="%Y-%m-%d"), name="day")
    return pd.Series(pd.to_numeric(frame["reviews"]).to_numpy(), index=days, name="reviews")


def domain_report(col: Collection, now: datetime) -> pd.DataFrame:
    """One row per domain, in deck order: cards, introduced, mature, due, overdue, 30-day
    retention (reviews of cards in review state over the learner's last WINDOW_DAYS days, today
    included) with a 95% Wilson interval, mean retrievability now, lapses, mean difficulty, drill
    rubric coverage; recall (answers to cards already seen, in any state, that were not Again)
    and a weakness rank from it (1 = weakest)."""
    decks = [d.slug for d in col.decks()]
    frame = _state_counts(col, now).reindex(decks)
    first_day = col.day(now).date - timedelta(days=WINDOW_DAYS - 1)
    window = deck_day_sums(col, first_day, now)
    frame = frame.join(window[["graded", "passed", "attempts", "recalled", "ticked", "possible"]])
    counts = [
        "cards",
        "introduced",
        "mature",
        "due",
        "overdue",
        "lapses",
        "graded",
        "passed",
        "attempts",
        "recalled",
        "ticked",
        "possible",
    ]
    frame[counts] = frame[counts].apply(pd.to_numeric).fillna(0)
    frame[["difficulty", "retrievability"]] = frame[["difficulty", "retrievability"]].astype(float)
    graded, passed = frame["graded"], frame["passed"]
    intervals = [wilson_interval(p, g) for p, g in zip(passed, graded, strict=True)]
    frame["retention_low"] = [low for low, _ in intervals]
    frame["retention_high"] = [high for _, high in intervals]
    frame["retention_30d"] = (passed / graded).where(graded > 0)
    frame["reviews_30d"] = graded
    attempts, recalled = frame["attempts"], frame["recalled"]
    frame["recall_answers_30d"] = attempts
    frame["recall_30d"] = (recalled / attempts).where(attempts > 0)
    frame["rubric_coverage"] = (frame["ticked"] / frame["possible"]).where(frame["possible"] > 0)
    frame = frame.join(weakness_ranking(recalled, attempts))
    frame = frame.rename_axis("domain").reset_index()
    ints = ["cards", "introduced", "mature", "due", "overdue", "reviews_30d", "recall_answers_30d", "lapses"]
    frame[ints] = frame[ints].astype(int)
    return frame[COLUMNS]


def weakest_domains(report: pd.DataFrame) -> list[str]:
    """Domains from a `domain_report`, weakest first; those with no graded reviews are left out."""
    ranked = report[report["weak_rank"].notna()].sort_values("weak_rank")
    return [str(d) for d in ranked["domain"]]
