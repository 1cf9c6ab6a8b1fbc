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
    "Memory",
    "Preview",
    "Queue",
    "Rating",
    "StudyCard",
    "SyncReport",
]


class CardKind(StrEnum):
    """The three kinds of card a deck may hold."""

    FACT = "fact"
    CLOZE = "cloze"
    DRILL = "drill"


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
    html: dict[str, Any] | None = field(default=None, compare=False, hash=False, repr=False)
    """The fields rendered to safe HTML at sync (`trainer.decks.render.render_card`), when loaded."""

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of what the deck file says; `Card.from_dict` reverses it."""
        data = asdict(self)
        del data["html"]
        data["kind"] = self.kind.value
        for key in ("points", "concepts", "tags"):
            data[key] = list(data[key])
        return data

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
