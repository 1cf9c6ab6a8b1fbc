"""A study card as a page or the API shows it: sanitised HTML, previews and the rubric."""

from __future__ import annotations

import math
import secrets
from datetime import datetime
from typing import Any

from markupsafe import Markup

from trainer import Collection, Rating, StudyCard
from trainer.decks import render
from trainer.model import CardKind, DrillStyle, Memory
from trainer.study.drills import story_checklist, variant_for
from trainer.study.rubric import suggested_rating
from trainer.study.scheduling import format_interval

STATE_NAMES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}


def new_request_id() -> str:
    """A random token naming one showing of a card, so a repeated answer is applied once."""
    return secrets.token_urlsafe(16)


def front_html(study: StudyCard) -> Markup:
    """The question side, rendered and sanitised."""
    return Markup(render.front_html(study.card))


def back_html(study: StudyCard) -> Markup:
    """The answer side, rendered and sanitised."""
    return Markup(render.back_html(study.card))


def why_html(study: StudyCard) -> Markup:
    """The card's `why`, rendered and sanitised (empty if it has none)."""
    return Markup(render.why_html(study.card))


def drill_view(col: Collection, study: StudyCard, *, revealed: bool) -> dict[str, Any] | None:
    """What a page shows of a drill: the variant for this review (prompt, answer and rubric as
    safe HTML), its style and time target, and after the reveal the learner's previous typed
    answer and, on a story drill, their own story. None for facts and clozes."""
    card = study.card
    if card.kind != CardKind.DRILL:
        return None
    variant = variant_for(card, study.memory.reps)
    html = render.drill_html(card, variant)
    view: dict[str, Any] = {
        "variant": variant,
        "variants": card.variant_count,
        "style": card.drill_style.value,
        "time_target_s": card.time_target_s or card.drill_style.default_time_target_s,
        "prompt": Markup(html["prompt"]),
        "answer": Markup(html["answer"]),
        "points": [Markup(p) for p in html["points"]],
        "optional": [Markup(p) for p in html["optional"]],
        "red_flags": [Markup(p) for p in html["red_flags"]],
        "follow_ups": [],
        "previous": None,
        "story": None,
        "is_story": card.drill_style == DrillStyle.STORY,
        "checklist": story_checklist(card),
    }
    if revealed:
        follow_ups = (card.html or render.render_card(card)).get("follow_ups", [])
        view["follow_ups"] = [{k: Markup(v) for k, v in f.items()} for f in follow_ups]
        earlier = col.typed_answers(card.id)
        view["previous"] = earlier[0] if earlier else None
        if view["is_story"]:
            view["story"] = col.story(card.id)
    return view


def format_seconds(seconds: int) -> str:
    """A time target as m:ss."""
    return f"{seconds // 60}:{seconds % 60:02d}"


def suggestions(total: int) -> list[str]:
    """For 0..total ticked rubric points, the name of the rating the coverage suggests."""
    if total <= 0:
        return []
    return [suggested_rating(ticked, total).name for ticked in range(total + 1)]


def previews(col: Collection, card: str | StudyCard, now: datetime) -> list[dict[str, Any]]:
    """Each rating with the interval and due date an answer with it would save."""
    return [
        {
            "rating": int(p.rating),
            "name": p.rating.name,
            "interval": format_interval(p.interval_seconds),
            "due": p.due.isoformat(),
        }
        for p in col.previews(card, now=now)
    ]


def memory_json(memory: Memory) -> dict[str, Any]:
    """A learner's memory of a card as JSON, with the state's name."""
    data = memory.to_dict()
    data["state_name"] = STATE_NAMES[int(memory.state)]
    return data


def drill_json(study: StudyCard) -> dict[str, Any]:
    """The drill fields of a card's JSON for the review shown now: style and time target, the
    variant (0 is the base text) with its prompt and answer, its points, optional points and red
    flags as text, and the follow-ups. Facts and clozes carry them empty (style null)."""
    card = study.card
    if card.kind != CardKind.DRILL:
        return {
            "style": None,
            "time_target_s": None,
            "variant": 0,
            "variants": 1,
            "prompt": card.prompt or card.text,
            "answer": card.answer,
            "optional": [],
            "red_flags": [],
            "follow_ups": [],
        }
    text = card.drill_text(variant_for(card, study.memory.reps))
    return {
        "style": card.drill_style.value,
        "time_target_s": card.time_target_s or card.drill_style.default_time_target_s,
        "variant": text.variant,
        "variants": card.variant_count,
        "prompt": text.prompt,
        "answer": text.answer,
        "points": list(text.points),
        "optional": list(text.optional),
        "red_flags": list(text.red_flags),
        "follow_ups": [follow_up.to_dict() for follow_up in card.follow_ups],
    }


def card_json(col: Collection, study: StudyCard, now: datetime) -> dict[str, Any]:
    """Everything a client needs to show, reveal and answer the card, with a fresh request id;
    a drill's text, rubric and HTML are those of the variant this review shows."""
    card = study.card
    drill = drill_json(study)
    shown = render.drill_html(card, drill["variant"]) if card.kind == CardKind.DRILL else None
    points = drill.get("points", list(card.points))
    return {
        "id": card.id,
        "deck": card.deck,
        "kind": card.kind.value,
        "front_html": shown["prompt"] if shown else str(front_html(study)),
        "back_html": shown["answer"] if shown else str(back_html(study)),
        "why_html": render.why_html(card),
        **drill,
        "points": points,
        "story": col.story(card.id)
        if card.drill_style == DrillStyle.STORY and card.kind == CardKind.DRILL
        else None,
        "suggestions": suggestions(len(points)),
        "concepts": list(card.concepts),
        "reps": study.memory.reps,
        "state": STATE_NAMES[int(study.memory.state)],
        "request_id": new_request_id(),
        "previews": previews(col, study, now),
    }


def finite_or_none(value: Any) -> Any:
    """NaN and infinities become None (JSON null); everything else is returned as is."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def rating_from(raw: Any) -> Rating:
    """A rating from 1-4 or its name (Again, Hard, Good, Easy); raises ValueError otherwise."""
    if isinstance(raw, bool):
        raise ValueError(f"rating must be 1 to 4, got {raw!r}")
    if isinstance(raw, str) and raw.strip().capitalize() in Rating.__members__:
        return Rating[raw.strip().capitalize()]
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"rating must be 1 to 4 or a rating name, got {raw!r}") from None
    if isinstance(raw, float) and not raw.is_integer():
        raise ValueError(f"rating must be 1 to 4, got {raw!r}")
    if not 1 <= number <= 4:
        raise ValueError(f"rating must be 1 to 4, got {raw!r}")
    return Rating(number)
