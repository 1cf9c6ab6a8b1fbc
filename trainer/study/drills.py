"""Drill answers: which variant a review shows, what a learner may mark on it, and the suggested
rating with its reasons.

A drill is one FSRS card whatever its variants. Review number *n* of a card (its `reps` before
the answer) shows text `n % variant_count`, so consecutive reviews show different texts when there
are variants, and the same review shows the same text in every tab and again after an undo.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from trainer.errors import Problem, ProblemsError
from trainer.model import STORY_POINTS, Card, CardKind, DrillStyle, DrillText
from trainer.study.rubric import MAX_TYPED_ANSWER, RubricAnswer, Suggestion, suggest

MAX_STORY = 20_000


class DrillAnswerError(ProblemsError):
    """What a learner marked on a drill answer does not fit the card; nothing was recorded."""


@dataclass(frozen=True)
class DrillAnswer:
    """What comes with an answer beside its rating: the rubric marks (indexes into the shown
    variant's core points, optional points and red flags), the follow-ups handled, and the
    typed answer. `points_ticked=None` means the rubric was not used."""

    points_ticked: tuple[int, ...] | None = None
    optional_ticked: tuple[int, ...] = ()
    flags_raised: tuple[int, ...] = ()
    follow_ups_done: tuple[int, ...] = ()
    typed_answer: str | None = None

    @classmethod
    def of(
        cls,
        points_ticked: Iterable[int] | None = None,
        optional_ticked: Iterable[int] | None = None,
        flags_raised: Iterable[int] | None = None,
        follow_ups_done: Iterable[int] | None = None,
        typed_answer: str | None = None,
    ) -> DrillAnswer:
        """Build from any iterables (None for not given)."""
        return cls(
            None if points_ticked is None else tuple(points_ticked),
            tuple(optional_ticked or ()),
            tuple(flags_raised or ()),
            tuple(follow_ups_done or ()),
            typed_answer,
        )

    @property
    def empty(self) -> bool:
        return (
            self.points_ticked is None
            and not self.optional_ticked
            and not self.flags_raised
            and not self.follow_ups_done
            and not self.typed_answer
        )


@dataclass(frozen=True)
class CheckedAnswer:
    """A drill answer validated against the variant it was given for: the review-log values."""

    variant: int | None
    rubric: RubricAnswer | None
    sizes: tuple[int, int, int]
    follow_ups_done: tuple[int, ...] = ()
    typed_answer: str | None = None
    flag_texts: tuple[str, ...] = field(default=(), compare=False)

    def log_values(self) -> dict[str, Any]:
        """The review-log columns this answer fills."""
        rubric = self.rubric
        return {
            "variant": self.variant,
            "points_ticked": list(rubric.points_ticked) if rubric else None,
            "points_total": self.sizes[0] if rubric else None,
            "optional_ticked": list(rubric.optional_ticked) if rubric else None,
            "flags_raised": list(rubric.flags_raised) if rubric else None,
            "follow_ups_done": list(self.follow_ups_done) if self.follow_ups_done else None,
            "typed_answer": self.typed_answer or None,
        }


def variant_for(card: Card, reps: int) -> int:
    """The variant review number `reps` of `card` shows (0, the base text, for non-drills)."""
    if card.kind != CardKind.DRILL:
        return 0
    return reps % card.variant_count


def shown_text(card: Card, reps: int) -> DrillText:
    """The prompt, answer and rubric that review number `reps` of the drill shows."""
    return card.drill_text(variant_for(card, reps))


def _indexes(
    values: Iterable[int], size: int, name: str, what: str, problems: list[Problem]
) -> tuple[int, ...]:
    try:
        chosen = tuple(sorted({int(v) for v in values}))
    except (TypeError, ValueError):
        problems.append(Problem("must be a list of whole-number indexes", field=name))
        return ()
    if chosen and size == 0:
        problems.append(Problem(f"this card has no {what}", field=name))
    elif any(not 0 <= i < size for i in chosen):
        problems.append(Problem(f"indexes must be from 0 to {size - 1}", field=name))
    return chosen


def check_answer(card: Card, reps: int, answer: DrillAnswer) -> CheckedAnswer:
    """`answer` validated against the variant review number `reps` of `card` shows.

    Raises DrillAnswerError listing every problem: an index out of range, a mark on a list the
    card does not have (red flags on a card without any, a rubric on a fact), or a typed answer
    over 20,000 characters.
    """
    problems: list[Problem] = []
    is_drill = card.kind == CardKind.DRILL
    text = shown_text(card, reps) if is_drill else None
    core, optional, flags = (text.points, text.optional, text.red_flags) if text else ((), (), ())
    follow_ups = card.follow_ups if is_drill else ()
    sizes = (len(core), len(optional), len(flags))
    rubric_used = answer.points_ticked is not None or answer.optional_ticked or answer.flags_raised
    ticked = _indexes(answer.points_ticked or (), sizes[0], "points_ticked", "rubric points", problems)
    if rubric_used and not core and not ticked:
        problems.append(Problem("this card has no rubric points", field="points_ticked"))
    extra = _indexes(answer.optional_ticked, sizes[1], "optional_ticked", "optional points", problems)
    raised = _indexes(answer.flags_raised, sizes[2], "flags_raised", "red flags", problems)
    done = _indexes(answer.follow_ups_done, len(follow_ups), "follow_ups_done", "follow-ups", problems)
    typed = answer.typed_answer
    if typed is not None and not isinstance(typed, str):
        problems.append(Problem("must be text", field="typed_answer"))
    elif typed is not None and len(typed) > MAX_TYPED_ANSWER:
        problems.append(Problem(f"must be at most {MAX_TYPED_ANSWER:,} characters", field="typed_answer"))
    if problems:
        listed = "; ".join(str(problem) for problem in problems)
        raise DrillAnswerError(
            f"the drill answer does not fit the card ({listed}); nothing was recorded", problems
        )
    return CheckedAnswer(
        variant=text.variant if text else None,
        rubric=RubricAnswer(ticked, extra, raised) if rubric_used else None,
        sizes=sizes,
        follow_ups_done=done,
        typed_answer=typed.strip() if typed else None,
        flag_texts=tuple(flags),
    )


def suggestion(card: Card, reps: int, answer: DrillAnswer, duration_ms: int | None = None) -> Suggestion:
    """The suggested rating for `answer` to review number `reps` of the drill, with its reasons
    (rules in `trainer.study.rubric`). Raises DrillAnswerError for marks that do not fit."""
    if card.kind != CardKind.DRILL:
        raise DrillAnswerError(
            "only a drill has a suggested rating", [Problem(f"card {card.id!r} is a {card.kind.value}")]
        )
    checked = check_answer(card, reps, replace(answer, points_ticked=answer.points_ticked or ()))
    assert checked.rubric is not None  # points_ticked was given, so the rubric was used
    return suggest(
        checked.rubric,
        checked.sizes,
        flag_texts=checked.flag_texts,
        duration_ms=duration_ms,
        time_target_s=card.drill_time_target_s,
    )


def story_checklist(card: Card) -> tuple[str, ...]:
    """What every story needs (the generic story rubric), to show beside the learner's own story
    on a story drill whose core points are something else; empty for other drills and for a
    story drill graded on that rubric already."""
    if card.kind != CardKind.DRILL or card.drill_style != DrillStyle.STORY or card.points == STORY_POINTS:
        return ()
    return STORY_POINTS


def check_story(card: Card, text: str) -> str:
    """A learner's own story for `card`, stripped; DrillAnswerError unless `card` is a story
    drill and the text is non-empty and at most 20,000 characters."""
    problems: list[Problem] = []
    if card.kind != CardKind.DRILL or card.drill_style.value != "story":
        problems.append(Problem(f"card {card.id!r} is not a story drill", field="story"))
    stripped = text.strip() if isinstance(text, str) else ""
    if not stripped:
        problems.append(Problem("must not be empty", field="story"))
    elif len(stripped) > MAX_STORY:
        problems.append(Problem(f"must be at most {MAX_STORY:,} characters", field="story"))
    if problems:
        raise DrillAnswerError("the story was not saved", problems)
    return stripped
