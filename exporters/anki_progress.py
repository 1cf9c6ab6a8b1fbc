"""Write a learner's scheduling and review history into the database of an Anki package.

genanki writes every card as new. This module then sets each studied card's type, queue, due,
interval, ease, counts and FSRS memory (`cards.data`), and adds its review-log rows, the way
Anki stores them, so that Anki's "import with scheduling" brings the progress along:

- review cards (and cards learning across days) are due on a day number counted from the
  collection's creation (`col.crt`), which is set to the start of a fixed learner day;
- cards learning within a day are due at an epoch second;
- suspended cards sit in queue -1, buried ones in queue -2, keeping their type.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from trainer import Collection
from trainer.clock import day_bounds_of, learner_day
from trainer.collection import ReviewEntry
from trainer.model import CardState, Memory, StudyCard
from trainer.settings import Settings

from .notetypes import note_guid

CREATION_DAY = date(2000, 1, 1)
PRESET_ID = 1_738_204_301
PRESET_NAME = "ML Interview (trainer settings)"
DEFAULT_EASE = 2500
MAX_REVIEW_MS = 2**31 - 1


class AnkiType:
    """Anki's `cards.type` values."""

    NEW, LEARN, REVIEW, RELEARN = 0, 1, 2, 3


class AnkiQueue:
    """Anki's `cards.queue` values."""

    MANUALLY_BURIED, SIBLING_BURIED, SUSPENDED, NEW, LEARN, REVIEW, DAY_LEARN = -3, -2, -1, 0, 1, 2, 3


class RevlogType:
    """Anki's `revlog.type` values."""

    LEARN, REVIEW, RELEARN = 0, 1, 2


_TYPES = {
    CardState.NEW: AnkiType.NEW,
    CardState.LEARNING: AnkiType.LEARN,
    CardState.REVIEW: AnkiType.REVIEW,
    CardState.RELEARNING: AnkiType.RELEARN,
}
_REVLOG_TYPES = {
    CardState.NEW: RevlogType.LEARN,
    CardState.LEARNING: RevlogType.LEARN,
    CardState.REVIEW: RevlogType.REVIEW,
    CardState.RELEARNING: RevlogType.RELEARN,
}


def interval_days(memory: Memory) -> int:
    """The scheduled interval of a review-state memory in whole days (at least 1), else 0."""
    if memory.state != CardState.REVIEW or memory.due is None or memory.last_review is None:
        return 0
    return max(1, round((memory.due - memory.last_review).total_seconds() / 86400))


def revlog_interval(memory: Memory) -> int:
    """An interval as Anki's review log stores it: days if positive, seconds if negative."""
    if memory.state == CardState.NEW or memory.due is None or memory.last_review is None:
        return 0
    if memory.state == CardState.REVIEW:
        return interval_days(memory)
    return -max(1, round((memory.due - memory.last_review).total_seconds()))


class ProgressWriter:
    """Applies one learner's progress to a genanki-written package database."""

    def __init__(self, col: Collection, cards: list[StudyCard], now: datetime):
        self.settings = col.settings
        self.now = now
        self.cards = [c for c in cards if _has_progress(c.memory, now)]
        wanted = {c.id for c in self.cards}
        self.history: dict[str, list[ReviewEntry]] = defaultdict(list)
        for entry in col.history():
            if entry.card_id in wanted:
                self.history[entry.card_id].append(entry)
        self.crt = day_bounds_of(CREATION_DAY, self.settings.zone, self.settings.rollover_hour)[0]
        self.cards_written = 0
        self.rows_written = 0

    def day_number(self, moment: datetime) -> int:
        """Days from the collection's creation day to the learner day holding `moment`."""
        return (learner_day(moment, self.settings.zone, self.settings.rollover_hour) - CREATION_DAY).days

    def apply(self, conn: sqlite3.Connection) -> None:
        """Rewrite the collection header, the studied cards and the review log in `conn`."""
        self._write_header(conn)
        anki_cards = {
            (guid, ordinal): card_id
            for card_id, guid, ordinal in conn.execute(
                "SELECT cards.id, notes.guid, cards.ord FROM cards JOIN notes ON notes.id = cards.nid"
            )
        }
        used_ids: set[int] = set()
        modified = int(self.now.timestamp())
        for study in self.cards:
            # A cloze's card of number N is the note's card of ordinal N - 1, as Anki numbers them.
            anki_id = anki_cards.get((note_guid(study.card.note_id), max(study.card.cloze - 1, 0)))
            if anki_id is None:
                continue
            row = self.card_row(study.memory)
            conn.execute(
                "UPDATE cards SET type=:type, queue=:queue, due=COALESCE(:due, due), ivl=:ivl, "
                "factor=:factor, reps=:reps, lapses=:lapses, left=:left, data=:data, mod=:mod WHERE id=:id",
                {**row, "mod": modified, "id": anki_id},
            )
            rows = [self.revlog_row(entry, anki_id, used_ids) for entry in self.history[study.id]]
            conn.executemany("INSERT INTO revlog VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)", rows)
            self.cards_written += 1
            self.rows_written += len(rows)

    def _write_header(self, conn: sqlite3.Connection) -> None:
        offset = self.crt.astimezone(self.settings.zone).utcoffset()
        minutes_west = -int(offset.total_seconds() // 60) if offset is not None else 0
        raw_conf, raw_decks, raw_dconf = conn.execute("SELECT conf, decks, dconf FROM col").fetchone()
        conf = json.loads(raw_conf)
        conf.update(schedVer=2, rollover=self.settings.rollover_hour, creationOffset=minutes_west)
        decks = json.loads(raw_decks)
        for key, deck in decks.items():
            if key != "1":  # Anki's own Default deck keeps the Default preset
                deck["conf"] = PRESET_ID
        dconf = json.loads(raw_dconf)
        dconf[str(PRESET_ID)] = deck_preset(self.settings, int(self.now.timestamp()))
        conn.execute(
            "UPDATE col SET crt = ?, conf = ?, decks = ?, dconf = ?",
            (int(self.crt.timestamp()), json.dumps(conf), json.dumps(decks), json.dumps(dconf)),
        )

    def card_row(self, memory: Memory) -> dict[str, Any]:
        """The Anki `cards` columns that carry `memory`."""
        anki_type = _TYPES[memory.state]
        queue, due = self._queue_and_due(memory)
        steps = (
            self.settings.relearning_steps
            if memory.state == CardState.RELEARNING
            else self.settings.learning_steps
        )
        learning = memory.state in (CardState.LEARNING, CardState.RELEARNING)
        return {
            "type": anki_type,
            "queue": queue,
            "due": due,
            "ivl": interval_days(memory) or (self._relearn_interval(memory) if learning else 0),
            "factor": DEFAULT_EASE if memory.state != CardState.NEW else 0,
            "reps": memory.reps,
            "lapses": memory.lapses,
            "left": max(0, len(steps) - (memory.step or 0)) if learning else 0,
            "data": self._memory_data(memory),
        }

    def _queue_and_due(self, memory: Memory) -> tuple[int, int | None]:
        due: int | None
        if memory.state == CardState.NEW or memory.due is None:
            queue, due = AnkiQueue.NEW, None
        elif memory.state == CardState.REVIEW:
            queue, due = AnkiQueue.REVIEW, self.day_number(memory.due)
        elif memory.last_review is not None and self.day_number(memory.due) > self.day_number(
            memory.last_review
        ):
            queue, due = AnkiQueue.DAY_LEARN, self.day_number(memory.due)
        else:
            queue, due = AnkiQueue.LEARN, int(memory.due.timestamp())
        if memory.suspended:
            queue = AnkiQueue.SUSPENDED
        elif memory.buried_until is not None and memory.buried_until > self.now:
            queue = AnkiQueue.MANUALLY_BURIED  # the learner buried it; this trainer never buries siblings
        return queue, due

    @staticmethod
    def _relearn_interval(memory: Memory) -> int:
        if memory.state != CardState.RELEARNING or memory.stability is None:
            return 0
        return max(1, round(memory.stability))

    def _memory_data(self, memory: Memory) -> str:
        if memory.stability is None or memory.difficulty is None:
            return "{}"
        data: dict[str, Any] = {
            "s": round(memory.stability, 4),
            "d": round(memory.difficulty, 3),
            "dr": self.settings.desired_retention,
            # FSRS-6's forgetting curve: without it Anki assumes FSRS-5's decay of 0.5.
            "decay": round(fsrs_decay(self.settings.parameters), 4),
        }
        if memory.last_review is not None:
            data["lrt"] = int(memory.last_review.timestamp())
        return json.dumps(data, separators=(",", ":"))

    def revlog_row(self, entry: ReviewEntry, anki_card_id: int, used_ids: set[int]) -> tuple[int, ...]:
        """One `revlog` row (without usn) for a trainer review, with an id unique in `used_ids`."""
        revlog_id = int(entry.reviewed_at.timestamp() * 1000)
        while revlog_id in used_ids:
            revlog_id += 1
        used_ids.add(revlog_id)
        return (
            revlog_id,
            anki_card_id,
            int(entry.rating),
            revlog_interval(entry.after),
            revlog_interval(entry.before),
            DEFAULT_EASE,
            min(max(entry.duration_ms or 0, 0), MAX_REVIEW_MS),
            _REVLOG_TYPES[entry.before.state],
        )


def deck_preset(settings: Settings, modified: int) -> dict[str, Any]:
    """The learner's settings as an Anki deck-options preset (Anki's legacy JSON form): daily
    limits, learning and relearning steps, maximum interval, leech rule, desired retention and
    the FSRS-6 parameters. Anki takes it in with "Import deck presets"."""
    return {
        "id": PRESET_ID,
        "mod": modified,
        "name": PRESET_NAME,
        "usn": -1,
        "maxTaken": 60,
        "autoplay": True,
        "timer": 0,
        "replayq": True,
        "dyn": False,
        "new": {
            "bury": False,
            "delays": list(settings.learning_steps),
            "initialFactor": DEFAULT_EASE,
            "ints": [1, 4, 0],
            "order": 1,
            "perDay": settings.new_per_day,
        },
        "rev": {
            "bury": False,
            "ease4": 1.3,
            "ivlFct": 1.0,
            "maxIvl": settings.maximum_interval,
            "perDay": settings.reviews_per_day,
            "hardFactor": 1.2,
        },
        "lapse": {
            "delays": list(settings.relearning_steps),
            "leechAction": 0 if settings.leech_action == "suspend" else 1,
            "leechFails": settings.leech_threshold,
            "minInt": 1,
            "mult": 0.0,
        },
        "desiredRetention": settings.desired_retention,
        "fsrsParams6": [round(float(w), 4) for w in settings.parameters],
    }


def fsrs_decay(parameters: tuple[float, ...]) -> float:
    """The decay of the forgetting curve for FSRS `parameters`: the 21st weight (FSRS-6), else 0.5."""
    return float(parameters[20]) if len(parameters) > 20 else 0.5


def _has_progress(memory: Memory, now: datetime) -> bool:
    buried = memory.buried_until is not None and memory.buried_until > now
    return memory.state != CardState.NEW or memory.suspended or buried
