"""The fast statistics give exactly what the plain row-by-row versions give.

The references below read the whole review log (every column, the `before` memories parsed by
the JSON type) and loop over it in Python: obviously right, and slow at scale. The history is
varied on purpose: three domains, cards with one or two concepts, drills whose ticks vary, a
drill whose rubric later shrinks (its earlier answers no longer count), a retired card, undos,
answers on many days in a time zone far from UTC.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert, select

from tests.conftest import NOW
from trainer import Collection, Rating
from trainer.clock import learner_day
from trainer.insights import charts, forecast
from trainer.insights.calibration import BIN_EDGES, calibration_report
from trainer.insights.summary import export_review_log
from trainer.insights.tallies import ensure_tallies
from trainer.insights.weakness import missed_points
from trainer.model import CardState
from trainer.storage import store, tallies
from trainer.storage.database import read_transaction, write_transaction
from trainer.storage.drill_tallies import COUNTED

DOMAINS = {"ds": ["stats", "metrics"], "ml": ["metrics", "models"], "sys": ["latency", "models"]}
POINTS = ["Prices errors", "States latency", "Names a baseline", "Plans monitoring"]


def _write_decks(folder: Path, *, shrink: str | None = None, drop: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    vocabulary = sorted({c for concepts in DOMAINS.values() for c in concepts})
    (folder / "concepts.yaml").write_text(
        "concepts:\n" + "".join(f"  - id: {c}\n    description: {c}.\n" for c in vocabulary)
    )
    for slug, concepts in DOMAINS.items():
        lines = [f"deck: {slug}", f"title: {slug.upper()}", "cards:"]
        for i in range(6):
            card_id = f"{slug}-fact-{i}"
            if card_id == drop:
                continue
            tags = concepts if i % 3 == 0 else concepts[i % 2 : i % 2 + 1]
            lines += [
                f"  - id: {card_id}",
                "    kind: fact",
                f"    prompt: Question {i}?",
                f"    answer: Answer {i}.",
                f"    concepts: [{', '.join(tags)}]",
            ]
        for i in range(2):
            card_id = f"{slug}-drill-{i}"
            points = POINTS[:3] if card_id == shrink else POINTS
            lines += [
                f"  - id: {card_id}",
                "    kind: drill",
                "    prompt: Design it.",
                "    answer: A design.",
                f"    points: [{', '.join(points)}]",
                f"    concepts: [{concepts[i]}]",
            ]
        (folder / f"{slug}.yaml").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture
def history(db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]) -> Collection:
    """Forty days of answers with a seeded mix of ratings, ticks and undos, tallied as they
    are given (the tallies are built before the first answer)."""
    col = open_collection(db_url)
    col.sync_decks([_write_decks(tmp_path / "decks")], now=NOW - timedelta(days=41))
    col.configure(
        new_per_day=6, reviews_per_day=500, timezone="Pacific/Auckland", rollover_hour=3, enable_fuzzing=False
    )
    ensure_tallies(col, NOW - timedelta(days=41))
    rng = random.Random(11)
    moment = NOW - timedelta(days=40)
    for day in range(40):
        moment = NOW - timedelta(days=40 - day, hours=rng.randint(0, 20))
        for _ in range(rng.randint(4, 12)):
            card = col.next_card(now=moment)
            if card is None:
                break
            rating = rng.choice([Rating.Again, Rating.Hard, Rating.Good, Rating.Good, Rating.Easy])
            points = card.card.points
            ticks = [i for i in range(len(points)) if rng.random() < 0.6] if points else None
            col.answer(card.id, rating, now=moment, duration_ms=rng.randint(1000, 9000), points_ticked=ticks)
            if rng.random() < 0.05:
                col.undo()
            moment += timedelta(seconds=rng.randint(5, 900), microseconds=rng.choice([0, 250_000]))
        if day == 25:
            # ml-drill-0 is answered under its four-point rubric and again under the three-point
            # one it shrinks to, whatever order the queue served the cards in.
            col.answer("ml-drill-0", Rating.Hard, now=moment, points_ticked=[0, 3])
            folder = _write_decks(tmp_path / "decks", shrink="ml-drill-0", drop="sys-fact-1")
            col.sync_decks([folder], now=moment)
            col.answer("ml-drill-0", Rating.Good, now=moment + timedelta(minutes=1), points_ticked=[1])
    return col


def _log_rows(col: Collection) -> list[Any]:
    logs, cards = store.logs, store.cards
    query = (
        select(logs, cards.c.deck)
        .join(cards, cards.c.id == logs.c.card_id)
        .where(logs.c.learner_id == col.learner_id)
        .order_by(logs.c.id)
    )
    with read_transaction(col.engine) as conn:
        return list(conn.execute(query).all())


def reference_calibration(col: Collection) -> pd.DataFrame:
    records = []
    for row in _log_rows(col):
        before = row.before or {}
        if row.state_before == int(CardState.NEW) or before.get("stability") is None:
            continue
        if before.get("last_review") is None:
            continue
        elapsed = (row.reviewed_at - pd.Timestamp(before["last_review"])).total_seconds() / 86400
        records.append((row.deck, float(before["stability"]), elapsed, row.rating != int(Rating.Again)))
    frame = pd.DataFrame(records, columns=["domain", "stability", "elapsed", "recalled"])
    frame["predicted"] = forecast.retrievability(
        frame["stability"].to_numpy(), frame["elapsed"].to_numpy(), col.settings.parameters
    )
    index = np.clip(np.digitize(frame["predicted"], BIN_EDGES[1:-1]), 0, len(BIN_EDGES) - 2)
    frame["bin_low"], frame["bin_high"] = BIN_EDGES[index], BIN_EDGES[index + 1]
    grouped = frame.groupby(["domain", "bin_low", "bin_high"], as_index=False).agg(
        reviews=("recalled", "size"), predicted=("predicted", "mean"), actual=("recalled", "mean")
    )
    grouped["gap"] = grouped["actual"] - grouped["predicted"]
    return grouped


def reference_missed_points(col: Collection, limit: int) -> pd.DataFrame:
    with read_transaction(col.engine) as conn:
        points = {
            r.id: list(r.points or []) for r in conn.execute(select(store.cards.c.id, store.cards.c.points))
        }
    shown: dict[tuple[str, str], int] = {}
    ticked: dict[tuple[str, int], int] = {}
    for row in _log_rows(col):
        if row.points_total is None or len(points[row.card_id]) != row.points_total:
            continue
        shown[(row.card_id, row.deck)] = shown.get((row.card_id, row.deck), 0) + 1
        for index in set(row.points_ticked or []):
            ticked[(row.card_id, index)] = ticked.get((row.card_id, index), 0) + 1
    records = [
        (card_id, deck, text, index, count, count - ticked.get((card_id, index), 0))
        for (card_id, deck), count in sorted(shown.items())
        for index, text in enumerate(points[card_id])
    ]
    frame = pd.DataFrame(records, columns=["card_id", "domain", "point", "index", "shown", "missed"])
    frame["miss_rate"] = frame["missed"] / frame["shown"]
    frame = frame[frame["missed"] > 0].sort_values(["missed", "miss_rate"], ascending=False)
    return frame.head(limit).reset_index(drop=True)


def reference_csv(col: Collection) -> str:
    lines = [
        "number,card_id,domain,rating,rating_name,reviewed_at,duration_ms,state_before,state_after,"
        "points_ticked,points_total,variant,optional_ticked,flags_raised,follow_ups_done,typed_answer"
    ]
    for number, row in enumerate(_log_rows(col), start=1):
        ticks = ";".join(map(str, row.points_ticked)) if row.points_ticked is not None else ""
        fields = [
            number,
            row.card_id,
            row.deck,
            row.rating,
            Rating(row.rating).name,
            row.reviewed_at.isoformat(),
            "" if row.duration_ms is None else row.duration_ms,
            row.state_before,
            row.state_after,
            ticks,
            "" if row.points_total is None else row.points_total,
            "" if row.variant is None else row.variant,
            *(
                ";".join(map(str, value or []))
                for value in (row.optional_ticked, row.flags_raised, row.follow_ups_done)
            ),
            row.typed_answer or "",
        ]
        lines.append(",".join(str(f) for f in fields))
    return "\n".join(lines) + "\n"


def reference_heatmap_grid(col: Collection, weeks: int = 52) -> np.ndarray:
    settings = col.settings
    today = learner_day(NOW, settings.zone, settings.rollover_hour)
    first = today - timedelta(days=7 * weeks - 1 + today.weekday())
    counts: dict[Any, int] = {}
    for row in _log_rows(col):
        if row.reviewed_at >= NOW - timedelta(days=7 * weeks + 7):
            day = (row.reviewed_at.astimezone(settings.zone) - timedelta(hours=settings.rollover_hour)).date()
            counts[day] = counts.get(day, 0) + 1
    grid = np.full((7, weeks + 1), np.nan)
    for offset in range((today - first).days + 1):
        day = first + timedelta(days=offset)
        grid[day.weekday(), offset // 7] = counts.get(day, 0)
    return grid


def test_calibration_matches_the_row_by_row_reference(history: Collection) -> None:
    expected = reference_calibration(history)
    assert expected["reviews"].sum() > 100
    got = calibration_report(history)
    pd.testing.assert_frame_equal(got, expected[got.columns], check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("limit", [1, 3, 7])
def test_the_most_missed_points_are_the_references_first_ones(history: Collection, limit: int) -> None:
    expected = reference_missed_points(history, limit=limit)
    assert len(expected) == limit
    pd.testing.assert_frame_equal(missed_points(history, limit=limit), expected, check_dtype=False)


def test_points_of_a_rubric_length_the_drill_lacks_are_passed_over_however_many(history: Collection) -> None:
    """Tallies of a six-point rubric the drill never had, missed most of all, come first in the
    ranking: the cards' rubrics are read further down until the limit's worth have text."""
    ensure_tallies(history, NOW)
    with write_transaction(history.engine) as conn:
        conn.execute(
            insert(tallies.rubric_tallies),
            [
                {"learner_id": history.learner_id, "card_id": "ds-drill-0", "total": 6, "point": point}
                | {"shown": 500, "ticked": 0}
                for point in range(6)
            ],
        )
    for limit in (1, 3, 7):
        expected = reference_missed_points(history, limit=limit)
        pd.testing.assert_frame_equal(missed_points(history, limit=limit), expected, check_dtype=False)


def test_missed_points_match_the_reference_and_skip_answers_to_an_older_rubric(history: Collection) -> None:
    expected = reference_missed_points(history, limit=50)
    got = missed_points(history, limit=50)
    assert len(got) > 5
    assert "ml-drill-0" in set(got["card_id"])
    assert (got[got["card_id"] == "ml-drill-0"]["index"] < 3).all()
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_review_log_csv_is_byte_for_byte_the_reference(history: Collection, tmp_path: Path) -> None:
    out = tmp_path / "log.csv"
    rows = export_review_log(history, out)
    assert rows == len(_log_rows(history)) > 200
    assert out.read_text() == reference_csv(history)
    assert ".250000+00:00" in out.read_text()


def calendar_grid(col: Collection) -> np.ndarray:
    """The calendar chart's reviews per day laid out as `reference_heatmap_grid` lays them."""
    chart = charts.review_calendar(col, NOW)
    assert chart.spec is not None
    values = chart.spec["data"]["values"]
    first = date.fromisoformat(values[0]["day"])
    grid = np.full((7, 53), np.nan)
    for cell in values:
        day = date.fromisoformat(cell["day"])
        grid[day.weekday(), (day - first).days // 7] = cell["reviews"]
    return grid


def test_calendar_heatmap_counts_each_learner_day(history: Collection) -> None:
    expected = reference_heatmap_grid(history)
    assert np.nansum(expected) > 200
    np.testing.assert_array_equal(calendar_grid(history), expected)


def reference_window_counts(col: Collection) -> pd.DataFrame:
    with read_transaction(col.engine) as conn:
        decks = dict(
            conn.execute(
                select(store.states.c.card_id, store.states.c.deck).where(
                    store.states.c.learner_id == col.learner_id
                )
            ).all()
        )
    settings = col.settings
    first = learner_day(NOW, settings.zone, settings.rollover_hour) - timedelta(days=29)
    counts: dict[str, list[float]] = {}
    for row in _log_rows(col):
        if learner_day(row.reviewed_at, settings.zone, settings.rollover_hour) < first:
            continue
        cell = counts.setdefault(decks[row.card_id], [0, 0, 0, 0])
        if row.state_before == int(CardState.REVIEW):
            cell[0] += 1
            cell[1] += row.rating != int(Rating.Again)
        if row.points_total is not None:
            cell[2] += len(row.points_ticked or [])
            cell[3] += row.points_total
    return pd.DataFrame(
        [(deck, *cell) for deck, cell in sorted(counts.items())],
        columns=["domain", "graded", "passed", "ticked", "possible"],
    ).set_index("domain")


def test_domain_report_window_counts_the_last_thirty_learner_days(history: Collection) -> None:
    expected = reference_window_counts(history)
    assert expected["graded"].sum() > 20 and expected["possible"].sum() > 0
    report = history.domain_stats(NOW).set_index("domain")
    assert report["reviews_30d"].to_dict() == expected["graded"].to_dict()
    retention = (expected["passed"] / expected["graded"]).to_dict()
    assert report["retention_30d"].to_dict() == pytest.approx(retention)
    coverage = (expected["ticked"] / expected["possible"]).to_dict()
    assert report["rubric_coverage"].to_dict() == pytest.approx(coverage)


def _tally_rows(col: Collection) -> dict[str, list[tuple[Any, ...]]]:
    """Each tally table's rows that count at least one answer, floats rounded."""
    tables = {}
    with read_transaction(col.engine) as conn:
        for table in tallies.TABLES:
            first = table.c[COUNTED.get(table.name, "shown" if "shown" in table.c else "reviews")]
            query = select(table).where(table.c.learner_id == col.learner_id, first != 0)
            tables[table.name] = sorted(
                tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in conn.execute(query)
            )
    return tables


def test_tallies_kept_by_answers_and_undos_equal_a_rebuild_from_the_log(history: Collection) -> None:
    kept = _tally_rows(history)
    assert sum(row[3] for row in kept["deck_days"]) == len(_log_rows(history))
    with history.engine.begin() as conn:
        conn.execute(tallies.tally_bases.delete())
    ensure_tallies(history, NOW)
    rebuilt = _tally_rows(history)
    for name, rows in kept.items():
        assert rows == rebuilt[name], name


def test_a_new_time_zone_rebuilds_the_tallies_on_its_days(history: Collection) -> None:
    before = calendar_grid(history)
    history.configure(timezone="America/Los_Angeles", now=NOW)
    after = calendar_grid(history)
    assert not np.array_equal(after, before, equal_nan=True)
    np.testing.assert_array_equal(after, reference_heatmap_grid(history))
    report = history.domain_stats(NOW).set_index("domain")
    assert report["reviews_30d"].to_dict() == reference_window_counts(history)["graded"].to_dict()
