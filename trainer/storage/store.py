"""Row-level reads and writes shared by the collection's operations (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    Table,
    case,
)

from trainer.model import Card, CardKind, CardState, DrillStyle, FollowUp, Memory, Queue, StudyCard, Variant
from trainer.storage.driver import Driver
from trainer.storage.schema import CardRow, CardStateRow, Learner, LearnerSettings, ReviewLogRow

cards: Table = CardRow.__table__  # type: ignore[assignment]
states: Table = CardStateRow.__table__  # type: ignore[assignment]
logs: Table = ReviewLogRow.__table__  # type: ignore[assignment]
learners: Table = Learner.__table__  # type: ignore[assignment]
learner_settings: Table = LearnerSettings.__table__  # type: ignore[assignment]

MEMORY_COLUMNS = (
    states.c.state,
    states.c.step,
    states.c.stability,
    states.c.difficulty,
    states.c.due,
    states.c.last_review,
    states.c.reps,
    states.c.lapses,
    states.c.suspended,
    states.c.buried_until,
    states.c.leech,
)
# In the order of CONTENT_SQL_COLUMNS, so rows of either read through card_from_raw.
CARD_COLUMNS = (
    cards.c.id,
    cards.c.deck,
    cards.c.kind,
    cards.c.prompt,
    cards.c.answer,
    cards.c.why,
    cards.c.text,
    cards.c.points,
    cards.c.concepts,
    cards.c.tags,
    cards.c.rendered,
    cards.c.style,
    cards.c.time_target_s,
    cards.c.drill,
    cards.c.note,
    cards.c.cloze,
)

CONTENT_SQL_COLUMNS = (
    "c.id, c.deck, c.kind, c.prompt, c.answer, c.why, c.text, c.points, c.concepts, c.tags, c.rendered,"
    " c.style, c.time_target_s, c.drill, c.note, c.cloze"
)
_MEMORY_OFFSET = 16
STUDY_CARD_COLUMNS = (
    f"{CONTENT_SQL_COLUMNS}, s.state, s.step, s.stability, s.difficulty, s.due, s.last_review, s.reps,"
    " s.lapses, s.suspended, s.buried_until, s.leech"
)
QUEUE_FROM_STATE = case(
    (states.c.suspended, int(Queue.SUSPENDED)),
    (states.c.state == int(CardState.NEW), int(Queue.NEW)),
    (states.c.state == int(CardState.REVIEW), int(Queue.REVIEW)),
    else_=int(Queue.LEARNING),
)


def memory_from_row(row: Row[Any] | Any) -> Memory:
    """A Memory from a row holding MEMORY_COLUMNS."""
    return Memory(
        state=CardState(row.state),
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=row.due,
        last_review=row.last_review,
        reps=row.reps,
        lapses=row.lapses,
        suspended=bool(row.suspended),
        buried_until=row.buried_until,
        leech=bool(row.leech),
    )


def memory_values(memory: Memory, *, retired: bool = False) -> dict[str, Any]:
    """Column values that store `memory`, its queue included."""
    return {
        "state": int(memory.state),
        "step": memory.step,
        "stability": memory.stability,
        "difficulty": memory.difficulty,
        "due": memory.due,
        "last_review": memory.last_review,
        "reps": memory.reps,
        "lapses": memory.lapses,
        "suspended": memory.suspended,
        "buried_until": memory.buried_until,
        "leech": memory.leech,
        "queue": int(Queue.for_card(memory.state, suspended=memory.suspended, retired=retired)),
    }


_MEMORY_SQL = (
    "SELECT state, step, stability, difficulty, due, last_review, reps, lapses, suspended,"
    " buried_until, leech, queue, deck FROM card_states WHERE learner_id = :learner AND card_id = :card"
)
_SAVE_MEMORY_SQL = (
    "UPDATE card_states SET state = :state, step = :step, stability = :stability,"
    " difficulty = :difficulty, due = :due, last_review = :last_review, reps = :reps,"
    " lapses = :lapses, suspended = :suspended, buried_until = :buried_until, leech = :leech,"
    " queue = :queue WHERE learner_id = :learner AND card_id = :card"
)
_INSERT_REVIEW_SQL = (
    "INSERT INTO review_logs (learner_id, card_id, rating, reviewed_at, duration_ms, state_before,"
    " state_after, before, after, points_ticked, points_total, variant, optional_ticked,"
    " flags_raised, follow_ups_done, typed_answer, request_id) VALUES (:learner,"
    " :card, :rating, :reviewed_at, :duration_ms, :state_before, :state_after, :before, :after,"
    " :points_ticked, :points_total, :variant, :optional_ticked, :flags_raised, :follow_ups_done,"
    " :typed_answer, :request_id) RETURNING id"
)
DRILL_LOG_COLUMNS = ("variant", "optional_ticked", "flags_raised", "follow_ups_done", "typed_answer")
_DRILL_JSON = ("optional_ticked", "flags_raised", "follow_ups_done")
_ANSWER_FOR_REQUEST_SQL = (
    "SELECT card_id, after FROM review_logs WHERE learner_id = :learner AND request_id = :request"
)


@dataclass(frozen=True)
class LoadedMemory:
    """A learner's memory of a card, with where the card lives and whether it is retired."""

    memory: Memory
    deck: str
    retired: bool


def memory_from_raw(driver: Driver, row: Sequence[Any]) -> Memory:
    """A Memory from a raw row holding, in order, the MEMORY_COLUMNS."""
    return Memory(
        state=_STATES[row[0]],
        step=row[1],
        stability=row[2],
        difficulty=row[3],
        due=driver.read_time(row[4]),
        last_review=driver.read_time(row[5]),
        reps=row[6],
        lapses=row[7],
        suspended=bool(row[8]),
        buried_until=driver.read_time(row[9]),
        leech=bool(row[10]),
    )


_KINDS = {kind.value: kind for kind in CardKind}
_STATES = {int(state): state for state in CardState}


def card_from_raw(driver: Driver, row: Sequence[Any]) -> Card:
    """A Card from a raw row whose first columns are CONTENT_SQL_COLUMNS."""
    read_json = driver.read_json
    kind = _KINDS[row[2]]
    drill: dict[str, Any] = {}
    if kind == CardKind.DRILL:
        extras = read_json(row[13]) or {}
        style = DrillStyle(row[11]) if row[11] else DrillStyle.DESIGN
        drill = {
            "style": style,
            "time_target_s": row[12] or style.default_time_target_s,
            "optional": tuple(extras.get("optional") or ()),
            "red_flags": tuple(extras.get("red_flags") or ()),
            "variants": tuple(Variant.from_dict(v) for v in extras.get("variants") or ()),
            "follow_ups": tuple(FollowUp.from_dict(f) for f in extras.get("follow_ups") or ()),
        }
    return Card(
        id=row[0],
        deck=row[1],
        kind=kind,
        prompt=row[3],
        answer=row[4],
        why=row[5],
        text=row[6],
        points=tuple(read_json(row[7]) or ()),
        concepts=tuple(read_json(row[8]) or ()),
        tags=tuple(read_json(row[9]) or ()),
        html=read_json(row[10]),
        **drill,
        note="" if row[14] == row[0] else row[14],
        cloze=row[15],
    )


def study_card_from_raw(driver: Driver, row: Sequence[Any]) -> StudyCard:
    """A StudyCard from a raw row holding STUDY_CARD_COLUMNS."""
    return StudyCard(card_from_raw(driver, row), memory_from_raw(driver, row[_MEMORY_OFFSET:]))


def card_rows(
    driver: Driver,
    columns: str,
    learner_id: int,
    *,
    decks: Sequence[str] | None = None,
    card_id: str | None = None,
    include_retired: bool = False,
    kind: CardKind | None = None,
) -> list[Any]:
    """Raw rows of `columns` for the learner's cards in deck order: only `card_id` (retired or not)
    if given, else the live cards (and retired ones if asked) of `decks` (or all), of `kind` if given."""
    params: dict[str, Any] = {"learner": learner_id}
    where = "s.learner_id = :learner"
    if card_id is not None:
        where += " AND s.card_id = :card"
        params["card"] = card_id
    else:
        if not include_retired:
            where += f" AND s.queue != {int(Queue.RETIRED)}"
        if decks:
            names = {f"deck{i}": slug for i, slug in enumerate(decks)}
            where += " AND s.deck IN (" + ", ".join(f":{name}" for name in names) + ")"
            params.update(names)
        if kind is not None:
            where += " AND c.kind = :kind"
            params["kind"] = kind.value
    return driver.execute(  # type: ignore[no-any-return]
        f"SELECT {columns} FROM card_states s JOIN cards c ON c.id = s.card_id"
        f" WHERE {where} ORDER BY s.deck, s.position",
        params,
    ).fetchall()


def study_cards(
    conn: Connection | Driver,
    learner_id: int,
    *,
    include_retired: bool = False,
    card_id: str | None = None,
    decks: Sequence[str] | None = None,
) -> list[StudyCard]:
    """Every card (or only `card_id`, retired or not; or only those of `decks`) with the
    learner's memory of it, in deck order."""
    driver = Driver.of(conn)
    rows = card_rows(
        driver, STUDY_CARD_COLUMNS, learner_id, decks=decks, card_id=card_id, include_retired=include_retired
    )
    return [study_card_from_raw(driver, row) for row in rows]


def card_contents(
    conn: Connection, learner_id: int, decks: Sequence[str] | None = None, kind: CardKind | None = None
) -> list[Card]:
    """The content of every live card (only those of `decks` and of `kind`, if given), in deck
    order. Reads no memory, so it is the cheap way to list cards for exports."""
    driver = Driver.of(conn)
    return [
        card_from_raw(driver, row)
        for row in card_rows(driver, CONTENT_SQL_COLUMNS, learner_id, decks=decks, kind=kind)
    ]


def load_memory(
    conn: Connection | Driver, learner_id: int, card_id: str, *, for_update: bool = False
) -> LoadedMemory | None:
    """A learner's memory of a card, or None if the card is unknown.

    `for_update` locks the row on databases that support it (SQLite's write transactions
    already hold the database lock).
    """
    driver = Driver.of(conn)
    sql = _MEMORY_SQL + (" FOR UPDATE" if for_update and not driver.sqlite else "")
    row = driver.one(sql, {"learner": learner_id, "card": card_id})
    if row is None:
        return None
    return LoadedMemory(memory_from_raw(driver, row), row[12], row[11] == Queue.RETIRED)


def card_content(conn: Connection | Driver, card_id: str) -> Card | None:
    """One card's content (retired or not), or None for an unknown id."""
    driver = Driver.of(conn)
    row = driver.one(f"SELECT {CONTENT_SQL_COLUMNS} FROM cards c WHERE c.id = :card", {"card": card_id})
    return card_from_raw(driver, row) if row is not None else None


def rubric_size(conn: Connection | Driver, card_id: str) -> int:
    """How many rubric points the card has (0 for a card without a rubric or an unknown card)."""
    driver = Driver.of(conn)
    row = driver.one("SELECT points FROM cards WHERE id = :card", {"card": card_id})
    return len(driver.read_json(row[0]) or []) if row is not None else 0


def save_memory(conn: Connection | Driver, learner_id: int, card_id: str, memory: Memory) -> None:
    """Store `memory` as the learner's state of a (live) card."""
    driver = Driver.of(conn)
    values = memory_values(memory)
    for name in ("due", "last_review", "buried_until"):
        values[name] = driver.time(values[name])
    driver.execute(_SAVE_MEMORY_SQL, {**values, "learner": learner_id, "card": card_id})


_COUNT_ANSWERS_SQL = (
    "SELECT"
    f" COALESCE(SUM(CASE WHEN state_before = {int(CardState.NEW)} THEN 1 ELSE 0 END), 0),"
    f" COALESCE(SUM(CASE WHEN state_before = {int(CardState.REVIEW)} THEN 1 ELSE 0 END), 0)"
    " FROM review_logs WHERE learner_id = :learner AND reviewed_at >= :start"
)
_DAY_COUNTS_SQL = (
    "SELECT new_count, review_count FROM daily_counts WHERE learner_id = :learner AND day = :day"
)
_ADD_DAY_COUNTS_SQL = (
    "UPDATE daily_counts SET new_count = new_count + :new, review_count = review_count + :review"
    " WHERE learner_id = :learner AND day = :day"
)
_INSERT_DAY_COUNTS_SQL = (
    "INSERT INTO daily_counts (learner_id, day, new_count, review_count)"
    " VALUES (:learner, :day, :new, :review)"
)


def count_answers_since(conn: Connection | Driver, learner_id: int, start: datetime) -> tuple[int, int]:
    """(new cards introduced, review cards answered) since `start`, counted in the review log."""
    driver = Driver.of(conn)
    row = driver.one(_COUNT_ANSWERS_SQL, {"learner": learner_id, "start": driver.time(start)})
    assert row is not None
    return int(row[0]), int(row[1])


def day_counts(conn: Connection | Driver, learner_id: int, day: date) -> tuple[int, int] | None:
    """The kept (new, review) answer counts of a learner-day, or None if none are kept for it."""
    row = Driver.of(conn).one(_DAY_COUNTS_SQL, {"learner": learner_id, "day": day.isoformat()})
    return (int(row[0]), int(row[1])) if row is not None else None


def count_answer(
    conn: Connection | Driver,
    learner_id: int,
    day: date,
    day_start: datetime,
    state_before: CardState,
    step: int,
) -> None:
    """Add `step` (1 for an answer, -1 for its undo) to the learner-day's count of its kind.

    Only answers to new and review cards count towards the daily limits. A day with no kept
    counts yet starts from the review log, so answers logged before counting began are included.
    """
    if state_before not in (CardState.NEW, CardState.REVIEW):
        return
    new = step if state_before == CardState.NEW else 0
    review = step if state_before == CardState.REVIEW else 0
    key = {"learner": learner_id, "day": day.isoformat()}
    driver = Driver.of(conn)
    if driver.execute(_ADD_DAY_COUNTS_SQL, {**key, "new": new, "review": review}).rowcount:
        return
    if step < 0:
        return
    logged_new, logged_review = count_answers_since(conn, learner_id, day_start)
    driver.execute(_INSERT_DAY_COUNTS_SQL, {**key, "new": new + logged_new, "review": review + logged_review})


def answer_for_request(
    conn: Connection | Driver, learner_id: int, request_id: str
) -> tuple[str, Memory] | None:
    """The card an earlier answer with `request_id` was for and the memory it produced, or None."""
    driver = Driver.of(conn)
    row = driver.one(_ANSWER_FOR_REQUEST_SQL, {"learner": learner_id, "request": request_id})
    return (str(row[0]), Memory.from_dict(driver.read_json(row[1]))) if row is not None else None


def card_reviews(conn: Connection | Driver, learner_id: int, card_id: str) -> int:
    """How many answers the learner's log holds for the card."""
    driver = Driver.of(conn)
    row = driver.one(
        "SELECT count(*) FROM review_logs WHERE learner_id = :learner AND card_id = :card",
        {"learner": learner_id, "card": card_id},
    )
    return int(row[0]) if row is not None else 0


def log_review(conn: Connection | Driver, entry: dict[str, Any]) -> int:
    """Append one row to the review log and return its id; `entry` holds its values
    (before/after as dicts; the drill columns may be left out, for NULL)."""
    driver = Driver.of(conn)
    drill = {name: entry.get(name) for name in DRILL_LOG_COLUMNS}
    for name in _DRILL_JSON:
        if drill[name] is not None:
            drill[name] = driver.json(drill[name])
    row = driver.execute(
        _INSERT_REVIEW_SQL,
        {
            **entry,
            **drill,
            "reviewed_at": driver.time(entry["reviewed_at"]),
            "before": driver.json(entry["before"]),
            "after": driver.json(entry["after"]),
            "points_ticked": driver.json(entry["points_ticked"]),
        },
    ).fetchone()
    return int(row[0])
