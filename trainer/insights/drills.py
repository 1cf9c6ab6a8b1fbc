"""Knowing against framing: per domain, fact and cloze recall beside drill performance, and the
drill habits that repeat.

A learner can know a domain's facts and still frame its answers badly; this report shows both
side by side, and names such a domain once both rest on enough answers. Drill performance is core
coverage (the share of core points covered), the red-flag rate (answers with at least one red
flag) and answer time against the drill's target. A core point is called "often missed", and a red
flag "frequent", only after it has been shown `MIN_ANSWERS` times, so one bad day is not reported
as a pattern. A point or flag that several variants of a drill share is one habit, counted over
every answer that showed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from trainer.insights.stats import MIN_EVIDENCE, driver_value, raw_rows
from trainer.insights.tallies import ensure_tallies
from trainer.model import Card, CardKind, Queue, Variant
from trainer.storage import drill_tallies as tables
from trainer.storage import store, tallies
from trainer.storage.database import read_transaction
from trainer.storage.drill_tallies import FLAG, POINT
from trainer.storage.driver import Driver

if TYPE_CHECKING:
    from trainer.collection import Collection

MIN_ANSWERS = 3
MISSED_SHARE = 0.5
FLAG_MIN_RAISED = 2
OVER_TARGET = 1.5
# Fact recall this far above core coverage names a domain as known but badly framed.
FRAMING_GAP = 0.2
COLUMNS = [
    "domain",
    "recall_reviews",
    "recall_rate",
    "drill_answers",
    "core_coverage",
    "red_flag_rate",
    "time_vs_target",
    "over_target_share",
]


@dataclass(frozen=True)
class Habit:
    """A core point missed, or a red flag raised, again and again on one drill: its text, the
    variants that showed it, the answers that showed it and how often it was missed or raised."""

    card_id: str
    domain: str
    variants: tuple[int, ...]
    text: str
    answers: int
    times: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "card_id": self.card_id,
            "domain": self.domain,
            "variants": list(self.variants),
            "text": self.text,
            "answers": self.answers,
            "times": self.times,
        }


def _recall(col: Collection) -> pd.DataFrame:
    """Per domain: graded answers to facts and clozes (cards in review state) and the share
    passed, from the card totals (call `ensure_tallies` first)."""
    totals, cards = tallies.card_totals, store.cards
    query = (
        select(cards.c.deck, func.sum(totals.c.graded), func.sum(totals.c.passed))
        .join(cards, cards.c.id == totals.c.card_id)
        .where(
            totals.c.learner_id == col.learner_id, totals.c.graded != 0, cards.c.kind != CardKind.DRILL.value
        )
        .group_by(cards.c.deck)
    )
    with read_transaction(col.engine) as conn:
        rows = [(str(deck), int(count), int(ok)) for deck, count, ok in raw_rows(conn, query)]
    frame = pd.DataFrame(rows, columns=["domain", "recall_reviews", "passed"]).set_index("domain")
    return pd.DataFrame(
        {"recall_reviews": frame["recall_reviews"], "recall_rate": frame["passed"] / frame["recall_reviews"]}
    )


@dataclass(frozen=True)
class DrillTallies:
    """The learner's drill tallies with each drill's current domain: `groups` as (card_id,
    domain, variant, total, answers, ticked, flagged) in the order of their first answers,
    `marks` as (card_id, variant, total, kind, item) to times, and `times` as (domain,
    duration_ms, time target in seconds or None, answers)."""

    groups: list[tuple[str, str, int, int, int, int, int]]
    marks: dict[tuple[str, int, int, str, int], int]
    times: list[tuple[str, int, int | None, int]]


def drill_tallies(col: Collection, now: datetime | None = None) -> DrillTallies:
    """Read the learner's drill tallies (`trainer.storage.drill_tallies`), rows that count
    nothing left out."""
    ensure_tallies(col, now or datetime.now(UTC))
    t, m, d, cards = tables.drill_tallies, tables.drill_marks, tables.drill_times, store.cards
    group_query = (
        select(t.c.card_id, cards.c.deck, t.c.variant, t.c.total, t.c.answers, t.c.ticked, t.c.flagged)
        .join(cards, cards.c.id == t.c.card_id)
        .where(t.c.learner_id == col.learner_id, t.c.answers != 0)
        .order_by(t.c.first_log_id)
    )
    mark_query = select(m.c.card_id, m.c.variant, m.c.total, m.c.kind, m.c.item, m.c.times).where(
        m.c.learner_id == col.learner_id, m.c.times != 0
    )
    time_query = (
        select(cards.c.deck, d.c.duration_ms, cards.c.time_target_s, d.c.answers)
        .join(cards, cards.c.id == d.c.card_id)
        .where(d.c.learner_id == col.learner_id, d.c.answers != 0)
        .order_by(d.c.card_id, d.c.duration_ms)
    )
    with read_transaction(col.engine) as conn:
        groups = raw_rows(conn, group_query)
        marks = {
            (card, variant, total, kind, item): n
            for card, variant, total, kind, item, n in raw_rows(conn, mark_query)
        }
        times = raw_rows(conn, time_query)
    return DrillTallies(groups, marks, times)  # type: ignore[arg-type]


def _drill_performance(tallied: DrillTallies) -> pd.DataFrame:
    """Per domain with graded drill answers: how many, mean core coverage, red-flag rate, median
    answer time as a multiple of the target and the share of answers over `OVER_TARGET` times it
    (answers without a time count in the share, never over)."""
    names = ["card_id", "domain", "variant", "total", "answers", "ticked", "flagged"]
    groups = pd.DataFrame(tallied.groups, columns=names)
    groups["coverage"] = groups["ticked"] / groups["total"].astype(float)
    per_domain = groups.groupby("domain")[["answers", "coverage", "flagged"]].sum()
    times = pd.DataFrame(tallied.times, columns=["domain", "duration_ms", "target_s", "answers"])
    target = pd.to_numeric(times["target_s"]).fillna(240).astype(float)
    ratio = times["duration_ms"].astype(float) / 1000 / target
    timed = times.assign(ratio=ratio, over=(ratio > OVER_TARGET) * times["answers"])
    medians = {
        str(domain): float(np.median(np.repeat(rows["ratio"].to_numpy(), rows["answers"].to_numpy())))
        for domain, rows in timed.groupby("domain")
    }
    answers = per_domain["answers"]
    over = timed.groupby("domain")["over"].sum().reindex(answers.index, fill_value=0)
    return pd.DataFrame(
        {
            "drill_answers": answers,
            "core_coverage": per_domain["coverage"] / answers,
            "red_flag_rate": per_domain["flagged"] / answers,
            "time_vs_target": pd.Series(medians, dtype=float),
            "over_target_share": over / answers,
        },
        index=answers.index,
    )


def drill_report(col: Collection, tallied: DrillTallies | None = None) -> pd.DataFrame:
    """One row per domain (every synced deck), with `COLUMNS`: recall of facts and clozes in
    review, then drill answers, mean core coverage, red-flag rate, median answer time as a
    multiple of the target and the share of answers over 1.5 times it (NaN where nothing yet).
    `tallied` is `drill_tallies(col)` when the caller has read them already."""
    tallied = drill_tallies(col) if tallied is None else tallied
    per_domain = pd.DataFrame(index=pd.Index([deck.slug for deck in col.decks()], name="domain"))
    per_domain = per_domain.join(_recall(col))
    if tallied.groups:
        per_domain = per_domain.join(_drill_performance(tallied))
    frame = per_domain.reset_index().reindex(columns=COLUMNS)
    for name in ("recall_reviews", "drill_answers"):
        frame[name] = pd.to_numeric(frame[name]).fillna(0).astype(int)
    return frame


def framing_gaps(report: pd.DataFrame) -> list[dict[str, Any]]:
    """The domains of a `drill_report` whose facts the learner knows but whose drills they frame
    badly: at least `MIN_EVIDENCE` graded fact answers and as many drill answers, and core
    coverage at least `FRAMING_GAP` below fact recall. Widest gap first, each as `domain`,
    `recall_rate` and `core_coverage`."""
    enough = report[(report["recall_reviews"] >= MIN_EVIDENCE) & (report["drill_answers"] >= MIN_EVIDENCE)]
    gaps = enough.assign(gap=enough["recall_rate"] - enough["core_coverage"])
    named = gaps[gaps["gap"] >= FRAMING_GAP].sort_values(["gap", "domain"], ascending=[False, True])
    return [
        {
            "domain": str(row.domain),
            "recall_rate": float(row.recall_rate),
            "core_coverage": float(row.core_coverage),
        }
        for row in named.itertuples()
    ]


def _rubrics(col: Collection) -> dict[str, Card]:
    """The learner's live drills, each read as far as its rubrics (core points, red flags and
    variants): what the habits need, without rendering or the rest of each card."""
    cards, states = store.cards, store.states
    query = (
        select(cards.c.id, driver_value(cards.c.points), driver_value(cards.c.drill))
        .join(states, states.c.card_id == cards.c.id)
        .where(
            states.c.learner_id == col.learner_id,
            states.c.queue != int(Queue.RETIRED),
            cards.c.kind == CardKind.DRILL.value,
        )
    )
    with read_transaction(col.engine) as conn:
        rows = raw_rows(conn, query)
    found = {}
    for card_id, points, drill in rows:
        extras = Driver.read_json(drill) or {}
        found[card_id] = Card(
            card_id,
            "",
            CardKind.DRILL,
            points=tuple(Driver.read_json(points) or ()),
            red_flags=tuple(extras.get("red_flags") or ()),
            variants=tuple(Variant.from_dict(v) for v in extras.get("variants") or ()),
        )
    return found


def _texts(card: Card | None, variant: int) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The core points and red flags of `variant` of the drill `card`, None if it has no such variant."""
    if card is None or not 0 <= variant < card.variant_count:
        return None
    text = card.drill_text(variant)
    return text.points, text.red_flags


def drill_habits(
    col: Collection, limit: int = 10, tallied: DrillTallies | None = None
) -> tuple[list[Habit], list[Habit]]:
    """(core points most often missed, red flags most often raised), each shown at least
    `MIN_ANSWERS` times: a point missed in at least half of them, a flag raised at least twice.
    The same text in several variants of a drill is one habit. Answers against a rubric the deck
    has since changed are left out. `tallied` is `drill_tallies(col)` when the caller has read
    them already."""
    tallied = drill_tallies(col) if tallied is None else tallied
    if not tallied.groups:
        return [], []
    rubrics = _rubrics(col)
    marks = tallied.marks
    # (card_id, domain, "points" or "flags", text) to [variants, answers shown, times missed or
    # raised], first seen in the order of the groups' first answers, so a drill's texts keep it.
    found: dict[tuple[str, str, str, str], list[Any]] = {}
    for card_id, domain, variant, total, shown, _ticked, _flagged in tallied.groups:
        rubric = _texts(rubrics.get(card_id), variant)
        if rubric is None or total != len(rubric[0]):
            continue
        for what, kind, texts in (("points", POINT, rubric[0]), ("flags", FLAG, rubric[1])):
            for index, text in enumerate(texts):
                marked = marks.get((card_id, variant, total, kind, index), 0)
                times = shown - marked if kind == POINT else marked
                entry = found.get(key := (card_id, domain, what, text))
                if entry is None:
                    found[key] = [{variant}, shown, times]
                else:
                    entry[0].add(variant)
                    entry[1] += shown
                    entry[2] += times
    missed: list[Habit] = []
    flagged: list[Habit] = []
    for (card_id, domain, what, text), (variants, shown, times) in found.items():
        if shown < MIN_ANSWERS:
            continue
        if what == "points" and times / shown >= MISSED_SHARE:
            missed.append(Habit(card_id, domain, tuple(sorted(variants)), text, shown, times))
        elif what == "flags" and times >= FLAG_MIN_RAISED:
            flagged.append(Habit(card_id, domain, tuple(sorted(variants)), text, shown, times))
    return sorted(missed, key=_most_often)[:limit], sorted(flagged, key=_most_often)[:limit]


def _most_often(habit: Habit) -> tuple[float, int, str]:
    return (-habit.times / habit.answers, -habit.times, habit.card_id)


@dataclass(frozen=True)
class KnowingAndFraming:
    """Knowing beside framing in one read of the drill tallies: the per-domain `drill_report`,
    its `framing_gaps`, and the `drill_habits` (points often missed, red flags often raised)."""

    report: pd.DataFrame
    gaps: list[dict[str, Any]]
    missed: list[Habit]
    flagged: list[Habit]


def knowing_and_framing(col: Collection, now: datetime | None = None) -> KnowingAndFraming:
    """The learner's `KnowingAndFraming`, reading their drill tallies once."""
    tallied = drill_tallies(col, now)
    report = drill_report(col, tallied)
    missed, flagged = drill_habits(col, tallied=tallied)
    return KnowingAndFraming(report, framing_gaps(report), missed, flagged)
