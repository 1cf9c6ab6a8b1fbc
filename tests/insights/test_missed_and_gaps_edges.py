"""Edge cases of the most-missed rubric points: an empty answer is typed like a full one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from tests.insights.test_stats import NOW, write_decks
from trainer import Collection, Rating
from trainer.insights.weakness import missed_points


def test_missed_points_have_the_same_column_types_whether_or_not_any_is_found(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    """Nothing missed yet, a limit of 0, and a list of missed points give frames with the same
    columns of the same types, so a caller can treat all three alike."""
    col = open_collection(db_url)
    col.sync_decks([write_decks(tmp_path / "decks", {"d": [("d0", ["recall"])]}, drill="d")], now=NOW)
    nothing_missed = missed_points(col)
    col.answer("d-drill", Rating.Hard, NOW, points_ticked=[0, 2])
    col.answer("d-drill", Rating.Good, NOW + timedelta(days=2), points_ticked=[0, 1, 2])
    missed = missed_points(col)
    none_asked = missed_points(col, limit=0)
    assert nothing_missed.empty and none_asked.empty
    assert list(missed["point"]) == ["Plans monitoring", "States latency"]
    assert dict(none_asked.dtypes) == dict(missed.dtypes)
    assert dict(nothing_missed.dtypes) == dict(missed.dtypes)
