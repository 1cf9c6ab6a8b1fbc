"""Settings: coerced from forms, validated up front, every problem reported at once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from trainer import Collection, Settings, SettingsError


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
