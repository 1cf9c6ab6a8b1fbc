"""A learner's settings: scheduling, daily limits and the learner's day.

`Settings.validated` checks every field and reports every problem in one `SettingsError`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fsrs import Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS

from trainer.errors import Problem, SettingsError

LEECH_ACTIONS = ("tag", "suspend")
EARLIEST_INTERVIEW = date(2000, 1, 1)
LATEST_INTERVIEW = date(2099, 12, 31)


@dataclass(frozen=True)
class Settings:
    """Everything a learner can tune. Steps are in minutes, intervals in days."""

    desired_retention: float = 0.9
    learning_steps: tuple[float, ...] = (1.0, 10.0)
    relearning_steps: tuple[float, ...] = (10.0,)
    maximum_interval: int = 36500
    enable_fuzzing: bool = True
    new_per_day: int = 20
    new_drill_every: int = 5
    reviews_per_day: int = 200
    timezone: str = "UTC"
    rollover_hour: int = 4
    leech_threshold: int = 8
    leech_action: str = "tag"
    parameters: tuple[float, ...] = field(default=tuple(DEFAULT_PARAMETERS))
    interview_date: date | None = None
    # Whether the learner has chosen their time zone (or declined to change it): until then the
    # web pages offer the browser's.
    timezone_confirmed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; `Settings.from_dict` reverses it."""
        data = asdict(self)
        for key in ("learning_steps", "relearning_steps", "parameters"):
            data[key] = list(data[key])
        data["interview_date"] = self.interview_date.isoformat() if self.interview_date else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Settings from a dict such as `to_dict` gives or a form submits; validated.

        Settings saved before `timezone_confirmed` existed count as confirmed when their time
        zone is not the default one (the learner set it)."""
        if "timezone_confirmed" not in data:
            chosen = data.get("timezone", Settings.timezone) != Settings.timezone
            data = {**data, "timezone_confirmed": chosen}
        return cls().updated(**data)

    @classmethod
    def from_saved(cls, data: dict[str, Any]) -> tuple[Settings, list[Problem]]:
        """Saved settings read back with each field that fails validation at its default, and
        the problems found (none when `data` is valid)."""
        try:
            return cls.from_dict(data), []
        except SettingsError as exc:
            bad = {problem.field for problem in exc.problems}
            try:
                return cls.from_dict({k: v for k, v in data.items() if k not in bad}), exc.problems
            except SettingsError:
                return cls(), exc.problems

    def updated(self, **changes: Any) -> Settings:
        """A copy with `changes` applied, each coerced and the whole validated.

        Setting `timezone` is the learner's choice of it, so it also sets `timezone_confirmed`
        unless that is given too. Raises `SettingsError` naming every bad field; unknown names
        are errors too.
        """
        problems: list[Problem] = []
        known = {f.name: f for f in fields(self)}
        coerced: dict[str, Any] = {}
        for name, raw in changes.items():
            if name not in known:
                problems.append(Problem("is not a setting", field=name))
                continue
            try:
                coerced[name] = _coerce(name, raw, getattr(self, name))
            except (TypeError, ValueError) as exc:
                problems.append(Problem(str(exc), field=name))
        if "timezone" in coerced and "timezone_confirmed" not in changes:
            coerced["timezone_confirmed"] = True
        candidate = replace(self, **coerced)
        problems += [Problem(message, field=name) for name, message in _range_problems(candidate)]
        if problems:
            raise SettingsError("invalid settings; nothing was changed", problems)
        return candidate

    def check(self) -> None:
        """Raise `SettingsError` listing every value out of its range."""
        problems = [Problem(message, field=name) for name, message in _range_problems(self)]
        if problems:
            raise SettingsError("invalid settings; nothing was changed", problems)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _coerce(name: str, raw: Any, current: Any) -> Any:
    if name == "interview_date":
        if raw in (None, ""):
            return None
        if isinstance(raw, datetime):
            return raw.date()
        return raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    if isinstance(current, bool):
        if isinstance(raw, str):
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(f"expected true or false, got {raw!r}")
        if isinstance(raw, bool) or raw in (0, 1):
            return bool(raw)
        raise TypeError(f"expected true or false, got {raw!r}")
    if isinstance(current, tuple):
        items = raw.replace(",", " ").split() if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple):
            raise TypeError("expected a list of numbers")
        try:
            return tuple(_finite(float(item)) for item in items)
        except (TypeError, ValueError):
            raise ValueError(f"expected finite numbers, got {raw!r}") from None
    if isinstance(raw, bool) and not isinstance(current, str):
        # True is an int to Python, but a number setting given a yes/no answer is a mistake.
        raise TypeError(f"expected a number, got {raw!r}")
    if isinstance(current, int):
        if isinstance(raw, float) and not raw.is_integer():
            raise ValueError(f"expected a whole number, got {raw!r}")
        try:
            return int(str(raw).strip()) if isinstance(raw, str) else int(raw)
        except (TypeError, ValueError):
            raise ValueError(f"expected a whole number, got {raw!r}") from None
    if isinstance(current, float):
        try:
            return _finite(float(raw))
        except (TypeError, ValueError):
            raise ValueError(f"expected a finite number, got {raw!r}") from None
    if not isinstance(raw, str):
        raise TypeError(f"expected text, got {raw!r}")
    return raw.strip()


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return value


def _range_problems(s: Settings) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if s.interview_date is not None and not EARLIEST_INTERVIEW <= s.interview_date <= LATEST_INTERVIEW:
        out.append(("interview_date", f"must be between {EARLIEST_INTERVIEW} and {LATEST_INTERVIEW}"))
    if not 0.7 <= s.desired_retention <= 0.99:
        out.append(("desired_retention", "must be between 0.70 and 0.99"))
    for name in ("learning_steps", "relearning_steps"):
        steps = getattr(s, name)
        if not all(0 < step <= 60 * 24 * 7 for step in steps):
            out.append((name, "each step must be more than 0 and at most 10080 minutes (a week)"))
        if len(steps) > 10:
            out.append((name, "at most 10 steps"))
    if not 1 <= s.maximum_interval <= 36500:
        out.append(("maximum_interval", "must be between 1 and 36500 days"))
    if not 0 <= s.new_per_day <= 9999:
        out.append(("new_per_day", "must be between 0 and 9999"))
    if not 0 <= s.new_drill_every <= 100:
        out.append(("new_drill_every", "must be between 0 (file order) and 100"))
    if not 0 <= s.reviews_per_day <= 99999:
        out.append(("reviews_per_day", "must be between 0 and 99999"))
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        out.append(("timezone", f"unknown time zone {s.timezone!r} (use a name such as Europe/Berlin)"))
    if not 0 <= s.rollover_hour <= 23:
        out.append(("rollover_hour", "must be an hour from 0 to 23"))
    if not 1 <= s.leech_threshold <= 99:
        out.append(("leech_threshold", "must be between 1 and 99 lapses"))
    if s.leech_action not in LEECH_ACTIONS:
        out.append(("leech_action", "must be 'tag' or 'suspend'"))
    if not all(math.isfinite(p) for p in s.parameters):
        out.append(("parameters", "must all be finite numbers"))
    try:
        Scheduler(parameters=s.parameters)
    except ValueError as exc:
        out.append(("parameters", str(exc).replace("\n", "; ")))
    return out
