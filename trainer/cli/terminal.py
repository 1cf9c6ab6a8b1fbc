"""A review session in the terminal: show, reveal on a key, rate 1 to 4, undo, quit.

Rules live in `Collection`; this module only shows cards and reads keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import click
from fsrs import Rating

from trainer.collection import Collection
from trainer.decks.render import cloze_back, cloze_front, plain_text
from trainer.errors import NothingToUndo
from trainer.model import CardKind, StudyCard
from trainer.study.rubric import suggested_rating
from trainer.study.scheduling import format_interval

RATING_KEYS = {"1": Rating.Again, "2": Rating.Hard, "3": Rating.Good, "4": Rating.Easy}
# Escape, q, and the empty string click returns when input has ended all mean "quit".
QUIT_KEYS = ("q", "Q", "\x1b", "")
REVEAL_KEYS = (" ", "\r", "\n")


@dataclass
class SessionSummary:
    """What a terminal session did: answers still standing (an undone one no longer counts),
    undos, and the session's own actions, newest last, which are all `u` may undo."""

    answered: int = 0
    undone: int = 0
    actions: list[str] = field(default_factory=list)


def _front(study: StudyCard) -> str:
    card = study.card
    if card.kind == CardKind.CLOZE:
        return cloze_front(card.text, html_output=False)
    return plain_text(card.prompt)


def _back(study: StudyCard) -> list[str]:
    card = study.card
    lines = [
        cloze_back(card.text, html_output=False) if card.kind == CardKind.CLOZE else plain_text(card.answer)
    ]
    if card.why:
        lines.append(click.style("Why: ", bold=True) + plain_text(card.why))
    return lines


def _ask_points(study: StudyCard, echo: Callable[..., None]) -> tuple[list[int], Rating]:
    points = study.card.points
    echo(click.style("Rubric: which points did your answer cover?", bold=True))
    for number, point in enumerate(points, start=1):
        echo(f"  {number}. {point}")
    while True:
        raw = click.prompt("Numbers you covered, e.g. 1 3 (enter for none)", default="", show_default=False)
        try:
            ticked = sorted({int(part) - 1 for part in raw.replace(",", " ").split()})
        except ValueError:
            echo("Type point numbers separated by spaces.")
            continue
        if all(0 <= i < len(points) for i in ticked):
            break
        echo(f"Point numbers run from 1 to {len(points)}.")
    suggestion = suggested_rating(len(ticked), len(points))
    echo(f"Covered {len(ticked)} of {len(points)}: suggested rating {suggestion.name}.")
    return ticked, suggestion


def run_session(
    col: Collection,
    *,
    domain: str | None = None,
    limit: int | None = None,
    echo: Callable[..., None] = click.echo,
    getchar: Callable[[], str] = click.getchar,
) -> SessionSummary:
    """Review due cards until none are left, `limit` is reached or the learner quits."""
    summary = SessionSummary()
    while limit is None or summary.answered < limit:
        study = col.next_card(domain=domain)
        if study is None:
            echo("Nothing more is due today. Well done.")
            break
        counts = col.today_counts()
        card = study.card
        echo("")
        echo(
            click.style(f"[{card.deck}] {card.kind.value}", fg="cyan")
            + f"   new {counts.new} · learning {counts.learning} · review {counts.review}"
        )
        echo(_front(study))
        echo(click.style("space/enter: show answer   u: undo   q: quit", dim=True))
        shown = time.monotonic()
        key = getchar()
        if key in QUIT_KEYS:
            break
        if key in ("u", "U"):
            _undo(col, summary, echo)
            continue
        for line in _back(study):
            echo(line)
        ticked: list[int] | None = None
        suggestion: Rating | None = None
        if card.kind == CardKind.DRILL:
            ticked, suggestion = _ask_points(study, echo)
        previews = col.previews(card.id)
        echo(
            "   ".join(
                f"{int(p.rating)} {p.rating.name} ({format_interval(p.interval_seconds)})" for p in previews
            )
        )
        hint = "enter: accept suggestion   " if suggestion else ""
        echo(click.style(f"1-4: rate   {hint}s: suspend   b: bury   u: undo   q: quit", dim=True))
        while True:
            key = getchar()
            if key in RATING_KEYS or (suggestion is not None and key in ("\r", "\n")):
                rating = RATING_KEYS.get(key) or suggestion
                assert rating is not None
                duration = int((time.monotonic() - shown) * 1000)
                col.answer(card.id, rating, duration_ms=min(duration, 86_400_000), points_ticked=ticked)
                summary.answered += 1
                summary.actions.append("answer")
                break
            if key in ("s", "S"):
                col.suspend(card.id)
                summary.actions.append("suspend")
                echo("Suspended.")
                break
            if key in ("b", "B"):
                col.bury(card.id)
                summary.actions.append("bury")
                echo("Buried until tomorrow.")
                break
            if key in ("u", "U"):
                _undo(col, summary, echo)
                break
            if key in QUIT_KEYS:
                return summary
    echo(f"Answered {summary.answered} card(s).")
    return summary


def _undo(col: Collection, summary: SessionSummary, echo: Callable[..., None]) -> None:
    """Undo this session's last action; actions from before the session are left alone."""
    if not summary.actions:
        echo("Nothing to undo in this session.")
        return
    try:
        undone = col.undo_last()
    except NothingToUndo:
        summary.actions.clear()
        echo("Nothing to undo.")
        return
    summary.actions.pop()
    summary.undone += 1
    if undone.action == "answer":
        summary.answered -= 1
    echo(undone.describe())
