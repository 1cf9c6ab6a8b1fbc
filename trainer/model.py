"""The trainer's small domain objects: card content, a learner's memory of a card, reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from fsrs import Rating

__all__ = [
    "Card",
    "CardKind",
    "CardState",
    "DrillStyle",
    "DrillText",
    "FollowUp",
    "Memory",
    "Preview",
    "Queue",
    "Rating",
    "StudyCard",
    "SyncReport",
    "Variant",
]


class CardKind(StrEnum):
    """The three kinds of card a deck may hold."""

    FACT = "fact"
    CLOZE = "cloze"
    DRILL = "drill"


class DrillStyle(StrEnum):
    """What a drill trains: a short framing answer, a system design, or the learner's own story."""

    FRAMING = "framing"
    DESIGN = "design"
    STORY = "story"

    @property
    def default_time_target_s(self) -> int:
        """The answer time a drill of this style gets when its file names none."""
        return DEFAULT_TIME_TARGET_S[self]


DEFAULT_TIME_TARGET_S = {DrillStyle.FRAMING: 60, DrillStyle.DESIGN: 240, DrillStyle.STORY: 180}

STORY_POINTS = (
    "States their own role, not the team's",
    "Leads with the result",
    "Gives numbers and where they came from",
    "Names a tradeoff they made and what it cost",
    "Ends with the lesson they took from it",
)
"""The generic rubric of a story: the core points of a story drill whose file gives none, and
the checklist shown beside the learner's own story on every other story drill."""


@dataclass(frozen=True)
class Variant:
    """A drill restated with other numbers or settings; `None` overrides keep the base lists."""

    prompt: str
    answer: str
    points: tuple[str, ...] | None = None
    optional: tuple[str, ...] | None = None
    red_flags: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict holding only the overrides given; `Variant.from_dict` reverses it."""
        data: dict[str, object] = {"prompt": self.prompt, "answer": self.answer}
        for key in ("points", "optional", "red_flags"):
            value = getattr(self, key)
            if value is not None:
                data[key] = list(value)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Variant:
        """Rebuild a variant from `to_dict` output."""

        def listed(key: str) -> tuple[str, ...] | None:
            value = data.get(key)
            return tuple(value) if value is not None else None

        return cls(
            prompt=str(data.get("prompt") or ""),
            answer=str(data.get("answer") or ""),
            points=listed("points"),
            optional=listed("optional"),
            red_flags=listed("red_flags"),
        )


@dataclass(frozen=True)
class FollowUp:
    """A push-back asked after a drill's reveal, with its own model answer."""

    prompt: str
    answer: str

    def to_dict(self) -> dict[str, object]:
        return {"prompt": self.prompt, "answer": self.answer}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FollowUp:
        return cls(prompt=str(data.get("prompt") or ""), answer=str(data.get("answer") or ""))


@dataclass(frozen=True)
class DrillText:
    """What one variant of a drill asks and how it is graded (variant 0 is the base text)."""

    variant: int
    prompt: str
    answer: str
    points: tuple[str, ...]
    optional: tuple[str, ...]
    red_flags: tuple[str, ...]


class CardState(IntEnum):
    """Where a card is in its life for one learner; 1 to 3 are fsrs.State's values."""

    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


class Queue(IntEnum):
    """Which queue a card is served from; negative values are never served."""

    RETIRED = -2
    SUSPENDED = -1
    NEW = 0
    LEARNING = 1
    REVIEW = 2

    @classmethod
    def for_card(cls, state: CardState, *, suspended: bool, retired: bool) -> Queue:
        """The queue a card belongs in, given its state and flags."""
        if retired:
            return cls.RETIRED
        if suspended:
            return cls.SUSPENDED
        if state == CardState.NEW:
            return cls.NEW
        if state == CardState.REVIEW:
            return cls.REVIEW
        return cls.LEARNING


@dataclass(frozen=True)
class Card:
    """A card's content as its deck file defines it."""

    id: str
    deck: str
    kind: CardKind
    prompt: str = ""
    answer: str = ""
    why: str = ""
    text: str = ""
    points: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    style: DrillStyle | None = None
    """A drill's style (None on facts and clozes)."""
    time_target_s: int | None = None
    optional: tuple[str, ...] = ()
    red_flags: tuple[str, ...] = ()
    variants: tuple[Variant, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    note: str = ""
    """The id of the deck-file entry the card comes from; empty when it is the card's own id."""
    cloze: int = 0
    """For a cloze card, the cloze number it tests (`{{cN::...}}`); 0 for other kinds."""
    html: dict[str, Any] | None = field(default=None, compare=False, hash=False, repr=False)
    """The fields rendered to safe HTML at sync (`trainer.decks.render.render_card`), when loaded."""

    @property
    def note_id(self) -> str:
        """The deck-file entry (and Anki note) this card belongs to: a cloze's cards share one."""
        return self.note or self.id

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of what the deck file says; `Card.from_dict` reverses it.

        The drill fields appear only on drills, and the entry and cloze number only on clozes,
        so a fact's dict (and the content hash made from it) is the same as before either.
        """
        data: dict[str, object] = {
            "id": self.id,
            "deck": self.deck,
            "kind": self.kind.value,
            "prompt": self.prompt,
            "answer": self.answer,
            "why": self.why,
            "text": self.text,
            "points": list(self.points),
            "concepts": list(self.concepts),
            "tags": list(self.tags),
        }
        if self.kind == CardKind.DRILL:
            data.update(self.drill_fields())
        if self.cloze:
            data.update(note=self.note_id, cloze=self.cloze)
        return data

    def drill_fields(self) -> dict[str, Any]:
        """The drill-only fields as JSON-ready values (style and time target resolved)."""
        style = self.drill_style
        return {
            "style": style.value,
            "time_target_s": self.drill_time_target_s,
            "optional": list(self.optional),
            "red_flags": list(self.red_flags),
            "variants": [variant.to_dict() for variant in self.variants],
            "follow_ups": [follow_up.to_dict() for follow_up in self.follow_ups],
        }

    @property
    def drill_style(self) -> DrillStyle:
        """The drill's style; a drill whose file names none is a design drill."""
        return self.style or DrillStyle.DESIGN

    @property
    def drill_time_target_s(self) -> int:
        """The seconds an answer to this drill should take: its own target, or its style's."""
        return self.time_target_s or self.drill_style.default_time_target_s

    @property
    def variant_count(self) -> int:
        """How many texts the card has: the base text and each variant."""
        return 1 + len(self.variants)

    def drill_text(self, variant: int = 0) -> DrillText:
        """The prompt, answer and rubric of one variant (0 is the base text)."""
        if not 0 <= variant < self.variant_count:
            raise ValueError(f"variant must be between 0 and {self.variant_count - 1}")
        if variant == 0:
            return DrillText(0, self.prompt, self.answer, self.points, self.optional, self.red_flags)
        chosen = self.variants[variant - 1]
        return DrillText(
            variant,
            chosen.prompt,
            chosen.answer,
            self.points if chosen.points is None else chosen.points,
            self.optional if chosen.optional is None else chosen.optional,
            self.red_flags if chosen.red_flags is None else chosen.red_flags,
        )

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Card:
        """Rebuild a card from `to_dict` output."""
        return cls(
            id=str(data["id"]),
            deck=str(data["deck"]),
            kind=CardKind(str(data["kind"])),
            prompt=str(data.get("prompt") or ""),
            answer=str(data.get("answer") or ""),
            why=str(data.get("why") or ""),
            text=str(data.get("text") or ""),
            points=tuple(data.get("points") or ()),  # type: ignore[arg-type]
            concepts=tuple(data.get("concepts") or ()),  # type: ignore[arg-type]
            tags=tuple(data.get("tags") or ()),  # type: ignore[arg-type]
            style=DrillStyle(str(data["style"])) if data.get("style") else None,
            time_target_s=int(data["time_target_s"]) if data.get("time_target_s") else None,  # type: ignore[call-overload]
            optional=tuple(data.get("optional") or ()),  # type: ignore[arg-type]
            red_flags=tuple(data.get("red_flags") or ()),  # type: ignore[arg-type]
            variants=tuple(Variant.from_dict(v) for v in data.get("variants") or ()),  # type: ignore[attr-defined]
            follow_ups=tuple(FollowUp.from_dict(f) for f in data.get("follow_ups") or ()),  # type: ignore[attr-defined]
            note="" if data.get("note") in (None, data["id"]) else str(data["note"]),
            cloze=int(data.get("cloze") or 0),  # type: ignore[call-overload]
        )


@dataclass(frozen=True)
class Memory:
    """One learner's scheduling state for one card."""

    state: CardState = CardState.NEW
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None
    reps: int = 0
    lapses: int = 0
    suspended: bool = False
    buried_until: datetime | None = None
    leech: bool = False

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (datetimes as ISO 8601 UTC); `Memory.from_dict` reverses it."""
        return {
            "state": int(self.state),
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": _iso(self.due),
            "last_review": _iso(self.last_review),
            "reps": self.reps,
            "lapses": self.lapses,
            "suspended": self.suspended,
            "buried_until": _iso(self.buried_until),
            "leech": self.leech,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Memory:
        """Rebuild a memory from `to_dict` output."""

        def when(key: str) -> datetime | None:
            value = data.get(key)
            return datetime.fromisoformat(str(value)) if value is not None else None

        step = data.get("step")
        stability = data.get("stability")
        difficulty = data.get("difficulty")
        return cls(
            state=CardState(int(data.get("state", 0))),  # type: ignore[call-overload]
            step=int(step) if step is not None else None,  # type: ignore[call-overload]
            stability=float(stability) if stability is not None else None,  # type: ignore[arg-type]
            difficulty=float(difficulty) if difficulty is not None else None,  # type: ignore[arg-type]
            due=when("due"),
            last_review=when("last_review"),
            reps=int(data.get("reps", 0)),  # type: ignore[call-overload]
            lapses=int(data.get("lapses", 0)),  # type: ignore[call-overload]
            suspended=bool(data.get("suspended", False)),
            buried_until=when("buried_until"),
            leech=bool(data.get("leech", False)),
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class StudyCard:
    """A card together with one learner's memory of it: what a session shows."""

    card: Card
    memory: Memory

    @property
    def id(self) -> str:
        return self.card.id


@dataclass(frozen=True)
class Preview:
    """What answering a card with one rating would do."""

    rating: Rating
    due: datetime
    interval_seconds: float


@dataclass
class SyncReport:
    """What a deck sync changed."""

    added: int = 0
    updated: int = 0
    retired: int = 0
    restored: int = 0
    unchanged: int = 0
    decks: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.retired} retired, "
            f"{self.restored} restored, {self.unchanged} unchanged"
        )
