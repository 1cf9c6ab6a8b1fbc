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
from sqlalchemy import case, func, select

from trainer.insights.stats import MIN_EVIDENCE
from trainer.insights.tallies import ensure_tallies
from trainer.model import Card, CardKind, CardState, Rating
from trainer.storage import drill_tallies as tables
from trainer.storage import store
from trainer.storage.database import read_transaction
from trainer.storage.drill_tallies import FLAG, POINT

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


@dataclass
class _Tally:
    """How often one rubric text was shown and missed (a point) or raised (a flag)."""

    variants: set[int]
    shown: int = 0
    times: int = 0


def _recall(col: Collection) -> pd.DataFrame:
    """Per domain: graded answers to facts and clozes (cards in review state) and the share passed."""
    logs, cards = store.logs, store.cards
    passed = func.sum(case((logs.c.rating != int(Rating.Again), 1), else_=0))
    query = (
        select(cards.c.deck, func.count(), passed)
        .join(cards, cards.c.id == logs.c.card_id)
        .where(
            logs.c.learner_id == col.learner_id,
            logs.c.state_before == int(CardState.REVIEW),
            cards.c.kind != CardKind.DRILL.value,
        )
        .group_by(cards.c.deck)
    )
    with read_transaction(col.engine) as conn:
        rows = [(str(deck), int(count), int(ok)) for deck, count, ok in conn.execute(query)]
    frame = pd.DataFrame(rows, columns=["domain", "recall_reviews", "passed"]).set_index("domain")
    return pd.DataFrame(
        {"recall_reviews": frame["recall_reviews"], "recall_rate": frame["passed"] / frame["recall_reviews"]}
    )


@dataclass(frozen=True)
class DrillTallies:
    """The learner's drill tallies with each drill's current domain: `groups` (card_id, domain,
    variant, total, answers, ticked, flagged, first_log_id; ordered by first answer), `marks`
    ((card_id, variant, total, kind, item) to times) and `times` (domain, duration_ms,
    target_s, answers)."""

    groups: pd.DataFrame
    marks: dict[tuple[str, int, int, str, int], int]
    times: pd.DataFrame


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
        groups = [tuple(row) for row in conn.execute(group_query)]
        marks = {tuple(row[:5]): int(row[5]) for row in conn.execute(mark_query)}
        durations = [tuple(row) for row in conn.execute(time_query)]
    names = ["card_id", "domain", "variant", "total", "answers", "ticked", "flagged"]
    times = pd.DataFrame(durations, columns=["domain", "duration_ms", "target_s", "answers"])
    times["target_s"] = pd.to_numeric(times["target_s"]).fillna(240).astype(float)
    return DrillTallies(pd.DataFrame(groups, columns=names), marks, times)  # type: ignore[arg-type]


def _drill_performance(tallied: DrillTallies) -> pd.DataFrame:
    """Per domain with graded drill answers: how many, mean core coverage, red-flag rate, median
    answer time as a multiple of the target and the share of answers over `OVER_TARGET` times it
    (answers without a time count in the share, never over)."""
    groups = tallied.groups.assign(coverage=tallied.groups["ticked"] / tallied.groups["total"].astype(float))
    per_domain = groups.groupby("domain")[["answers", "coverage", "flagged"]].sum()
    times = tallied.times
    ratio = times["duration_ms"].astype(float) / 1000 / times["target_s"]
    timed = times.assign(ratio=ratio, over=(ratio > OVER_TARGET) * times["answers"])
    medians = {
        str(domain): float(np.median(np.repeat(rows["ratio"].to_numpy(), rows["answers"].to_numpy())))
        for domain, rows in timed.groupby("domain")
    }
    answers = per_domain["answers"]
    return pd.DataFrame(
        {
            "drill_answers": answers,
            "core_coverage": per_domain["coverage"] / answers,
            "red_flag_rate": per_domain["flagged"] / answers,
            "time_vs_target": pd.Series(medians, dtype=float),
            "over_target_share": timed.groupby("domain")["over"].sum().reindex(answers.index, fill_value=0)
            / answers,
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
    if not tallied.groups.empty:
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
    if tallied.groups.empty:
        return [], []
    cards = {card.id: card for card in col.card_contents(kind=CardKind.DRILL)}
    tallies: dict[tuple[str, str, str, str], _Tally] = {}

    def count(key: tuple[str, str, str, str], variant: int, shown: int, times: int) -> None:
        tally = tallies.setdefault(key, _Tally(set()))
        tally.variants.add(variant)
        tally.shown += shown
        tally.times += times

    marks = tallied.marks
    columns = ("card_id", "domain", "variant", "total", "answers")
    # Groups in the order their first answers were given, so a drill's texts keep that order.
    for card_id, domain, variant, total, shown in zip(*(tallied.groups[c] for c in columns), strict=True):
        card_id, domain, variant, total, shown = (
            str(card_id),
            str(domain),
            int(variant),
            int(total),
            int(shown),
        )
        rubric = _texts(cards.get(card_id), variant)
        if rubric is None or total != len(rubric[0]):
            continue
        for index, text in enumerate(rubric[0]):
            ticked = marks.get((card_id, variant, total, POINT, index), 0)
            count((card_id, domain, "points", text), variant, shown, shown - ticked)
        for index, text in enumerate(rubric[1]):
            raised = marks.get((card_id, variant, total, FLAG, index), 0)
            count((card_id, domain, "flags", text), variant, shown, raised)
    missed: list[Habit] = []
    flagged: list[Habit] = []
    for (card_id, domain, what, text), tally in tallies.items():
        if tally.shown < MIN_ANSWERS:
            continue
        habit = Habit(card_id, domain, tuple(sorted(tally.variants)), text, tally.shown, tally.times)
        if what == "points" and tally.times / tally.shown >= MISSED_SHARE:
            missed.append(habit)
        elif what == "flags" and tally.times >= FLAG_MIN_RAISED:
            flagged.append(habit)
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
