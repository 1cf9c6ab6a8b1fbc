"""Settings: coerced from forms, validated up front, every problem reported at once."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pytest
from fsrs import Scheduler
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import update

from trainer import Collection, Settings, SettingsError
from trainer.storage import store


def test_every_problem_is_reported_and_nothing_saved(col: Collection) -> None:
    with pytest.raises(SettingsError) as caught:
        col.configure(desired_retention=1.5, timezone="Mars/Olympus", new_per_day=-1, colour="red")
    fields = sorted(p.field or "" for p in caught.value.problems)
    assert fields == ["colour", "desired_retention", "new_per_day", "timezone"]
    with pytest.raises(SettingsError) as caught:
        col.configure(desired_retention=1.5, timezone="Mars/Olympus", new_per_day=-1)
    fields = sorted(p.field or "" for p in caught.value.problems)
    assert fields == ["desired_retention", "new_per_day", "timezone"]
    assert col.settings == Settings()


def test_form_strings_are_coerced() -> None:
    settings = Settings().updated(
        desired_retention="0.85",
        learning_steps="1, 10, 60",
        enable_fuzzing="off",
        new_per_day="15",
        interview_date="2027-01-15",
    )
    assert settings.desired_retention == 0.85
    assert settings.learning_steps == (1.0, 10.0, 60.0)
    assert settings.enable_fuzzing is False
    assert settings.new_per_day == 15
    assert settings.interview_date == date(2027, 1, 15)


def test_bad_types_are_reported() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings().updated(new_per_day="many", learning_steps="1 x", enable_fuzzing="perhaps")
    assert {p.field for p in caught.value.problems} == {"new_per_day", "learning_steps", "enable_fuzzing"}


def test_bad_types_and_bad_ranges_are_reported_together() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings().updated(maximum_interval="abc", new_per_day=-5, rollover_hour="25", leech_action="delete")
    fields = sorted(p.field or "" for p in caught.value.problems)
    assert fields == ["leech_action", "maximum_interval", "new_per_day", "rollover_hour"]


def test_parameters_are_checked_by_fsrs() -> None:
    with pytest.raises(SettingsError, match="parameters"):
        Settings().updated(parameters=[1.0] * 3)


@given(
    retention=st.floats(0.7, 0.99),
    new=st.integers(0, 9999),
    rollover=st.integers(0, 23),
    fuzz=st.booleans(),
)
def test_round_trip(retention: float, new: int, rollover: int, fuzz: bool) -> None:
    settings = Settings().updated(
        desired_retention=retention, new_per_day=new, rollover_hour=rollover, enable_fuzzing=fuzz
    )
    assert Settings.from_dict(settings.to_dict()) == settings


@hypothesis_settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["desired_retention", "new_per_day", "timezone", "rollover_hour"]),
        st.one_of(st.text(max_size=8), st.integers(), st.floats(allow_nan=True), st.booleans()),
    )
)
def test_arbitrary_input_is_a_settings_error_or_valid(changes: dict[str, object]) -> None:
    try:
        updated = Settings().updated(**changes)
    except SettingsError as exc:
        assert exc.problems
    else:
        assert_applied(changes, updated)


def assert_applied(changes: dict[str, Any], updated: Settings) -> None:
    """Accepted changes hold what was given, in the field's own type, and pass every range check."""
    updated.check()
    assert Settings.from_dict(updated.to_dict()) == updated
    defaults = Settings()
    for name, raw in changes.items():
        value, default = getattr(updated, name), getattr(defaults, name)
        if name == "interview_date":
            assert value is None or isinstance(value, date)
            continue
        if isinstance(default, bool):
            assert isinstance(value, bool)
            if not isinstance(raw, str):
                assert raw in (0, 1) and value == bool(raw)
            continue
        if isinstance(default, str):
            assert isinstance(raw, str) and value == raw.strip()
            continue
        assert not isinstance(raw, bool), f"{name} accepted {raw!r}"
        if isinstance(default, tuple):
            assert all(type(v) is float for v in value)
            continue
        assert type(value) is type(default), (name, value)
        assert value == float(raw.strip() if isinstance(raw, str) else raw), (name, raw, value)


def test_yes_or_no_is_not_a_number() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings().updated(rollover_hour=True, new_per_day=False, desired_retention=True, enable_fuzzing=2)
    assert sorted(p.field or "" for p in caught.value.problems) == [
        "desired_retention",
        "enable_fuzzing",
        "new_per_day",
        "rollover_hour",
    ]


# (field, the smallest and largest accepted values, a value just outside each end, the message).
RANGES: list[tuple[str, Any, Any, Any, Any, str]] = [
    ("desired_retention", 0.7, 0.99, 0.6999, 0.9901, "must be between 0.70 and 0.99"),
    ("maximum_interval", 1, 36500, 0, 36501, "must be between 1 and 36500 days"),
    ("new_per_day", 0, 9999, -1, 10000, "must be between 0 and 9999"),
    ("reviews_per_day", 0, 99999, -1, 100000, "must be between 0 and 99999"),
    ("rollover_hour", 0, 23, -1, 24, "must be an hour from 0 to 23"),
    ("leech_threshold", 1, 99, 0, 100, "must be between 1 and 99 lapses"),
    ("new_drill_every", 0, 100, -1, 101, "must be between 0 (file order) and 100"),
    (
        "interview_date",
        date(2000, 1, 1),
        date(2099, 12, 31),
        date(1999, 12, 31),
        date(2100, 1, 1),
        "must be between 2000-01-01 and 2099-12-31",
    ),
    (
        "learning_steps",
        [0.001],
        [10080.0] * 10,
        [0.0],
        [10080.5],
        "each step must be more than 0 and at most 10080 minutes (a week)",
    ),
    ("relearning_steps", [0.5], [10080.0], [-1.0], [1.0] * 11, ""),
]


@pytest.mark.parametrize(("name", "low", "high", "below", "above", "message"), RANGES)
def test_each_range_holds_its_ends_and_refuses_just_past_them(
    name: str, low: Any, high: Any, below: Any, above: Any, message: str
) -> None:
    for accepted in (low, high):
        value = getattr(Settings().updated(**{name: accepted}), name)
        assert value == (tuple(accepted) if isinstance(accepted, list) else accepted)
    for refused in (below, above):
        with pytest.raises(SettingsError) as caught:
            Settings().updated(**{name: refused})
        assert [p.field for p in caught.value.problems] == [name]
        if message:
            assert caught.value.problems[0].message == message


def test_step_lists_are_limited_to_ten_steps() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings().updated(relearning_steps=[1.0] * 11)
    assert [p.message for p in caught.value.problems] == ["at most 10 steps"]
    assert Settings().updated(relearning_steps=[]).relearning_steps == ()


def test_text_settings_are_checked_and_trimmed() -> None:
    assert Settings().updated(timezone=" Europe/Berlin ").timezone == "Europe/Berlin"
    assert Settings().updated(leech_action="suspend").leech_action == "suspend"
    with pytest.raises(SettingsError) as caught:
        Settings().updated(timezone="Mars/Olympus", leech_action="delete")
    messages = {p.field: p.message for p in caught.value.problems}
    assert messages == {
        "timezone": "unknown time zone 'Mars/Olympus' (use a name such as Europe/Berlin)",
        "leech_action": "must be 'tag' or 'suspend'",
    }
    with pytest.raises(SettingsError) as caught:
        Settings().updated(timezone=5)
    assert [(p.field, p.message) for p in caught.value.problems] == [("timezone", "expected text, got 5")]


def test_coercion_messages_name_what_was_expected() -> None:
    cases = {
        "new_per_day": (2.5, "expected a whole number, got 2.5"),
        "desired_retention": ("most", "expected a finite number, got 'most'"),
        "enable_fuzzing": ("perhaps", "expected true or false, got 'perhaps'"),
        "learning_steps": (5, "expected a list of numbers"),
        "relearning_steps": ("1 x", "expected finite numbers, got '1 x'"),
        "interview_date": ("soon", "Invalid isoformat string: 'soon'"),
    }
    with pytest.raises(SettingsError) as caught:
        Settings().updated(**{name: value for name, (value, _) in cases.items()})
    assert {p.field: p.message for p in caught.value.problems} == {
        name: message for name, (_, message) in cases.items()
    }
    assert str(caught.value).startswith("invalid settings; nothing was changed\n")


def test_yes_and_no_in_words_and_numbers() -> None:
    for word in ("1", "true", "YES", " on "):
        assert Settings().updated(enable_fuzzing=word).enable_fuzzing is True
    for word in ("0", "false", "No", "off", ""):
        assert Settings(enable_fuzzing=True).updated(enable_fuzzing=word).enable_fuzzing is False
    assert Settings().updated(enable_fuzzing=0).enable_fuzzing is False
    assert Settings(enable_fuzzing=False).updated(enable_fuzzing=1).enable_fuzzing is True
    assert Settings().updated(new_per_day=" 7 ", maximum_interval=30.0).new_per_day == 7
    assert Settings().updated(interview_date="").interview_date is None
    assert Settings().updated(interview_date=date(2027, 1, 2)).interview_date == date(2027, 1, 2)
    assert Settings().updated(interview_date="2027-01-02").to_dict()["interview_date"] == "2027-01-02"
    assert Settings().to_dict()["interview_date"] is None
    assert Settings().zone.key == "UTC"


def test_choosing_a_time_zone_answers_the_time_zone_prompt() -> None:
    assert Settings().timezone_confirmed is False
    assert Settings().updated(new_per_day=3).timezone_confirmed is False
    assert Settings().updated(timezone="UTC").timezone_confirmed is True
    assert Settings().updated(timezone="Asia/Tokyo", timezone_confirmed=False).timezone_confirmed is False
    confirmed = Settings().updated(timezone_confirmed=True)
    assert confirmed.timezone == "UTC" and Settings.from_dict(confirmed.to_dict()) == confirmed


@pytest.mark.parametrize(("zone", "confirmed"), [("UTC", False), ("Asia/Tokyo", True)])
def test_settings_saved_before_the_prompt_count_a_zone_other_than_utc_as_chosen(
    zone: str, confirmed: bool, col: Collection, db_url: str, open_collection: Any
) -> None:
    old = {**col.settings.to_dict(), "timezone": zone}
    del old["timezone_confirmed"]
    with col.engine.begin() as conn:
        conn.execute(update(store.learner_settings).values(data=old))
    reopened = open_collection(db_url).settings
    assert reopened.timezone == zone and reopened.timezone_confirmed is confirmed
    assert Settings.from_dict(old).timezone_confirmed is confirmed


def test_settings_saved_without_a_time_zone_have_the_default_one_unchosen() -> None:
    old = Settings.from_dict({"new_per_day": 7})
    assert (old.new_per_day, old.timezone, old.timezone_confirmed) == (7, "UTC", False)


def test_unknown_names_are_each_reported_with_the_other_problems() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings().updated(colour="red", new_per_day=-1, shade="dark")
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("colour", "is not a setting"),
        ("shade", "is not a setting"),
        ("new_per_day", "must be between 0 and 9999"),
    ]


def test_check_reports_every_value_out_of_range() -> None:
    Settings().check()
    parameters = (math.nan, *Settings().parameters[1:])
    with pytest.raises(SettingsError) as caught:
        Settings(desired_retention=1.5, parameters=parameters).check()
    assert caught.value.summary == "invalid settings; nothing was changed"
    assert [(p.field, p.message) for p in caught.value.problems][:2] == [
        ("desired_retention", "must be between 0.70 and 0.99"),
        ("parameters", "must all be finite numbers"),
    ]


def test_parameters_fsrs_refuses_are_reported_on_one_line() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings().updated(parameters=[100.0] * 21)
    try:
        Scheduler(parameters=[100.0] * 21)
    except ValueError as exc:
        expected = str(exc)
    assert "\n" in expected  # fsrs's own message runs over several lines
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("parameters", expected.replace("\n", "; "))
    ]


def test_yes_or_no_and_whole_numbers_name_what_they_got() -> None:
    cases = {
        "enable_fuzzing": (2, "expected true or false, got 2"),
        "new_per_day": (True, "expected a number, got True"),
        "maximum_interval": ("lots", "expected a whole number, got 'lots'"),
    }
    with pytest.raises(SettingsError) as caught:
        Settings().updated(**{name: value for name, (value, _) in cases.items()})
    assert {p.field: p.message for p in caught.value.problems} == {
        name: message for name, (_, message) in cases.items()
    }


def test_an_interview_date_given_with_a_time_is_taken_as_its_day() -> None:
    moment = datetime(2027, 1, 15, 10, 30)
    chosen = Settings().updated(interview_date=moment)
    assert type(chosen.interview_date) is date
    assert chosen.interview_date == date(2027, 1, 15)
    assert Settings.from_dict(chosen.to_dict()) == chosen


def test_saved_settings_are_read_back_with_each_bad_field_at_its_default() -> None:
    chosen = Settings().updated(new_per_day=7, timezone="Asia/Tokyo", learning_steps=[2.0])
    assert Settings.from_saved(chosen.to_dict()) == (chosen, [])
    saved = {**chosen.to_dict(), "learning_steps": [math.nan], "interview_date": "9999-01-01"}
    read, problems = Settings.from_saved(saved)
    assert read == chosen.updated(learning_steps=list(Settings.learning_steps))
    assert sorted(problem.field for problem in problems) == ["interview_date", "learning_steps"]
