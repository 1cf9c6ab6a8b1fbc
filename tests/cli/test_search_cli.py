"""`trainer search` through click's runner: the Browse search in the terminal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import NOW
from trainer import Collection
from trainer.cli import cli


def _ids(output: str) -> list[str]:
    return [
        line.split()[0] for line in output.splitlines() if line and not line.startswith(" ") and "(" in line
    ]


def test_search_finds_words_in_any_order_with_filters(
    sqlite_url: str, decks_dir: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(sqlite_url)
    col.sync_decks([decks_dir], now=NOW)
    col.suspend("b-two")
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", sqlite_url, "search", "milliseconds", "scoring"])
    assert result.exit_code == 0, result.output
    assert _ids(result.output) == ["a-cloze"] and "within [tens of milliseconds]" in result.output
    assert result.output.rstrip().endswith("1 card found.")
    result = runner.invoke(cli, ["--db", sqlite_url, "search", "question", "beta", "--no-suspended"])
    assert _ids(result.output) == ["b-one"], result.output
    result = runner.invoke(cli, ["--db", sqlite_url, "search", "--suspended", "--kind", "FACT"])
    assert _ids(result.output) == ["b-two"] and "suspended" in result.output
    result = runner.invoke(cli, ["--db", sqlite_url, "search", "--limit", "1", "--", '"NEAR(', "-x"])
    assert result.exit_code == 0 and "0 cards found." in result.output, result.output
    result = runner.invoke(cli, ["--db", sqlite_url, "search", "--limit", "2"])
    assert (
        _ids(result.output) == ["a-fact", "a-cloze"]
        and "6 cards found, showing the first 2." in result.output
    )
