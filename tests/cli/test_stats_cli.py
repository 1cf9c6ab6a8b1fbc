"""`trainer stats`, `trainer optimize` and `trainer export csv` through click's runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from fsrs.scheduler import DEFAULT_PARAMETERS

from tests.conftest import assert_clean_error
from tests.insights.test_drill_stats import know_alpha_and_drill_it
from tests.insights.test_optimize import simulated_collection
from tests.insights.test_stats import NOW, graduate, review_days, write_decks
from trainer import Collection
from trainer.cli import cli
from trainer.insights.stats import MIN_EVIDENCE


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def studied(tmp_path: Path, open_collection: Callable[..., Collection]) -> str:
    url = f"sqlite:///{tmp_path / 'trainer.db'}"
    col = open_collection(url)
    decks = {
        "ops": [(f"o{i}", ["recall"]) for i in range(3)],
        "ml": [(f"m{i}", ["recall"]) for i in range(3)],
    }
    col.sync_decks([write_decks(tmp_path / "decks", decks, drill="ops")], now=NOW)
    graduate(col, ["o0", "o1", "m0"], NOW)
    review_days(col, {"o0": [True, False], "o1": [True, True], "m0": [False]}, NOW)
    col.answer("ops-drill", 2, NOW, points_ticked=[1, 3])
    return url


def test_stats_prints_a_table_and_json(runner: CliRunner, studied: str) -> None:
    result = runner.invoke(cli, ["--db", studied, "stats"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if line.startswith("domain"))
    assert "ret 30d" in header and "weak #" in header
    assert any(line.startswith("ops ") for line in lines)
    assert "Weakest domains:" in result.output
    result = runner.invoke(cli, ["--db", studied, "stats", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    by_domain = {d["domain"]: d for d in data["domains"]}
    assert by_domain["ops"]["cards"] == 4
    assert by_domain["ops"]["introduced"] == 3
    assert by_domain["ops"]["lapses"] == 1
    assert by_domain["ml"]["lapses"] == 1
    assert data["readiness"] is None


def test_stats_shows_fact_recall_beside_drill_performance(runner: CliRunner, studied: str) -> None:
    result = runner.invoke(cli, ["--db", studied, "stats"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("Knowing and framing (facts recalled beside drills answered):")
    header, *rows = lines[start + 1 : start + 4]
    assert header.split() == ["domain", "fact", "recall", "drills", "core", "red", "flag", "time/target"]
    by_domain = {row.split()[0]: row.split()[1:] for row in rows}
    # ops: its drill answered once, two of four core points, no red flag, no time kept.
    assert by_domain["ops"][-4:] == ["1", "50%", "0%", "-"]
    assert by_domain["ml"][-4:] == ["0", "-", "-", "-"]
    data = json.loads(runner.invoke(cli, ["--db", studied, "stats", "--json"]).output)
    framing = {row["domain"]: row for row in data["framing"]}
    assert (framing["ops"]["drill_answers"], framing["ops"]["core_coverage"]) == (1, 0.5)
    assert framing["ops"]["red_flag_rate"] == 0.0 and framing["ml"]["core_coverage"] is None
    recall = framing["ops"]["recall_rate"]
    assert by_domain["ops"][:3] == [f"{100 * recall:.0f}%", "of", str(framing["ops"]["recall_reviews"])]
    assert data["drill_habits"] == {"missed": [], "red_flags": []}


def test_stats_names_a_domain_known_but_badly_framed(
    runner: CliRunner, sqlite_url: str, decks_dir: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(sqlite_url)
    col.sync_decks([decks_dir], now=NOW)
    know_alpha_and_drill_it(col, MIN_EVIDENCE, MIN_EVIDENCE, [0])
    col.close()
    result = runner.invoke(cli, ["--db", sqlite_url, "stats"])
    assert result.exit_code == 0, result.output
    line = (
        "Knows the facts, frames the answers badly: alpha (facts 100% recalled, 25% of core points covered)"
    )
    assert line in result.output.splitlines()
    data = json.loads(runner.invoke(cli, ["--db", sqlite_url, "stats", "--json"]).output)
    assert data["framing_gaps"] == [{"domain": "alpha", "recall_rate": 1.0, "core_coverage": 0.25}]


def test_export_csv_writes_every_review(runner: CliRunner, studied: str, tmp_path: Path) -> None:
    out = tmp_path / "reviews.csv"
    result = runner.invoke(cli, ["--db", studied, "export", "csv", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, keep_default_na=False)
    with Collection.open(studied) as col:
        history = col.history()
    assert len(frame) == len(history) == int(result.output.split()[1])
    assert list(frame["card_id"]) == [h.card_id for h in history]
    assert list(frame["rating"]) == [int(h.rating) for h in history]
    assert frame["reviewed_at"].iloc[0] == history[0].reviewed_at.isoformat()
    assert list(frame[frame["card_id"] == "ops-drill"]["points_ticked"]) == ["1;3"]


def test_optimize_refuses_short_history_cleanly(runner: CliRunner, studied: str) -> None:
    result = runner.invoke(cli, ["--db", studied, "optimize"])
    assert_clean_error(result)
    assert "not enough review history" in result.output


def test_optimize_dry_run_reports_and_keeps_parameters(
    runner: CliRunner, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col = simulated_collection(tmp_path, open_collection, cards=600)
    url = str(col.engine.url)
    result = runner.invoke(cli, ["--db", url, "optimize", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "log loss" in result.output and "Dry run" in result.output
    with Collection.open(url) as fresh:
        assert fresh.settings.parameters == tuple(DEFAULT_PARAMETERS)
    result = runner.invoke(cli, ["--db", url, "optimize"])
    assert result.exit_code == 0, result.output
    with Collection.open(url) as fresh:
        assert fresh.settings.parameters != tuple(DEFAULT_PARAMETERS)
