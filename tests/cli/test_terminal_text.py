"""The terminal review wraps card text between words at the terminal's width and shows Markdown
emphasis as terminal styles."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import FIXTURE_DECKS
from trainer.cli import cli

ANSWER = (
    "Judge the model on **precision and recall** at the operating threshold, weighted by the"
    " *cost* of each error; `accuracy` is meaningless at this skew."
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _deck(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    shutil.copy(FIXTURE_DECKS / "concepts.yaml", folder / "concepts.yaml")
    (folder / "one.yaml").write_text(
        "deck: one\ntitle: One\ncards:\n  - id: one-fact\n    kind: fact\n"
        "    prompt: How do you judge a fraud model when positives are under 0.1 percent of traffic?\n"
        f"    answer: {ANSWER}\n    concepts: [class-imbalance]\n"
    )
    return folder


def test_review_wraps_between_words_and_shows_emphasis(tmp_path: Path) -> None:
    decks = _deck(tmp_path)
    result = CliRunner().invoke(
        cli,
        ["--db", f"sqlite:///{tmp_path / 't.db'}", "review", "--decks", str(decks)],
        input=" q",
        env={"COLUMNS": "32"},
        color=True,
    )
    assert result.exit_code == 0, result.output
    assert "\x1b[1mprecision and" in result.output and "recall\x1b[0m" in result.output
    assert "\x1b[3mcost\x1b[0m" in result.output
    plain = ANSI.sub("", result.output).splitlines()
    start = next(i for i, line in enumerate(plain) if line.startswith("Judge the model"))
    block = plain[start : start + 8]
    answer_lines = block[: next(i for i, line in enumerate(block) if line.endswith("skew.")) + 1]
    assert len(answer_lines) > 3 and all(len(line) <= 32 for line in answer_lines)
    plain_answer = re.sub(r"\*\*|\*|`", "", ANSWER)
    assert " ".join(answer_lines) == plain_answer  # every break is between words
    question = next(line for line in plain if line.startswith("How do you judge"))
    assert len(question) <= 32


WHY = "Accuracy rewards a model that never flags anything, because nearly every transaction is fine."
POINT = "Prices both kinds of error in money before choosing any operating threshold"


def test_labelled_lines_wrap_within_the_width_too(tmp_path: Path) -> None:
    decks = _deck(tmp_path)
    card = (decks / "one.yaml").read_text()
    drill = (
        "  - id: one-drill\n    kind: drill\n    prompt: Design a fraud model.\n"
        "    answer: Price the errors.\n"
        f"    points:\n      - {POINT}\n      - Names a baseline\n      - Plans monitoring\n"
        "    concepts: [class-imbalance]\n"
    )
    (decks / "one.yaml").write_text(card + f"    why: {WHY}\n" + drill)
    result = CliRunner().invoke(
        cli,
        ["--db", f"sqlite:///{tmp_path / 't.db'}", "review", "--decks", str(decks)],
        input=" 3" + " " + "q\n",
        env={"COLUMNS": "32"},
        color=True,
    )
    assert result.exit_code == 0, result.output
    plain = ANSI.sub("", result.output).splitlines()
    why = next(i for i, line in enumerate(plain) if line.startswith("Why: "))
    why_lines = plain[why : next(i for i in range(why, len(plain)) if plain[i].endswith("fine.")) + 1]
    assert all(len(line) <= 32 for line in why_lines), why_lines
    assert " ".join(why_lines) == f"Why: {WHY}"
    point = next(i for i, line in enumerate(plain) if line.startswith("  1. Prices"))
    end = next(i for i in range(point, len(plain)) if plain[i].endswith("threshold"))
    point_lines = plain[point : end + 1]
    assert all(len(line) <= 32 for line in point_lines), point_lines
    assert all(line.startswith("     ") for line in point_lines[1:])  # a hanging indent under the text
    assert " ".join(line.strip() for line in point_lines) == f"1. {POINT}"
