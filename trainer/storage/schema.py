"""The database schema as SQLAlchemy 2 typed models.

The schema is created and upgraded only by the Alembic migrations in `trainer/storage/migrations`;
these models describe it for queries. Every datetime is stored as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as naive UTC and always returned timezone-aware in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("datetime must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    pass


class Learner(Base):
    """Someone who studies; the local single-user learner is named `local`."""

    __tablename__ = "learners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)


class Concept(Base):
    """One entry of the concept vocabulary."""

    __tablename__ = "concepts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(Text)


class DeckRow(Base):
    """A deck as last synced from its file: shared by every learner, or one learner's own."""

    __tablename__ = "decks"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    path: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    owner_id: Mapped[int | None] = mapped_column(Integer)
    """The learner whose own deck this is (only they study it); None for a deck every learner shares."""


class CardRow(Base):
    """A card's content, shared by every learner; `retired` when its file no longer has it."""

    __tablename__ = "cards"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    deck: Mapped[str] = mapped_column(ForeignKey("decks.slug"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    prompt: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    why: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[list[str]] = mapped_column(JSON, default=list)
    concepts: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    rendered: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    style: Mapped[str | None] = mapped_column(String(16))
    time_target_s: Mapped[int | None] = mapped_column(Integer)
    drill: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """A drill's optional points, red flags, variants and follow-ups (None on other kinds)."""
    content_hash: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """When the card's content last changed (not its place in the deck): an Anki note's mtime."""
    note: Mapped[str] = mapped_column(String(128), default="")
    """The deck-file entry the card comes from; a cloze's cards (one per cloze number) share it."""
    cloze: Mapped[int] = mapped_column(SmallInteger, default=0)

    __table_args__ = (Index("ix_cards_deck_kind_position", "deck", "kind", "position"),)


class CardStateRow(Base):
    """One learner's scheduling state for one card.

    `queue` and `deck` are derived from the card and state; they are stored so that every queue
    and count query is served by an index.
    """

    __tablename__ = "card_states"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"), primary_key=True)
    deck: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    queue: Mapped[int] = mapped_column(SmallInteger, default=0)
    state: Mapped[int] = mapped_column(SmallInteger, default=0)
    step: Mapped[int | None] = mapped_column(SmallInteger)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_review: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reps: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    buried_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leech: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_card_states_queue_due", "learner_id", "queue", "deck", "due"),
        Index("ix_card_states_queue_position", "learner_id", "queue", "deck", "position"),
    )


class ReviewLogRow(Base):
    """One answer, append-only: the rating and the card's state before and after it.

    Undo removes the last row and restores its `before` state; nothing else changes a row.
    """

    __tablename__ = "review_logs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"))
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    state_before: Mapped[int] = mapped_column(SmallInteger)
    state_after: Mapped[int] = mapped_column(SmallInteger)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    points_ticked: Mapped[list[int] | None] = mapped_column(JSON)
    points_total: Mapped[int | None] = mapped_column(SmallInteger)
    variant: Mapped[int | None] = mapped_column(SmallInteger)
    optional_ticked: Mapped[list[int] | None] = mapped_column(JSON)
    flags_raised: Mapped[list[int] | None] = mapped_column(JSON)
    follow_ups_done: Mapped[list[int] | None] = mapped_column(JSON)
    typed_answer: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_review_logs_learner_time", "learner_id", "reviewed_at"),
        Index("ix_review_logs_card", "learner_id", "card_id", "id"),
        Index("ix_review_logs_learner_id", "learner_id", "id"),
        # Covers the statistics' per-card aggregates; on SQLite, which has no INCLUDE, migration
        # 0005 makes points_ticked the last key column instead.
        Index(
            "ix_review_logs_card_outcomes",
            "learner_id",
            "card_id",
            "reviewed_at",
            "state_before",
            "rating",
            "points_total",
            postgresql_include=["points_ticked"],
        ),
        UniqueConstraint("learner_id", "request_id", name="uq_review_logs_request"),
    )


class LearnerStory(Base):
    """A learner's own story for a story drill: private to them, kept across reviews."""

    __tablename__ = "learner_stories"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LearnerSettings(Base):
    """A learner's settings, as the JSON form of `trainer.settings.Settings`; `generation` moves
    on with every save, so that a process keeping the settings notices a save made by another."""

    __tablename__ = "learner_settings"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    generation: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class LearnerAuth(Base):
    """A learner's sign-in bookkeeping: `session_epoch` grows on logout, password change and
    disabling, which ends every session issued before."""

    __tablename__ = "learner_auth"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InviteRow(Base):
    """A sign-up invite; only the SHA-256 of its code is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uses_left: Mapped[int] = mapped_column(Integer, default=1)


class LoginFailure(Base):
    """One failed login, counted against an account name or a client address (`scope`)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_login_failures_key", "scope", "key", "failed_at"),)


class UndoStep(Base):
    """A suspend, unsuspend or bury on the learner's undo stack, with the card's state before.

    `after_log_id` is the newest review-log id when the step was taken, which orders the step
    among the answers (undone from the review log itself).
    """

    __tablename__ = "undo_steps"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"))
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"))
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after_log_id: Mapped[int] = mapped_column(BigInteger)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_undo_steps_learner_id", "learner_id", "id"),)


class DeckSource(Base):
    """A deck folder or file the collection has been synced from (an absolute path)."""

    __tablename__ = "deck_sources"

    path: Mapped[str] = mapped_column(Text, primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeckImport(Base):
    """An import of deck files committed with its database changes: the id its journal in the
    deck folder names, so a crash before the journal is closed is finished, not rolled back."""

    __tablename__ = "deck_imports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class DailyCount(Base):
    """How many new and review cards a learner answered in one learner-day (for daily limits).

    Derived from the review log and kept in step by every answer and undo, so checking a daily
    limit reads one row instead of counting the day's reviews.
    """

    __tablename__ = "daily_counts"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    new_count: Mapped[int] = mapped_column(Integer, default=0)
    review_count: Mapped[int] = mapped_column(Integer, default=0)


class DeckDay(Base):
    """A learner's answers in one deck on one learner-day, counted as they happen: all answers,
    failed (Again), graded and passed (answers to cards in review state), attempts and recalled
    (answers to cards already seen, in any state, and those not Again), new cards introduced,
    rubric points ticked and possible, and time spent. The statistics read these instead of the log."""

    __tablename__ = "deck_days"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    deck: Mapped[str] = mapped_column(String(64), primary_key=True)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    graded: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    recalled: Mapped[int] = mapped_column(Integer, default=0)
    introduced: Mapped[int] = mapped_column(Integer, default=0)
    ticked: Mapped[int] = mapped_column(Integer, default=0)
    possible: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(BigInteger, default=0)


class CardTotal(Base):
    """A learner's answers to one card over all time: how many, how many were Again, and how many
    were graded (given in review state) and of those passed (not Again)."""

    __tablename__ = "card_totals"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    card_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    graded: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)


class CalibrationBin(Base):
    """Answers to studied cards of one deck whose predicted recall fell in one tenth (`bin` 0-9):
    how many, the sum of the predictions and how many were recalled."""

    __tablename__ = "calibration_bins"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    deck: Mapped[str] = mapped_column(String(64), primary_key=True)
    bin: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    predicted: Mapped[float] = mapped_column(Float, default=0.0)
    recalled: Mapped[int] = mapped_column(Integer, default=0)


class RubricTally(Base):
    """For one drill and rubric length (`total`), how often the point at `point` was graded
    (`shown`) and ticked."""

    __tablename__ = "rubric_tallies"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    card_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    total: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    point: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    shown: Mapped[int] = mapped_column(Integer, default=0)
    ticked: Mapped[int] = mapped_column(Integer, default=0)


class TallyBasis(Base):
    """What a learner's tallies were last rebuilt from the log with (time zone, rollover hour and
    forgetting-curve decay); a different basis makes the statistics rebuild them."""

    __tablename__ = "tally_bases"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    basis: Mapped[str] = mapped_column(String(200))
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Generation(Base):
    """A counter that moves on with every change of one kind (`name`), for processes that keep
    what it covers between calls: "decks" moves on with every change to the decks table."""

    __tablename__ = "generations"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
