"""Bad input, fuzzed: every failure is a DeckError or SettingsError, and nothing is written."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURE_DECKS, NOW
from tests.test_settings import assert_applied
from trainer import Collection, DeckError, SettingsError
from trainer.decks.deckfile import load_decks
from trainer.settings import Settings

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["fact", "cloze", "drill", "a-fact", "{{c1::gap}}", "class-imbalance", "", " "]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=8,
)
CARD_FIELDS = ["id", "kind", "prompt", "answer", "why", "text", "points", "concepts", "tags", "extra"]
DECK_FIELDS = ["deck", "title", "description", "cards", "extra"]


def _snapshot(col: Collection) -> str:
    """A digest of every row a sync or a settings change could write."""
    digest = hashlib.sha256()
    with col.engine.connect() as conn:
        for table in ("decks", "cards", "card_states", "concepts", "learner_settings", "review_logs"):
            for row in conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1, 2"):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@st.composite
def mutated_deck(draw: st.DrawFn) -> dict[str, Any]:
    """The fixture deck with a few fields replaced, removed or added."""
    deck = yaml.safe_load((FIXTURE_DECKS / "alpha.yaml").read_text())
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if draw(st.booleans()) and deck.get("cards") and isinstance(deck["cards"], list):
            index = draw(st.integers(min_value=0, max_value=len(deck["cards"]) - 1))
            card = deck["cards"][index]
            if not isinstance(card, dict):
                continue
            name = draw(st.sampled_from(CARD_FIELDS))
            if draw(st.booleans()):
                card.pop(name, None)
            else:
                card[name] = draw(values)
            if draw(st.integers(min_value=0, max_value=5)) == 0:
                deck["cards"].append(dict(card))
        else:
            name = draw(st.sampled_from(DECK_FIELDS))
            deck[name] = draw(values)
    return deck


def _sync_changes_nothing_or_succeeds(col: Collection, decks: Path) -> None:
    before = _snapshot(col)
    try:
        col.sync_decks([decks], now=NOW)
    except DeckError as exc:
        assert exc.problems, "a DeckError must name at least one problem"
        assert _snapshot(col) == before, "a failed sync wrote to the database"
    else:
        expected = {card.id: card for deck in load_decks([decks]).decks for card in deck.cards}
        assert {card.id: card for card in col.card_contents()} == expected


@pytest.fixture
def fuzzed(
    sqlite_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> tuple[Collection, Path]:
    """A collection synced from a copy of the test decks, and that copy, for a test to garble."""
    col = open_collection(sqlite_url)
    decks = tmp_path / "fuzzed"
    shutil.copytree(FIXTURE_DECKS, decks)
    col.sync_decks([decks], now=NOW)
    return col, decks


def test_mutated_deck_files_fail_cleanly(fuzzed: tuple[Collection, Path]) -> None:
    col, decks = fuzzed

    @FUZZ
    @given(mutated_deck())
    def check(deck: dict[str, Any]) -> None:
        (decks / "alpha.yaml").write_text(yaml.safe_dump(deck, allow_unicode=True))
        _sync_changes_nothing_or_succeeds(col, decks)

    check()


words = st.text(alphabet="abcdefghij KLMNOP?.,%", min_size=1, max_size=40).filter(lambda t: t.strip() != "")


def test_accepted_edits_are_stored_exactly_as_the_files_say(fuzzed: tuple[Collection, Path]) -> None:
    col, decks = fuzzed

    @FUZZ
    @given(words, words, st.booleans())
    def check(prompt: str, answer: str, drop_cloze: bool) -> None:
        deck = yaml.safe_load((FIXTURE_DECKS / "alpha.yaml").read_text())
        deck["cards"][0]["prompt"], deck["cards"][0]["answer"] = prompt, answer
        if drop_cloze:
            deck["cards"] = [card for card in deck["cards"] if card["id"] != "a-cloze"]
        (decks / "alpha.yaml").write_text(yaml.safe_dump(deck, allow_unicode=True))
        col.sync_decks([decks], now=NOW)
        _sync_changes_nothing_or_succeeds(col, decks)
        assert col.card("a-fact").card.prompt == prompt.strip()

    check()


def test_arbitrary_deck_file_bytes_fail_cleanly(fuzzed: tuple[Collection, Path]) -> None:
    col, decks = fuzzed
    original = (decks / "alpha.yaml").read_bytes()

    @FUZZ
    @given(
        st.one_of(
            st.binary(max_size=300),
            st.text(max_size=300).map(str.encode),
            st.tuples(st.integers(0, len(original)), st.binary(max_size=20)).map(
                lambda cut: original[: cut[0]] + cut[1] + original[cut[0] :]
            ),
        )
    )
    def check(content: bytes) -> None:
        (decks / "alpha.yaml").write_bytes(content)
        _sync_changes_nothing_or_succeeds(col, decks)

    check()


def test_arbitrary_concepts_files_fail_cleanly(fuzzed: tuple[Collection, Path]) -> None:
    col, decks = fuzzed

    @FUZZ
    @given(values)
    def check(content: Any) -> None:
        (decks / "concepts.yaml").write_text(yaml.safe_dump({"concepts": content}))
        _sync_changes_nothing_or_succeeds(col, decks)

    check()


SETTING_NAMES = [*Settings().to_dict(), "unknown_setting"]


def test_arbitrary_settings_fail_cleanly(sqlite_url: str, open_collection: Callable[..., Collection]) -> None:
    col = open_collection(sqlite_url)

    @FUZZ
    @given(st.dictionaries(st.sampled_from(SETTING_NAMES), values, min_size=1, max_size=4))
    def check(changes: dict[str, Any]) -> None:
        before = _snapshot(col)
        current = col.settings
        try:
            updated = col.configure(now=NOW, **changes)
        except SettingsError as exc:
            assert exc.problems
            assert _snapshot(col) == before
            assert col.settings == current
        else:
            assert_applied(changes, updated)
            assert col.settings == updated

    check()


def test_settings_from_arbitrary_dicts_fail_cleanly() -> None:
    @FUZZ
    @given(st.dictionaries(st.text(max_size=20) | st.sampled_from(SETTING_NAMES), values, max_size=6))
    def check(data: dict[str, Any]) -> None:
        try:
            updated = Settings.from_dict(data)
        except SettingsError as exc:
            assert exc.problems
        else:
            assert_applied(data, updated)

    check()
