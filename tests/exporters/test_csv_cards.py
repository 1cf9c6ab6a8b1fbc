"""CSV cards: export and import round trips (Hypothesis for field contents) and bad files."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporters.csv_cards import COLUMNS, CsvProblems, card_row, export_cards_csv, import_cards_csv
from tests.conftest import FIXTURE_DECKS, NOW
from trainer import Collection
from trainer.cli import cli
from trainer.decks.deckfile import load_decks
from trainer.model import Card, CardKind

CONTENT_FIELDS = ("kind", "prompt", "answer", "why", "text", "points", "concepts", "tags")
CONCEPTS = ("class-imbalance", "cost-asymmetry", "latency-budget")


def same_content(a: Card, b: Card) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in CONTENT_FIELDS)


def test_export_then_import_gives_the_same_cards(
    tmp_path: Path, decks_dir: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(f"sqlite:///{tmp_path / 'csv.db'}")
    col.sync_decks([decks_dir], now=NOW)
    out = tmp_path / "cards.csv"
    assert export_cards_csv(col, out, decks=["alpha"]) == 3
    assert list(pd.read_csv(out).columns) == list(COLUMNS)
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy(FIXTURE_DECKS / "concepts.yaml", target)

    report = import_cards_csv(out, "alpha-copy", target)

    original = {c.id: c for c in load_decks([FIXTURE_DECKS]).cards}
    imported = load_decks([target]).cards
    assert report.cards == len(imported) == 3
    assert all(same_content(card, original[card.id]) for card in imported)


text = (
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"), min_size=1, max_size=60
    )
    .map(str.strip)
    .filter(bool)
)
word = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)


@st.composite
def cards(draw: st.DrawFn) -> list[Card]:
    count = draw(st.integers(1, 6))
    out = []
    for index in range(count):
        kind = draw(st.sampled_from(list(CardKind)))
        points: tuple[str, ...] = ()
        if kind == CardKind.DRILL:
            points = tuple(draw(st.lists(text.filter(lambda s: "|" not in s), min_size=3, max_size=7)))
        gap_text = f"{draw(text)} {{{{c1::{draw(text.filter(lambda s: '}' not in s and ':' not in s))}}}}}"
        out.append(
            Card(
                id=f"card-{index}",
                deck="gen",
                kind=kind,
                prompt=draw(text) if kind != CardKind.CLOZE else "",
                answer=draw(text) if kind != CardKind.CLOZE else "",
                why=draw(st.one_of(st.just(""), text)),
                text=gap_text if kind == CardKind.CLOZE else "",
                points=points,
                concepts=tuple(
                    draw(st.lists(st.sampled_from(CONCEPTS), min_size=1, max_size=3, unique=True))
                ),
                tags=tuple(draw(st.lists(word, max_size=3, unique=True))),
            )
        )
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cards())
def test_csv_round_trip_keeps_any_field_contents(generated: list[Card]) -> None:
    with tempfile.TemporaryDirectory() as raw:
        folder = Path(raw)
        shutil.copy(FIXTURE_DECKS / "concepts.yaml", folder)
        source = folder / "in.csv"
        pd.DataFrame([card_row(c) for c in generated], columns=list(COLUMNS)).to_csv(source, index=False)

        import_cards_csv(source, "gen", folder)

        back = load_decks([folder]).cards
        assert [c.id for c in back] == [c.id for c in generated]
        for got, want in zip(back, generated, strict=True):
            assert same_content(got, want), (got, want)


def write_csv(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


HEADER = "id,kind,prompt,answer,why,text,points,concepts,tags\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("id,kind,prompt\nx,fact,Q\n", "missing column `answer`"),
        (
            HEADER + "ok-one,fact,Q,A,,,,class-imbalance,\nBad Id,fact,Q,A,,,,class-imbalance,\n",
            ":3: id 'Bad Id'",
        ),
        (HEADER + "c-1,cloze,,,,no gap here,,latency-budget,\n", ":2: a cloze needs"),
        (
            HEADER
            + "c-0,cloze,,,,{{c1::fine}},,latency-budget,\nc-1,cloze,,,,{{c1::a {{c2::b}},,latency-budget,\n",
            ":3: gap '{{c1::a {{c2::b}}'... is never closed",
        ),
        (
            HEADER + 'd-1,drill,"Multi\nline",A,,,one | two,cost-asymmetry,\nd-2,poem,Q,A,,,,x,\n',
            ":4: unknown kind",
        ),
        (HEADER + "f-1,fact,Q,A,,,,no-such-concept,\n", ":2: unknown concept 'no-such-concept'"),
        (
            HEADER + "f-1,fact,Q,A,,,,class-imbalance,\nf-1,fact,Q,A,,,,class-imbalance,\n",
            "duplicate id 'f-1'",
        ),
        (HEADER + "f-1,fact,,A,,,,class-imbalance,\n", "needs `prompt`"),
    ],
)
def test_bad_csv_names_the_line_and_writes_nothing(tmp_path: Path, body: str, expected: str) -> None:
    folder = tmp_path / "decks"
    folder.mkdir()
    shutil.copy(FIXTURE_DECKS / "concepts.yaml", folder)
    source = write_csv(tmp_path / "bad.csv", body)

    with pytest.raises(CsvProblems) as caught:
        import_cards_csv(source, "bad", folder)

    assert expected in str(caught.value)
    assert sorted(p.name for p in folder.iterdir()) == ["concepts.yaml"]


def test_drill_points_count_is_checked_on_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "decks"
    folder.mkdir()
    shutil.copy(FIXTURE_DECKS / "concepts.yaml", folder)
    source = write_csv(tmp_path / "d.csv", HEADER + "d-1,drill,Q,A,,,one | two,cost-asymmetry,\n")
    with pytest.raises(CsvProblems, match=r"d.csv:2: a drill needs 3 to 7 points, found 2"):
        import_cards_csv(source, "d", folder)


def test_cli_csv_commands(tmp_path: Path, decks_dir: Path) -> None:
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(cli, ["--db", db, "sync", str(decks_dir)]).exit_code == 0
    out = tmp_path / "all.csv"
    result = runner.invoke(cli, ["--db", db, "export", "cards", str(out)])
    assert result.exit_code == 0 and "Wrote 6 cards" in result.output
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy(FIXTURE_DECKS / "concepts.yaml", target)
    args = ["import", "csv", str(out), "--deck", "mixed", "--decks-dir", str(target)]
    assert runner.invoke(cli, args).exit_code == 0
    again = runner.invoke(cli, args)
    assert again.exit_code == 1 and "already exists" in again.output
    for command in (["export", "anki"], ["export", "cards"], ["import", "anki"], ["import", "csv"]):
        help_text = runner.invoke(cli, [*command, "--help"]).output
        assert "Example:" in help_text, command
    csv_help = " ".join(runner.invoke(cli, ["import", "csv", "--help"]).output.split())
    assert 'points (separated by " | ")' in csv_help and "concepts and tags" in csv_help
