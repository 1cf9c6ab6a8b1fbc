"""The learner's day: their time zone and a rollover hour (4 a.m. by default, as in Anki)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def require_utc(now: datetime | None) -> datetime:
    """`now` converted to UTC, or the current time if None.

    Raises ValueError for a naive datetime: every time the trainer handles is timezone-aware.
    """
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return now.astimezone(UTC)


def learner_day(now: datetime, zone: ZoneInfo, rollover_hour: int) -> date:
    """The date of the learner's day containing `now`; a day starts at `rollover_hour` local."""
    local = now.astimezone(zone)
    return (local - timedelta(hours=rollover_hour)).date()


def day_bounds(now: datetime, zone: ZoneInfo, rollover_hour: int) -> tuple[datetime, datetime]:
    """The UTC start and end of the learner's day containing `now`."""
    return day_bounds_of(learner_day(now, zone, rollover_hour), zone, rollover_hour)


def day_bounds_of(day: date, zone: ZoneInfo, rollover_hour: int) -> tuple[datetime, datetime]:
    """The UTC start and end of the learner's `day`."""
    start = datetime.combine(day, time(rollover_hour), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(rollover_hour), tzinfo=zone).astimezone(UTC)
    return start, end
