"""Where the learner is weak: domain x concept recall, concept gaps vs domain gaps, missed points.

A card names one or more concepts, and concepts cut across domains, so each (domain, concept)
cell of the review log can be explained as grand mean + domain effect + concept effect. A weak
cell is a concept gap when the concept's effect explains it (the concept is weak everywhere),
a domain gap when the domain's effect does (everything in that domain is weak).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Table, Text, cast, func, select

from trainer.insights.stats import (
    MIN_EVIDENCE,
    driver_value,
    json_values,
    log_aggregates,
    raw_rows,
    recall_now,
)
from trainer.insights.tallies import ensure_tallies
from trainer.model import Queue
from trainer.storage import store, tallies
from trainer.storage.database import read_transaction

if TYPE_CHECKING:
    from trainer.collection import Collection

GAP_MARGIN = 0.15
PRIOR_REVIEWS = 5.0
FIT_ROUNDS = 50


def with_concepts(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame`, whose "concepts" column holds JSON lists as text, with one row per row and
    concept instead (a "concept" column in its place), in the order of the rows and of each
    list. Each distinct list is parsed once: cards share a few dozen of them. A frame that
    already has a "concept" or "code" column is refused (the result would lose or mix it up)."""
    if clash := sorted({"concept", "code"} & set(frame.columns)):
        raise ValueError(f"with_concepts: the frame already has a column named {clash[0]!r}")
    codes, texts = pd.factorize(frame["concepts"])
    lists = pd.DataFrame({"code": range(len(texts)), "concept": [json.loads(t) for t in texts]})
    lists = lists.explode("concept").dropna(subset=["concept"])
    exploded = frame.drop(columns="concepts").assign(code=codes).merge(lists, on="code")
    return exploded.drop(columns="code").reset_index(drop=True)


def _concept_text(cards: Table) -> ColumnElement[Any]:
    """A card's concepts as the JSON text stored (PostgreSQL's driver would parse it)."""
    return cast(cards.c.concepts, Text)


def card_concepts(col: Collection) -> pd.DataFrame:
    """One row per (live card, concept): card_id, deck, concept."""
    c, s = store.cards, store.states
    query = (
        select(c.c.id, c.c.deck, _concept_text(c))
        .join(s, (s.c.card_id == c.c.id) & (s.c.learner_id == col.learner_id))
        .where(s.c.queue != int(Queue.RETIRED))
    )
    with read_transaction(col.engine) as conn:
        rows = raw_rows(conn, query)
    return with_concepts(pd.DataFrame(rows, columns=["card_id", "deck", "concepts"]))


def domain_concept_retrievability(col: Collection, now: datetime) -> pd.DataFrame:
    """Mean retrievability now of reviewed cards per cell: rows are domains, columns concepts
    (nan where a cell has no reviewed card). The database sums the cards' recall per domain and
    list of concepts."""
    c, s = store.cards, store.states
    concepts = _concept_text(c)
    query = (
        select(c.c.deck, concepts, func.count(), func.sum(recall_now(col, now)))
        .join(s, (s.c.card_id == c.c.id) & (s.c.learner_id == col.learner_id))
        .where(s.c.queue != int(Queue.RETIRED), s.c.last_review.is_not(None))
        .group_by(c.c.deck, concepts)
    )
    with read_transaction(col.engine) as conn:
        rows = raw_rows(conn, query)
    if not rows:
        return pd.DataFrame(dtype=float)
    groups = pd.DataFrame(rows, columns=["deck", "concepts", "cards", "recall"])
    # A card without a stability has no recall (NULL): it counts as 0, as in `retrievability`.
    groups["recall"] = pd.to_numeric(groups["recall"]).astype(float).fillna(0.0)
    cells = with_concepts(groups).groupby(["deck", "concept"])[["cards", "recall"]].sum()
    return (cells["recall"] / cells["cards"]).unstack("concept")


def _concept_totals(col: Collection) -> pd.DataFrame:
    """Per (domain, concept): the tallied reviews and failed answers of the learner's live cards,
    summed by the database per domain and list of concepts. A card the learner answered is
    retired for them exactly when it is retired (its state's queue follows the card, which
    `trainer check` verifies), so the states are not read."""
    ensure_tallies(col, datetime.now(UTC))
    c, t = store.cards, tallies.card_totals
    concepts = _concept_text(c)
    query = (
        select(c.c.deck, concepts, func.sum(t.c.reviews), func.sum(t.c.failed))
        .join(t, (t.c.card_id == c.c.id) & (t.c.learner_id == col.learner_id))
        .where(~c.c.retired, t.c.reviews > 0)
        .group_by(c.c.deck, concepts)
    )
    with read_transaction(col.engine) as conn:
        rows = raw_rows(conn, query)
    frame = pd.DataFrame(rows, columns=["deck", "concepts", "reviews", "failed"])
    frame[["reviews", "failed"]] = frame[["reviews", "failed"]].astype(float)
    return with_concepts(frame)


def _additive_fit(cells: pd.DataFrame) -> tuple[float, pd.Series, pd.Series]:
    """Weighted two-way additive fit of `rate` ~ mu + domain + concept over the observed cells
    (alternating weighted means, each effect centred); returns mu and the two effect series."""
    weights = cells["reviews"].to_numpy(dtype=float)
    rate = cells["rate"].to_numpy(dtype=float)
    mu = float(np.average(rate, weights=weights))
    domains, d_index = np.unique(cells["deck"].to_numpy(), return_inverse=True)
    concepts, c_index = np.unique(cells["concept"].to_numpy(), return_inverse=True)
    a = np.zeros(len(domains))
    b = np.zeros(len(concepts))
    # Each domain's and concept's weight, and the weighted mean as np.average works it out.
    d_weight, c_weight = np.bincount(d_index, weights), np.bincount(c_index, weights)
    d_total, c_total = d_weight.sum(), c_weight.sum()
    for _ in range(FIT_ROUNDS):
        residual = rate - mu - b[c_index]
        a = np.bincount(d_index, weights * residual) / d_weight
        a -= np.multiply(a, d_weight).sum() / d_total
        residual = rate - mu - a[d_index]
        b = np.bincount(c_index, weights * residual) / c_weight
        b -= np.multiply(b, c_weight).sum() / c_total
    return mu, pd.Series(a, index=domains), pd.Series(b, index=concepts)


def gap_attribution(col: Collection, since: datetime | None = None) -> pd.DataFrame:
    """Per (domain, concept) cell with reviews since `since`: reviews, failed (Again), the raw
    `fail_rate`, the failure `rate` shrunk toward the overall rate, the fitted domain and
    concept effects, and `gap`: "concept" or "domain" (whichever effect explains a cell of at
    least MIN_EVIDENCE reviews that fails at least GAP_MARGIN above the overall rate; "both"
    when each effect does), or "" for a sound cell or one with too few reviews to tell."""
    columns = [
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
    if since is None:
        cells = _concept_totals(col)
    else:
        agg = log_aggregates(col, since=since)
        cells = card_concepts(col).merge(agg[["card_id", "reviews", "failed"]], on="card_id")
    cells = cells.groupby(["deck", "concept"], as_index=False)[["reviews", "failed"]].sum()
    cells = cells[cells["reviews"] > 0]
    if cells.empty:
        return pd.DataFrame(columns=columns)
    overall = cells["failed"].sum() / cells["reviews"].sum()
    cells["rate"] = (cells["failed"] + PRIOR_REVIEWS * overall) / (cells["reviews"] + PRIOR_REVIEWS)
    mu, domain_effect, concept_effect = _additive_fit(cells)
    cells["domain_effect"] = cells["deck"].map(domain_effect)
    cells["concept_effect"] = cells["concept"].map(concept_effect)
    weak = (cells["rate"] >= mu + GAP_MARGIN) & (cells["reviews"] >= MIN_EVIDENCE)
    by_concept = cells["concept_effect"] >= GAP_MARGIN / 2
    by_domain = cells["domain_effect"] >= GAP_MARGIN / 2
    cells["gap"] = np.select(
        [weak & by_concept & by_domain, weak & by_concept, weak & by_domain, weak],
        [
            "both",
            "concept",
            "domain",
            np.where(cells["concept_effect"] >= cells["domain_effect"], "concept", "domain"),
        ],
        default="",
    )
    cells = cells.rename(columns={"deck": "domain"})
    cells["fail_rate"] = cells["failed"] / cells["reviews"]
    cells[["reviews", "failed"]] = cells[["reviews", "failed"]].astype(int)
    return cells[columns].sort_values("rate", ascending=False).reset_index(drop=True)


def concept_gaps(attribution: pd.DataFrame) -> list[str]:
    """Concepts with a cell attributed as a concept gap (or both), weakest effect first."""
    hits = attribution[attribution["gap"].isin(["concept", "both"])]
    order = hits.groupby("concept")["concept_effect"].first().sort_values(ascending=False)
    return [str(c) for c in order.index]


def domain_gaps(attribution: pd.DataFrame) -> list[str]:
    """Domains with a cell attributed as a domain gap (or both), weakest effect first."""
    hits = attribution[attribution["gap"].isin(["domain", "both"])]
    order = hits.groupby("domain")["domain_effect"].first().sort_values(ascending=False)
    return [str(d) for d in order.index]


def _rubrics_by_length(points: list[str], drill: dict[str, Any] | None) -> dict[int, list[str] | None]:
    """The point texts of each rubric length a drill's base text and variants use; None for a
    length two of them share with different texts (a tally, kept by length, cannot tell which
    one an answer was graded against)."""
    rubrics: dict[int, list[str] | None] = {}
    variants = (drill or {}).get("variants") or []
    for texts in [points, *(variant.get("points") or points for variant in variants)]:
        if len(texts) in rubrics and rubrics[len(texts)] != texts:
            rubrics[len(texts)] = None
        else:
            rubrics.setdefault(len(texts), list(texts))
    return rubrics


def missed_points(col: Collection, limit: int = 20, now: datetime | None = None) -> pd.DataFrame:
    """The drill rubric points missed most often: card_id, domain, point (its text), index,
    shown (drill answers that graded it) and missed, most missed first. A variant's answers are
    named with the variant's points. Answers graded against a rubric of a length the drill no
    longer has (the deck has since changed), or of a length two of its texts share with
    different points, are left out."""
    columns = ["card_id", "domain", "point", "index", "shown", "missed", "miss_rate"]
    order = (["missed", "miss_rate", "card_id", "index"], [False, False, True, True])
    ensure_tallies(col, now or datetime.now(UTC))
    r = tallies.rubric_tallies
    query = select(r.c.card_id, r.c.total, r.c.point, r.c.shown, r.c.ticked).where(
        r.c.learner_id == col.learner_id, r.c.shown > r.c.ticked
    )
    with read_transaction(col.engine) as conn:
        rows = raw_rows(conn, query)
    ranked = pd.DataFrame(rows, columns=["card_id", "total", "index", "shown", "ticked"])
    ranked = ranked.astype({"total": "int64", "index": "int64", "shown": "int64", "ticked": "int64"})
    ranked["missed"] = ranked["shown"] - ranked["ticked"]
    ranked["miss_rate"] = ranked["missed"] / ranked["shown"]
    ranked = ranked.sort_values(order[0], ascending=order[1])
    # Most missed first, the cards' rubrics are read only until `limit` points have their text.
    found: list[tuple[Any, ...]] = []
    cards: dict[str, tuple[str, dict[int, list[str] | None]]] = {}
    start, size = 0, max(2 * limit, 1)
    while len(found) < limit and start < len(ranked):
        chunk = ranked.iloc[start : start + size]
        cards.update(_rubrics(col, sorted(set(chunk["card_id"]) - set(cards))))
        for card_id, total, point, shown, missed in zip(
            chunk["card_id"], chunk["total"], chunk["index"], chunk["shown"], chunk["missed"], strict=True
        ):
            deck, rubrics = cards.get(card_id, ("", {}))
            if (texts := rubrics.get(total)) is not None:
                found.append((card_id, deck, texts[point], point, shown, missed))
        start, size = start + size, 2 * size
    # Typed explicitly so that an empty answer (limit 0, nothing missed) has the same column
    # types as a full one: pandas would leave text columns of an empty frame as object.
    frame = pd.DataFrame(found, columns=columns[:-1]).astype(
        {
            "card_id": "str",
            "domain": "str",
            "point": "str",
            "index": "int64",
            "shown": "int64",
            "missed": "int64",
        }
    )
    frame["miss_rate"] = frame["missed"] / frame["shown"]
    frame = frame.sort_values(order[0], ascending=order[1])
    return frame.head(limit).reset_index(drop=True)


def _rubrics(col: Collection, ids: list[str]) -> dict[str, tuple[str, dict[int, list[str] | None]]]:
    """Each of the cards `ids`: its deck and the point texts of each rubric length it uses
    (`_rubrics_by_length`)."""
    c = store.cards
    query = select(c.c.id, c.c.deck, driver_value(c.c.points), driver_value(c.c.drill)).where(c.c.id.in_(ids))
    with read_transaction(col.engine) as conn:
        cards = raw_rows(conn, query)
    points = json_values(col, [card[2] for card in cards])
    drills = json_values(col, [card[3] for card in cards])
    return {
        card[0]: (card[1], _rubrics_by_length(texts or [], drill))
        for card, texts, drill in zip(cards, points, drills, strict=True)
    }


def overall_recall(report: pd.DataFrame) -> float | None:
    """The learner's recall over every domain of a `domain_report` (answers to cards already
    seen in the last 30 days that were not Again), or None before any such answer."""
    answers = report["recall_answers_30d"].fillna(0)
    total = float(answers.sum())
    return float((report["recall_30d"].fillna(0) * answers).sum()) / total if total else None


def weakest_evidence(report: pd.DataFrame) -> list[dict[str, Any]]:
    """The domains of a `domain_report` to name as weakest, weakest first: ranked ones (enough
    answers) whose optimistic recall (`ceiling`) is still below the learner's overall recall,
    so a domain is never called weak while it may well be as good as the rest. Each comes with
    the evidence behind it: `domain`, `answers` (recall answers in 30 days), `recalled` (of
    them, not Again), the shrunk `estimate` and its `ceiling`."""
    overall = overall_recall(report)
    ranked = report[report["weak_rank"].notna()].sort_values("weak_rank")
    return [
        {
            "domain": str(row.domain),
            "answers": int(row.recall_answers_30d),
            "recalled": round(float(row.recall_30d) * int(row.recall_answers_30d)),
            "estimate": float(row.retention_estimate),
            "ceiling": float(row.retention_ceiling),
        }
        for row in ranked.itertuples()
        if overall is not None and float(row.retention_ceiling) < overall
    ]
