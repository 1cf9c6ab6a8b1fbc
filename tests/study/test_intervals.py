"""How an interval is shown on a rating button, at each unit's edges."""

from __future__ import annotations

import pytest

from trainer.study.scheduling import format_interval

DAY = 86400

CASES = [
    (-5, "0s"),
    (0, "0s"),
    (0.4, "0s"),
    (44.6, "45s"),
    (59.4, "59s"),
    (60, "1m"),
    (89, "1m"),
    (91, "2m"),
    (3599, "60m"),
    (3600, "1h"),
    (5 * 3600 + 1799, "5h"),
    (3 * 3600 + 1800, "4h"),
    (DAY - 1, "24h"),
    (DAY, "1d"),
    (29.4 * DAY, "29d"),
    (30 * DAY, "1.0mo"),
    (75 * DAY, "2.5mo"),
    (364 * DAY, "12.1mo"),
    (365 * DAY, "1.0y"),
    (438 * DAY, "1.2y"),
    (36500 * DAY, "100.0y"),
]


@pytest.mark.parametrize(("seconds", "shown"), CASES)
def test_format_interval(seconds: float, shown: str) -> None:
    assert format_interval(seconds) == shown
