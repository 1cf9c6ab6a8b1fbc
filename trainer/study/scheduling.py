"""FSRS scheduling for one answer: fsrs does the maths, this module adds the trainer's rules.

Fuzz is drawn from a generator seeded by the learner, the card and its review count, so the
interval a rating previews is exactly the interval an answer with that rating saves.
"""

from __future__ import annotations

import copy
import hashlib
import math
import random
from dataclasses import replace
from datetime import datetime, timedelta
from functools import lru_cache

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State
from fsrs.scheduler import FUZZ_RANGES

from trainer.model import CardState, Memory, Preview
from trainer.settings import Settings


class SeededScheduler(Scheduler):
    """An fsrs.Scheduler whose fuzz comes from a per-review seed instead of global `random`."""

    _fuzz_seed: int | str = 0

    def with_seed(self, seed: int | str) -> SeededScheduler:
        """A shallow copy that fuzzes with `seed`."""
        seeded = copy.copy(self)
        seeded._fuzz_seed = seed
        return seeded

    def _get_fuzzed_interval(self, *, interval: timedelta) -> timedelta:
        days = interval.days
        if days < 2.5:
            return interval
        delta = 1.0
        for fuzz in FUZZ_RANGES:
            delta += fuzz["factor"] * max(min(float(days), fuzz["end"]) - fuzz["start"], 0.0)
        low = max(2, round(days - delta))
        high = min(round(days + delta), self.maximum_interval)
        low = min(low, high)
        draw = random.Random(self._fuzz_seed).random()
        return timedelta(days=min(round(draw * (high - low + 1) + low), self.maximum_interval))


@lru_cache(maxsize=64)
def _scheduler(
    parameters: tuple[float, ...],
    desired_retention: float,
    learning_steps: tuple[float, ...],
    relearning_steps: tuple[float, ...],
    maximum_interval: int,
    enable_fuzzing: bool,
) -> SeededScheduler:
    return SeededScheduler(
        parameters=parameters,
        desired_retention=desired_retention,
        learning_steps=tuple(timedelta(minutes=m) for m in learning_steps),
        relearning_steps=tuple(timedelta(minutes=m) for m in relearning_steps),
        maximum_interval=maximum_interval,
        enable_fuzzing=enable_fuzzing,
    )


def scheduler_for(settings: Settings) -> SeededScheduler:
    """The (cached) scheduler configured by `settings`."""
    return _scheduler(
        tuple(settings.parameters),
        settings.desired_retention,
        tuple(settings.learning_steps),
        tuple(settings.relearning_steps),
        settings.maximum_interval,
        settings.enable_fuzzing,
    )


def fsrs_card_id(card_id: str) -> int:
    """A stable positive integer for a card's string id, for `fsrs.Card.card_id`: 48 bits, so
    below 2**53 like fsrs's own ids (epoch milliseconds) and exact in JSON read by JavaScript."""
    return int.from_bytes(hashlib.blake2b(card_id.encode(), digest_size=6).digest(), "big")


def fuzz_seed(learner_id: int, card_id: str, reps: int) -> str:
    """The seed for a review's fuzz: the same for a preview and the answer that follows it, in
    every process (`random.Random` hashes a text seed with SHA-512, not with `hash()`)."""
    return f"{learner_id}:{card_id}:{reps}"


def to_fsrs(card_id: str, memory: Memory, now: datetime) -> FsrsCard:
    """The fsrs.Card for a learner's memory of a card (a new card is fresh in Learning)."""
    if memory.state == CardState.NEW:
        return FsrsCard(card_id=fsrs_card_id(card_id), state=State.Learning, step=0, due=now)
    return FsrsCard(
        card_id=fsrs_card_id(card_id),
        state=State(int(memory.state)),
        step=memory.step,
        stability=memory.stability,
        difficulty=memory.difficulty,
        due=memory.due or now,
        last_review=memory.last_review,
    )


def _seeded_scheduler(
    settings: Settings, memory: Memory, *, card_id: str, learner_id: int
) -> SeededScheduler:
    return scheduler_for(settings).with_seed(fuzz_seed(learner_id, card_id, memory.reps))


def review(
    settings: Settings, memory: Memory, rating: Rating, now: datetime, *, card_id: str, learner_id: int
) -> Memory:
    """The memory after answering with `rating` at `now`, leech rules included."""
    scheduler = _seeded_scheduler(settings, memory, card_id=card_id, learner_id=learner_id)
    after, _log = scheduler.review_card(to_fsrs(card_id, memory, now), rating, now)
    lapsed = memory.state == CardState.REVIEW and rating == Rating.Again
    lapses = memory.lapses + (1 if lapsed else 0)
    leech = memory.leech or (lapsed and lapses >= settings.leech_threshold)
    suspended = memory.suspended or (leech and not memory.leech and settings.leech_action == "suspend")
    return replace(
        memory,
        state=CardState(int(after.state)),
        step=after.step,
        stability=after.stability,
        difficulty=after.difficulty,
        due=after.due,
        last_review=after.last_review,
        reps=memory.reps + 1,
        lapses=lapses,
        leech=leech,
        suspended=suspended,
        buried_until=None,
    )


def previews(
    settings: Settings, memory: Memory, now: datetime, *, card_id: str, learner_id: int
) -> list[Preview]:
    """What each of the four ratings would schedule, exactly as `review` would save it.

    The due date is all a preview needs, so the leech rules `review` adds are skipped: they
    never move it. fsrs copies the card it reviews, so one fsrs card serves all four ratings.
    """
    scheduler = _seeded_scheduler(settings, memory, card_id=card_id, learner_id=learner_id)
    card = to_fsrs(card_id, memory, now)
    out = []
    for rating in Rating:
        after, _log = scheduler.review_card(card, rating, now)
        out.append(Preview(rating, after.due, (after.due - now).total_seconds()))
    return out


def retrievability(settings: Settings, memory: Memory, now: datetime) -> float:
    """The predicted probability of recalling the card at `now` (0 for a card never reviewed)."""
    if memory.stability is None or memory.last_review is None:
        return 0.0
    scheduler = scheduler_for(settings)
    elapsed = max(0.0, (now - memory.last_review).total_seconds() / 86400)
    decay = -scheduler.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    return float(math.pow(1 + factor * elapsed / memory.stability, decay))


def format_interval(seconds: float) -> str:
    """A short human interval: 45s, 10m, 3h, 4d, 2.5mo, 1.2y."""
    if seconds < 60:
        return f"{max(0, round(seconds))}s"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"
