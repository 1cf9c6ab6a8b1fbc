"""The study queue: limits, the learner's day, interleaving, suspend, bury, leeches, undo."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import NOW
from trainer import Collection, Conflict, NotFound, NothingToUndo, Rating, TrainerError
from trainer.model import CardState
from trainer.storage.store import logs


def drain(col: Collection, now: datetime, rating: Rating = Rating.Easy, limit: int = 100) -> list[str]:
    """Answer every card the queue serves at `now`; return their ids in order."""
    served = []
    while (card := col.next_card(now)) is not None and len(served) < limit:
        served.append(card.id)
        col.answer(card.id, rating, now)
    return served


def test_new_cards_interleave_domains(col: Collection) -> None:
    order = drain(col, NOW)
    decks = [card_id[0] for card_id in order[:6]]
    assert decks == ["a", "b", "a", "b", "a", "b"]


def test_new_card_limit_per_day(col: Collection) -> None:
    col.configure(new_per_day=2)
    assert len(drain(col, NOW)) == 2
    assert col.today_counts(NOW).new == 0
    assert len(drain(col, NOW + timedelta(days=1))) >= 2


def test_review_limit_per_day(col: Collection) -> None:
    drain(col, NOW)
    col.configure(reviews_per_day=1)
    later = NOW + timedelta(days=400)
    assert col.today_counts(later).review == 1
    assert len(drain(col, later)) == 1


def test_rollover_hour_in_the_learners_time_zone(col: Collection) -> None:
    col.configure(new_per_day=1, timezone="America/New_York", rollover_hour=4)
    # 03:30 in New York is still the previous learner day; 04:30 starts a new one.
    before_rollover = datetime(2026, 3, 10, 7, 30, tzinfo=UTC)
    after_rollover = datetime(2026, 3, 10, 8, 30, tzinfo=UTC)
    assert len(drain(col, before_rollover)) == 1
    assert col.today_counts(before_rollover + timedelta(minutes=20)).new == 0
    assert col.today_counts(after_rollover).new == 1
    start, end = col.day(after_rollover).start, col.day(after_rollover).end
    assert (start, end) == (
        after_rollover - timedelta(minutes=30),
        after_rollover + timedelta(hours=23, minutes=30),
    )


def test_learning_card_comes_back_when_due(col: Collection) -> None:
    col.configure(new_per_day=1)
    first = col.next_card(NOW)
    assert first is not None
    col.answer(first.id, Rating.Again, NOW)
    again = col.next_card(NOW + timedelta(minutes=1, seconds=1))
    assert again is not None and again.id == first.id
    assert again.memory.state == CardState.LEARNING


def test_suspend_and_bury(col: Collection) -> None:
    col.suspend("a-fact")
    col.bury("b-one", NOW)
    served = drain(col, NOW)
    assert "a-fact" not in served and "b-one" not in served
    tomorrow = NOW + timedelta(days=1)
    assert "b-one" in drain(col, tomorrow)
    col.suspend("a-fact", False)
    assert "a-fact" in drain(col, tomorrow)


def test_leech_is_tagged_after_threshold_lapses(col: Collection) -> None:
    col.configure(leech_threshold=2)
    now = NOW
    col.answer("a-fact", Rating.Easy, now)
    for _ in range(2):
        now += timedelta(days=60)
        memory = col.answer("a-fact", Rating.Again, now)
        now += timedelta(days=1)
        memory = col.answer("a-fact", Rating.Easy, now)
    assert memory.lapses == 2 and memory.leech and not memory.suspended


def test_leech_can_suspend(col: Collection) -> None:
    col.configure(leech_threshold=1, leech_action="suspend")
    col.answer("a-fact", Rating.Easy, NOW)
    memory = col.answer("a-fact", Rating.Again, NOW + timedelta(days=30))
    assert memory.leech and memory.suspended


def test_undo_restores_state_and_log_exactly(col: Collection) -> None:
    col.answer("a-fact", Rating.Good, NOW)
    col.answer("b-one", Rating.Easy, NOW)
    snapshot = ({c.id: c.memory for c in col.cards()}, col.history())
    col.answer("a-fact", Rating.Again, NOW + timedelta(minutes=5))
    col.answer("a-cloze", Rating.Hard, NOW + timedelta(minutes=6))
    assert col.undo() == "a-cloze"
    assert col.undo() == "a-fact"
    assert ({c.id: c.memory for c in col.cards()}, col.history()) == snapshot
    col.undo()
    col.undo()
    with pytest.raises(NothingToUndo):
        col.undo()
    assert all(c.memory.reps == 0 for c in col.cards())


def test_request_id_applies_an_answer_once(col: Collection) -> None:
    first = col.answer("a-fact", Rating.Good, NOW, request_id="req-1")
    second = col.answer("a-fact", Rating.Good, NOW, request_id="req-1")
    assert first == second
    assert len(col.history("a-fact")) == 1


def test_stale_answer_is_a_conflict(col: Collection) -> None:
    shown = col.card("a-fact")
    col.answer("a-fact", Rating.Good, NOW, expected_reps=shown.memory.reps)
    with pytest.raises(Conflict):
        col.answer("a-fact", Rating.Good, NOW, expected_reps=shown.memory.reps)
    assert len(col.history("a-fact")) == 1


def test_bad_input_is_rejected_and_changes_nothing(col: Collection) -> None:
    with pytest.raises(NotFound):
        col.answer("no-such-card", Rating.Good, NOW)
    with pytest.raises(TrainerError, match="rating must be 1 to 4"):
        col.answer("a-fact", 7, NOW)
    with pytest.raises(TrainerError, match="points_ticked"):
        col.answer("a-drill", Rating.Good, NOW, points_ticked=[0, 9])
    with pytest.raises(ValueError, match="timezone-aware"):
        col.answer("a-fact", Rating.Good, datetime(2026, 1, 1))
    with pytest.raises(NotFound):
        col.next_card(NOW, domain="nope")
    with col.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(logs)).scalar() == 0


def test_drill_points_are_stored(col: Collection) -> None:
    col.answer("a-drill", Rating.Good, NOW, points_ticked=[2, 0, 0])
    (entry,) = col.history("a-drill")
    assert entry.points_ticked == (0, 2)


def test_domain_filter(col: Collection) -> None:
    served = []
    while (card := col.next_card(NOW, domain="beta")) is not None:
        served.append(card.id)
        col.answer(card.id, Rating.Easy, NOW)
    assert served == ["b-one", "b-two", "b-three"]


def test_domain_stats_has_a_row_per_domain(col: Collection) -> None:
    drain(col, NOW)
    frame = col.domain_stats(NOW + timedelta(days=1))
    assert list(frame["domain"]) == ["alpha", "beta"]
    assert list(frame["introduced"]) == [3, 3]


def test_settings_survive_reopening(db_url: str, open_collection: Callable[..., Collection]) -> None:
    col = open_collection(db_url)
    col.configure(desired_retention=0.85, learning_steps=[2, 15])
    col.close()
    again = open_collection(db_url)
    assert again.settings.desired_retention == 0.85
    assert again.settings.learning_steps == (2.0, 15.0)


def test_daily_counts_follow_answers_and_undo(col: Collection) -> None:
    from trainer.storage.store import count_answers_since, day_counts

    def kept_and_logged() -> tuple[tuple[int, int] | None, tuple[int, int]]:
        day = col.day(NOW)
        with col.engine.connect() as conn:
            return day_counts(conn, col.learner_id, day.date), count_answers_since(
                conn, col.learner_id, day.start
            )

    drain(col, NOW, limit=4)
    kept, logged = kept_and_logged()
    assert kept == logged == (4, 0)
    col.undo()
    kept, logged = kept_and_logged()
    assert kept == logged == (3, 0)


def test_a_day_without_kept_counts_starts_from_the_log(col: Collection) -> None:
    col.configure(new_per_day=3)
    drain(col, NOW, limit=2)
    with col.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM daily_counts")
    assert col.today_counts(NOW).new == 1
    assert len(drain(col, NOW)) >= 1
    assert col.today_counts(NOW).new == 0
    with col.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT new_count FROM daily_counts").scalar() == 3


def test_answer_and_next_serves_what_next_card_would_after_the_answer(col: Collection) -> None:
    ratings = [Rating.Again, Rating.Good, Rating.Hard, Rating.Easy, Rating.Good]
    moment = NOW
    card = col.next_card(moment)
    answered = 0
    while card is not None and answered < 40:
        memory, following = col.answer_and_next(card.id, ratings[answered % 5], moment)
        answered += 1
        assert memory == col.card(card.id).memory
        again = col.next_card(moment)
        assert (following.id if following else None) == (again.id if again else None)
        card = following
        moment += timedelta(minutes=4)
    assert answered > 10 and len(col.history()) == answered


def test_answer_and_next_keeps_to_the_domain(col: Collection) -> None:
    served = [col.next_card(NOW, domain="beta")]
    while served[-1] is not None:
        _memory, following = col.answer_and_next(served[-1].id, Rating.Easy, NOW, domain="beta")
        served.append(following)
    assert [card.id for card in served if card] == ["b-one", "b-two", "b-three"]


def test_answer_and_next_records_nothing_for_an_unknown_domain_or_card(col: Collection) -> None:
    with pytest.raises(NotFound):
        col.answer_and_next("a-fact", Rating.Good, NOW, domain="nope")
    with pytest.raises(NotFound):
        col.answer_and_next("no-such-card", Rating.Good, NOW)
    assert col.history() == [] and col.card("a-fact").memory.reps == 0


def test_answer_and_next_applies_a_repeated_request_once(col: Collection) -> None:
    first, following = col.answer_and_next("a-fact", Rating.Good, NOW, request_id="req-1")
    second, again = col.answer_and_next("a-fact", Rating.Good, NOW, request_id="req-1")
    assert first == second and following is not None and again is not None
    assert following.id == again.id
    assert len(col.history("a-fact")) == 1


def test_a_failed_answer_and_next_leaves_the_rotation_alone(
    col: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = col.next_card(NOW)
    assert first is not None

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the queue failed")

    monkeypatch.setattr("trainer.study.queue.next_card", broken)
    with pytest.raises(RuntimeError):
        col.answer_and_next(first.id, Rating.Good, NOW)
    monkeypatch.undo()
    assert col.history() == []
    again = col.next_card(NOW)
    assert again is not None and again.id == first.id


def test_learning_cards_are_served_up_to_twenty_minutes_early_once_nothing_else_is_left(
    col: Collection,
) -> None:
    col.configure(new_per_day=1, learning_steps=[60.0], now=NOW)
    first = col.next_card(NOW)
    assert first is not None
    col.answer(first.id, Rating.Again, NOW)
    due = col.card(first.id).memory.due
    assert due == NOW + timedelta(minutes=60)
    # The day's one new card is used and nothing else is due: the learning card waits until it
    # is less than twenty minutes from due.
    assert col.next_card(NOW + timedelta(minutes=1)) is None
    assert col.next_card(due - timedelta(minutes=20)) is None
    early = col.next_card(due - timedelta(minutes=20) + timedelta(seconds=1))
    assert early is not None and early.id == first.id
