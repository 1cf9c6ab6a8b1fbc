"""A review session in the terminal: show, reveal on a key, rate 1 to 4, undo, quit.

Rules live in `Collection`; this module only shows cards and reads keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import click
from fsrs import Rating

from trainer.cli.markup import terminal_text
from trainer.collection import Collection
from trainer.decks.render import cloze_back, cloze_front
from trainer.errors import NothingToUndo
from trainer.model import Card, CardKind, DrillStyle, StudyCard
from trainer.study.drills import DrillAnswer, shown_text, story_checklist
from trainer.study.feedback import SUSPENDED, answer_feedback
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
        return terminal_text(cloze_front(card.text, card.cloze, html_output=False))
    return terminal_text(card.prompt)


def _back(study: StudyCard) -> list[str]:
    card = study.card
    lines = [
        terminal_text(cloze_back(card.text, card.cloze, html_output=False))
        if card.kind == CardKind.CLOZE
        else terminal_text(card.answer)
    ]
    if card.why:
        lines.append(terminal_text(card.why, lead=click.style("Why: ", bold=True)))
    return lines


class Quit(Exception):
    """The learner typed q at a prompt: end the session without answering."""


def _numbers(label: str, size: int, echo: Callable[..., None]) -> list[int]:
    """Indexes (typed 1-based) the learner picks from a list of `size`; q quits."""
    while True:
        raw = click.prompt(f"{label} (numbers, enter for none)", default="", show_default=False)
        if raw.strip().lower() == "q":
            raise Quit
        try:
            picked = sorted({int(part) - 1 for part in raw.replace(",", " ").split()})
        except ValueError:
            echo("Type point numbers separated by spaces.")
            continue
        if all(0 <= i < size for i in picked):
            return picked
        echo(f"Numbers run from 1 to {size}.")


def _listing(title: str, items: tuple[str, ...], echo: Callable[..., None]) -> None:
    echo(click.style(title, bold=True))
    for number, item in enumerate(items, start=1):
        echo(terminal_text(item, lead=f"  {number}. "))


def _ask_rubric(
    col: Collection, study: StudyCard, typed: str | None, duration_ms: int, echo: Callable[..., None]
) -> tuple[DrillAnswer, Rating]:
    """Ask which core and optional points the answer covered and which red flags it made; show
    the suggested rating with its reasons. Raises Quit if the learner types q."""
    text = shown_text(study.card, study.memory.reps)
    _listing("Core points: which did your answer cover?", text.points, echo)
    ticked = _numbers("Core points covered", len(text.points), echo)
    optional: list[int] = []
    flags: list[int] = []
    if text.optional:
        _listing("Optional points that lift an answer:", text.optional, echo)
        optional = _numbers("Optional points covered", len(text.optional), echo)
    if text.red_flags:
        _listing("Red flags: mistakes that sink an answer.", text.red_flags, echo)
        flags = _numbers("Red flags you made", len(text.red_flags), echo)
    answer = DrillAnswer.of(ticked, optional, flags, typed_answer=typed)
    suggestion = col.suggest_rating(study, answer, duration_ms)
    echo(click.style("Suggested: ", bold=True) + suggestion.explanation())
    return answer, suggestion.rating


def _follow_ups(study: StudyCard, getchar: Callable[[], str], echo: Callable[..., None]) -> list[int]:
    """Put each follow-up to the learner, reveal its model answer on a key and ask whether they
    handled it; the indexes they handled. Raises Quit on q."""
    done: list[int] = []
    for number, follow in enumerate(study.card.follow_ups):
        echo(terminal_text(follow.prompt, lead=click.style(f"Push-back {number + 1}: ", bold=True)))
        echo(click.style("answer aloud, then any key: show its model answer   q: quit", dim=True))
        if getchar() in QUIT_KEYS:
            raise Quit
        echo(terminal_text(follow.answer))
        echo(click.style("Did you handle it? y/n", dim=True))
        key = getchar()
        if key in QUIT_KEYS:
            raise Quit
        if key in ("y", "Y"):
            done.append(number)
    return done


def _drill_front(col: Collection, study: StudyCard) -> tuple[str, str]:
    """The drill's heading details and the prompt of the variant this review shows."""
    card = study.card
    text = shown_text(card, study.memory.reps)
    target = card.drill_time_target_s
    version = f" · version {text.variant + 1} of {card.variant_count}" if card.variant_count > 1 else ""
    return f" · {card.drill_style.value}{version} · aim for {_clock(target)}", terminal_text(text.prompt)


def _clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _answer_time(card: Card, seconds: float) -> str:
    """How long the learner took to answer beside the drill's time target, in minutes and
    seconds; the time in colour once it is past the target."""
    target = card.drill_time_target_s
    took = click.style(_clock(int(seconds)), bold=True, fg="yellow" if seconds > target else None)
    return f"Answer time: {took} (aim for {_clock(target)})"


def _write_story(col: Collection, card_id: str, echo: Callable[..., None]) -> None:
    """Read the learner's story, paragraph by paragraph until an empty line, and save it; an
    empty story leaves the one kept (if any) as it was."""
    echo(click.style("Your story (enter on an empty line ends it):", bold=True))
    lines: list[str] = []
    while line := click.prompt("", default="", show_default=False, prompt_suffix="").strip():
        lines.append(line)
    if not lines:
        echo("Nothing written; your story was not changed.")
        return
    col.save_story(card_id, "\n\n".join(lines))
    echo("Your story was saved.")


def _drill_back(col: Collection, study: StudyCard, typed: str | None, echo: Callable[..., None]) -> None:
    """The typed answer, the previous one, the learner's story (story drills) and the model or
    example answer of the variant shown."""
    card = study.card
    text = shown_text(card, study.memory.reps)
    if typed:
        echo(terminal_text(typed, lead=click.style("Your answer: ", bold=True), markdown=False))
    earlier = col.typed_answers(card.id)
    if earlier:
        when = earlier[0].reviewed_at.strftime("%Y-%m-%d")
        previous = click.style(f"Your previous answer ({when}): ", bold=True)
        echo(terminal_text(str(earlier[0].typed_answer), lead=previous, markdown=False))
    if card.drill_style == DrillStyle.STORY:
        story = col.story(card.id)
        echo(
            terminal_text(
                story or "(not written yet: press w to write it)",
                lead=click.style("Your story: ", bold=True),
                markdown=False,
            )
        )
        checklist = story_checklist(card)
        if checklist:
            _listing("What every story needs:", checklist, echo)
        echo(click.style("Example story (not the answer: tell yours):", bold=True))
    else:
        echo(click.style("Model answer:", bold=True))
    echo(terminal_text(text.answer))


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
    try:
        _loop(col, summary, domain, limit, echo, getchar)
    except Quit:
        return summary
    echo(f"Answered {summary.answered} card(s).")
    return summary


def _loop(
    col: Collection,
    summary: SessionSummary,
    domain: str | None,
    limit: int | None,
    echo: Callable[..., None],
    getchar: Callable[[], str],
) -> None:
    while limit is None or summary.answered < limit:
        study = col.next_card(domain=domain)
        if study is None:
            echo("Nothing more is due today. Well done.")
            break
        counts = col.today_counts()
        card = study.card
        is_drill = card.kind == CardKind.DRILL
        details, front = _drill_front(col, study) if is_drill else ("", _front(study))
        echo("")
        echo(
            click.style(f"[{card.deck}] {card.kind.value}{details}", fg="cyan")
            + f"   new {counts.new} · learning {counts.learning} · review {counts.review}"
        )
        echo(front)
        typing = "   t: type your answer" if is_drill else ""
        echo(click.style(f"space/enter: show answer{typing}   u: undo   q: quit", dim=True))
        shown = time.monotonic()
        key = getchar()
        typed: str | None = None
        if is_drill and key in ("t", "T"):
            typed = click.prompt("Your answer", default="", show_default=False).strip() or None
            key = " "
        if key in QUIT_KEYS:
            return
        if key in ("u", "U"):
            _undo(col, summary, echo)
            continue
        drill: DrillAnswer | None = None
        suggestion: Rating | None = None
        if is_drill:
            echo(_answer_time(card, time.monotonic() - shown))
            _drill_back(col, study, typed, echo)
            if card.drill_style == DrillStyle.STORY:
                verb = "write" if col.story(card.id) is None else "rewrite"
                echo(click.style(f"w: {verb} your story now   any other key: go on", dim=True))
                if getchar() in ("w", "W"):
                    _write_story(col, card.id, echo)
            elapsed = int((time.monotonic() - shown) * 1000)
            drill, suggestion = _ask_rubric(col, study, typed, min(elapsed, 86_400_000), echo)
            drill = replace(drill, follow_ups_done=tuple(_follow_ups(study, getchar, echo)))
        else:
            for line in _back(study):
                echo(line)
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
                moment = datetime.now(UTC)
                memory = col.answer(card.id, rating, moment, min(duration, 86_400_000), drill=drill)
                echo(answer_feedback(rating, memory, moment))
                summary.answered += 1
                summary.actions.append("answer")
                break
            if key in ("s", "S"):
                col.suspend(card.id)
                summary.actions.append("suspend")
                echo(SUSPENDED)
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
                raise Quit


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
