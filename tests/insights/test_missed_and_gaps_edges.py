"""Edge cases of the most-missed rubric points: the limit at every boundary, an empty answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import insert

from tests.insights.test_stats import NOW, write_decks
from trainer import Collection, Rating
from trainer.insights.tallies import ensure_tallies
from trainer.insights.weakness import missed_points
from trainer.storage import tallies
from trainer.storage.database import write_transaction


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


def test_every_limit_gives_the_first_points_of_the_whole_ranking(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    """The ranking is read in rounds until the limit's worth of points have text; whatever the
    limit, and with points that have no text (a rubric length the drill lacks) ranked among
    them, the answer is the first rows of the whole list."""
    col = open_collection(db_url)
    folder = write_decks(tmp_path / "decks", {d: [(f"{d}0", ["recall"])] for d in "abcde"})
    for slug in "abcde":
        with (folder / f"{slug}.yaml").open("a") as deck:
            deck.write(
                f"  - id: {slug}-drill\n    kind: drill\n    prompt: Design {slug}.\n    answer: A design.\n"
                "    points: [Prices errors, States latency, Names a baseline, Plans monitoring]\n"
                "    concepts: [recall]\n"
            )
    col.sync_decks([folder], now=NOW)
    for k, slug in enumerate("abcde"):
        for day in range(k + 1):
            col.answer(f"{slug}-drill", Rating.Hard, NOW + timedelta(days=day), points_ticked=[day % 4])
    ensure_tallies(col, NOW)
    with write_transaction(col.engine) as conn:
        conn.execute(
            insert(tallies.rubric_tallies),
            [
                {"learner_id": col.learner_id, "card_id": f"{slug}-drill", "total": 6, "point": point}
                | {"shown": 3, "ticked": 0}
                for slug in "bd"
                for point in range(6)
            ],
        )
    everything = missed_points(col, limit=100)
    assert len(everything) == 19
    assert list(everything["missed"].iloc[:3]) == [4, 4, 4]
    for limit in range(len(everything) + 2):
        pd.testing.assert_frame_equal(missed_points(col, limit=limit), everything.head(limit))
