"""Focus sessions: study where it matters most instead of in plain due order.

"weakest" serves the due cards of the weakest domains first (weakest domain first, then by due
time), then brings forward their studied cards with the lowest retrievability now. FSRS takes an
early review into account: recall was likely, so stability grows less than at the due date.
"interview" serves, in the final days before the interview date, the cards whose predicted
recall on the date is below target, lowest first, and otherwise the weakest-domain session.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import or_, select

from trainer.errors import TrainerError
from trainer.insights.readiness import DEFAULT_TARGET, bring_forward
from trainer.insights.stats import driver_value, retrievability_at, utc_times, weakest_domains
from trainer.model import Queue
from trainer.storage import store
from trainer.storage.database import read_transaction

if TYPE_CHECKING:
    from trainer.collection import Collection

MODES = ("weakest", "interview")
FOCUS_DOMAINS = 2


def focus_domains(col: Collection, now: datetime, count: int = FOCUS_DOMAINS) -> list[str]:
    """`count` domains to focus on: the weakest by the uncertainty-aware rank, then those with
    the lowest shrunk recall (which includes domains with too few answers to rank), then those
    with the lowest mean retrievability now; before anything has been studied, the least-seen
    domains (fewest cards introduced, in deck order)."""
    report = col.domain_stats(now)
    chosen = weakest_domains(report)[:1]
    # After the weakest, the lowest shrunk recall: a domain with too few answers to be named
    # weakest still gets focus when its few answers went badly.
    answered = report[report["recall_answers_30d"] > 0].sort_values("retention_estimate", kind="stable")
    chosen += [str(d) for d in answered["domain"] if str(d) not in chosen]
    studied = report[report["retrievability"].notna()].sort_values("retrievability", kind="stable")
    chosen += [str(d) for d in studied["domain"] if str(d) not in chosen]
    if chosen:
        return chosen[:count]
    return least_seen_domains(report)[:count]


def least_seen_domains(report: pd.DataFrame) -> list[str]:
    """Every domain of a `domain_report`, the fewest cards introduced first (then deck order)."""
    return [str(d) for d in report.sort_values("introduced", kind="stable")["domain"]]


def empty_reason(col: Collection, now: datetime) -> str:
    """Why a focus session has nothing to serve now, in one sentence for the learner."""
    counts = col.today_counts(now)
    if not col.decks():
        return "No decks are synced yet."
    if counts.total:
        return "Only learning cards due later today are waiting; they come back when due."
    settings = col.settings
    return (
        "Nothing is due today in any domain, and no new card is left within today's limit "
        f"of {settings.new_per_day} new cards."
    )


def _studied_cards(col: Collection, now: datetime, domains: list[str]) -> pd.DataFrame:
    s = store.states
    query = select(
        s.c.card_id, s.c.deck, s.c.queue, driver_value(s.c.due), s.c.stability, driver_value(s.c.last_review)
    ).where(
        s.c.learner_id == col.learner_id,
        s.c.deck.in_(domains),
        s.c.queue.in_([int(Queue.LEARNING), int(Queue.REVIEW)]),
        or_(s.c.buried_until.is_(None), s.c.buried_until <= now),
    )
    with read_transaction(col.engine) as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(
        [tuple(r) for r in rows], columns=["card_id", "deck", "queue", "due", "stability", "last_review"]
    )
    frame["due"] = utc_times(frame["due"])
    frame["last_review"] = utc_times(frame["last_review"])
    frame["stability"] = frame["stability"].astype(float)
    return frame


def weakest_domain_queue(col: Collection, now: datetime, limit: int = 50) -> list[str]:
    """Card ids for a weakest-domains session: due cards of the weakest domains, then their
    other studied cards from the lowest retrievability now up."""
    domains = focus_domains(col, now)
    cards = _studied_cards(col, now, domains) if domains else pd.DataFrame()
    if cards.empty:
        return _first_of(col, now, [*domains, *least_seen_domains(col.domain_stats(now))])
    day = col.day(now)
    cards["rank"] = cards["deck"].map({d: i for i, d in enumerate(domains)})
    cards["r"] = retrievability_at(cards, col.settings.parameters, now)
    is_due = (cards["due"] < day.end) & ((cards["queue"] == int(Queue.REVIEW)) | (cards["due"] <= now))
    due = cards[is_due].sort_values(["rank", "due"], kind="stable")
    ahead = cards[~is_due & (cards["queue"] == int(Queue.REVIEW))].sort_values("r", kind="stable")
    if due.empty:
        # Nothing of theirs is due: their new cards come first, then their least-retained.
        first = _first_of(col, now, domains)
        return [*first, *(str(c) for c in ahead["card_id"] if str(c) not in first)][:limit]
    return [str(c) for c in [*due["card_id"], *ahead["card_id"]][:limit]]


def _first_of(col: Collection, now: datetime, domains: list[str]) -> list[str]:
    """The card the plain queue serves next from the first of `domains` that has one (a due or
    a new card within today's limits), as a one-card list; empty when none has any."""
    for domain in dict.fromkeys(domains):
        card = col.next_card(now, domain=domain)
        if card is not None:
            return [card.id]
    return []


def focus_queue(col: Collection, now: datetime, mode: str = "weakest", limit: int = 50) -> list[str]:
    """The card ids a focus session in `mode` ("weakest" or "interview") would serve, in order."""
    if mode not in MODES:
        raise TrainerError(f"focus mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "interview":
        brought = bring_forward(col, now, target=DEFAULT_TARGET, limit=limit)
        if brought:
            return brought
    return weakest_domain_queue(col, now, limit)
