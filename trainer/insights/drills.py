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

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import case, func, select

from trainer.insights.stats import MIN_EVIDENCE, driver_value, json_values
from trainer.model import Card, CardKind, CardState, Rating
from trainer.storage import store
from trainer.storage.database import read_transaction

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


def drill_answers(col: Collection) -> pd.DataFrame:
    """The learner's graded drill answers, oldest first: card_id, domain, variant, ticked (list),
    total, flags (list), duration_ms and the drill's time target in seconds."""
    logs, cards = store.logs, store.cards
    query = (
        select(
            logs.c.card_id,
            cards.c.deck,
            logs.c.variant,
            driver_value(logs.c.points_ticked),
            logs.c.points_total,
            driver_value(logs.c.flags_raised),
            logs.c.duration_ms,
            cards.c.time_target_s,
        )
        .join(cards, cards.c.id == logs.c.card_id)
        .where(logs.c.learner_id == col.learner_id, logs.c.points_total.is_not(None))
        .order_by(logs.c.id)
    )
    with read_transaction(col.engine) as conn:
        rows = conn.execute(query).all()
    names = ["card_id", "domain", "variant", "ticked", "total", "flags", "duration_ms", "target_s"]
    frame = pd.DataFrame([tuple(r) for r in rows], columns=names)
    frame["ticked"] = pd.Series([v or [] for v in json_values(col, [r[3] for r in rows])], dtype=object)
    frame["flags"] = pd.Series([v or [] for v in json_values(col, [r[5] for r in rows])], dtype=object)
    frame["variant"] = frame["variant"].fillna(0).astype(int)
    frame["target_s"] = pd.to_numeric(frame["target_s"]).fillna(240).astype(float)
    return frame


def drill_report(col: Collection, answers: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per domain (every synced deck), with `COLUMNS`: recall of facts and clozes in
    review, then drill answers, mean core coverage, red-flag rate, median answer time as a
    multiple of the target and the share of answers over 1.5 times it (NaN where nothing yet).
    `answers` is `drill_answers(col)` when the caller has read it already."""
    answers = drill_answers(col) if answers is None else answers
    per_domain = pd.DataFrame(index=pd.Index([deck.slug for deck in col.decks()], name="domain"))
    per_domain = per_domain.join(_recall(col))
    if not answers.empty:
        coverage = answers["ticked"].map(len) / answers["total"].astype(float)
        timed = answers["duration_ms"].astype(float) / 1000 / answers["target_s"]
        grouped = answers.assign(
            coverage=coverage, flagged=answers["flags"].map(bool), ratio=timed, over=timed > OVER_TARGET
        ).groupby("domain")
        drills = pd.DataFrame(
            {
                "drill_answers": grouped.size(),
                "core_coverage": grouped["coverage"].mean(),
                "red_flag_rate": grouped["flagged"].mean(),
                "time_vs_target": grouped["ratio"].median(),
                "over_target_share": grouped["over"].mean(),
            }
        )
        per_domain = per_domain.join(drills)
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
    col: Collection, limit: int = 10, answers: pd.DataFrame | None = None
) -> tuple[list[Habit], list[Habit]]:
    """(core points most often missed, red flags most often raised), each shown at least
    `MIN_ANSWERS` times: a point missed in at least half of them, a flag raised at least twice.
    The same text in several variants of a drill is one habit. Answers against a rubric the deck
    has since changed are left out. `answers` is `drill_answers(col)` when the caller has read
    it already."""
    answers = drill_answers(col) if answers is None else answers
    if answers.empty:
        return [], []
    cards = {card.id: card for card in col.card_contents(kind=CardKind.DRILL)}
    # Answers grouped by drill variant and rubric size first: how many, and how often each
    # point was ticked and each flag raised; each rubric's texts are then read once per group.
    groups: dict[tuple[str, str, int, int], tuple[list[int], Counter[int], Counter[int]]] = {}
    columns = ("card_id", "domain", "variant", "total", "ticked", "flags")
    for card_id, domain, variant, total, ticked, flags in zip(*(answers[c] for c in columns), strict=True):
        key = (str(card_id), str(domain), int(variant), int(total))
        if (group := groups.get(key)) is None:
            group = groups[key] = ([0], Counter(), Counter())
        group[0][0] += 1
        group[1].update(set(ticked))
        group[2].update(set(flags))
    tallies: dict[tuple[str, str, str, str], _Tally] = {}

    def count(key: tuple[str, str, str, str], variant: int, shown: int, times: int) -> None:
        tally = tallies.setdefault(key, _Tally(set()))
        tally.variants.add(variant)
        tally.shown += shown
        tally.times += times

    for (card_id, domain, variant, total), ([shown], ticked, raised) in groups.items():
        rubric = _texts(cards.get(card_id), variant)
        if rubric is None or total != len(rubric[0]):
            continue
        for index, text in enumerate(rubric[0]):
            count((card_id, domain, "points", text), variant, shown, shown - ticked[index])
        for index, text in enumerate(rubric[1]):
            count((card_id, domain, "flags", text), variant, shown, raised[index])
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
    """Knowing beside framing in one read of the drill answers: the per-domain `drill_report`,
    its `framing_gaps`, and the `drill_habits` (points often missed, red flags often raised)."""

    report: pd.DataFrame
    gaps: list[dict[str, Any]]
    missed: list[Habit]
    flagged: list[Habit]


def knowing_and_framing(col: Collection) -> KnowingAndFraming:
    """The learner's `KnowingAndFraming`, reading their drill answers once."""
    answers = drill_answers(col)
    report = drill_report(col, answers)
    missed, flagged = drill_habits(col, answers=answers)
    return KnowingAndFraming(report, framing_gaps(report), missed, flagged)
