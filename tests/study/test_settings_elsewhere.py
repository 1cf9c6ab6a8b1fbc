"""A settings change saved through one collection (another worker process of the server, the
terminal) is used at once by every other collection of the same learner on the same database:
its limits, its day, its scheduling, and the settings it shows and changes."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import NOW
from trainer import Collection, Rating


def _url(col: Collection) -> str:
    return col.engine.url.render_as_string(hide_password=False)


def test_a_daily_limit_saved_elsewhere_limits_counts_and_cards_here(
    col: Collection, open_collection: Callable[..., Collection]
) -> None:
    here = open_collection(_url(col))
    assert here.today_counts(now=NOW).new > 0
    assert here.next_card(now=NOW) is not None  # the settings are read and kept
    col.configure(new_per_day=0, now=NOW)
    assert here.today_counts(now=NOW).new == 0
    assert here.next_card(now=NOW) is None
    col.configure(new_per_day=1, now=NOW)
    assert here.due_counts(now=NOW)["alpha"].new + here.due_counts(now=NOW)["beta"].new == 1


def test_an_answer_after_a_limit_saved_elsewhere_serves_by_the_new_limit(
    col: Collection, open_collection: Callable[..., Collection]
) -> None:
    here = open_collection(_url(col))
    study = here.next_card(now=NOW)
    assert study is not None
    col.configure(new_per_day=1, now=NOW)
    _, following = here.answer_and_next(study.id, Rating.Easy, now=NOW)
    assert following is None  # the one new card of the day was just answered


def test_an_answer_here_is_scheduled_by_the_retention_saved_elsewhere(
    col: Collection, open_collection: Callable[..., Collection]
) -> None:
    here = open_collection(_url(col))
    study = here.next_card(now=NOW)
    assert study is not None
    by_old = {p.rating: p.due for p in here.previews(study, now=NOW)}
    col.configure(desired_retention=0.7, now=NOW)
    by_new = {p.rating: p.due for p in col.previews(study.id, now=NOW)}
    assert by_new[Rating.Easy] != by_old[Rating.Easy]
    memory = here.answer(study.id, Rating.Easy, now=NOW)
    assert memory.due == by_new[Rating.Easy]


def test_fsrs_parameters_saved_elsewhere_are_used_here(
    col: Collection, open_collection: Callable[..., Collection]
) -> None:
    here = open_collection(_url(col))
    study = here.next_card(now=NOW)
    assert study is not None
    parameters = list(col.settings.parameters)
    parameters[3] = parameters[3] * 3  # the stability of a first Easy
    col.configure(parameters=parameters, now=NOW)
    expected = {p.rating: p.due for p in col.previews(study.id, now=NOW)}
    memory, _following = here.answer_and_next(study.id, Rating.Easy, now=NOW)
    assert memory.due == expected[Rating.Easy]
    assert here.settings.parameters == col.settings.parameters


def test_a_time_zone_saved_elsewhere_moves_the_day_here(
    col: Collection, open_collection: Callable[..., Collection]
) -> None:
    here = open_collection(_url(col))
    utc_day = here.day(NOW)
    study = here.next_card(now=NOW)
    assert study is not None
    col.configure(timezone="Asia/Tokyo", now=NOW)
    assert here.settings.timezone == "Asia/Tokyo" and here.settings.timezone_confirmed
    tokyo_day = here.day(NOW)
    assert tokyo_day.start != utc_day.start and tokyo_day == col.day(NOW)
    here.bury(study.id, now=NOW)
    assert here.card(study.id).memory.buried_until == tokyo_day.end


def test_the_time_zone_prompt_answered_elsewhere_is_answered_here(
    col: Collection, open_collection: Callable[..., Collection]
) -> None:
    here = open_collection(_url(col))
    assert not here.settings.timezone_confirmed
    col.configure(timezone_confirmed=True, now=NOW)
    assert here.settings.timezone_confirmed


def test_a_change_here_keeps_a_change_made_elsewhere(
    col: Collection, open_collection: Callable[..., Collection]
) -> None:
    here = open_collection(_url(col))
    assert here.next_card(now=NOW) is not None  # the settings are read and kept
    col.configure(new_per_day=3, now=NOW)
    saved = here.configure(reviews_per_day=7, now=NOW)
    assert (saved.new_per_day, saved.reviews_per_day) == (3, 7)
    assert (col.settings.new_per_day, col.settings.reviews_per_day) == (3, 7)
    assert here.today_counts(now=NOW).new == 3
