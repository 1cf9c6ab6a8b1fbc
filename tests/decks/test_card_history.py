"""Learners' progress is kept across deck editions: a bundled card is edited in place, and
leaves the decks only when merged into another card, recorded with the card that replaced it.

tests/decks/card_history.yaml lists every entry id the bundled decks have shipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from trainer.decks.deckfile import load_decks
from trainer.storage.paths import bundled_decks

HISTORY = Path(__file__).with_name("card_history.yaml")


@pytest.fixture(scope="module")
def history() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(HISTORY.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def bundled_ids() -> set[str]:
    return {card.note_id for card in load_decks([bundled_decks()]).cards}


def test_no_shipped_card_disappears_unrecorded(history: dict[str, Any], bundled_ids: set[str]) -> None:
    missing = sorted(set(history["live"]) - bundled_ids)
    assert not missing, f"cards gone from the decks without a merge recorded in {HISTORY.name}: {missing}"


def test_retired_cards_stay_out_and_name_a_live_replacement(
    history: dict[str, Any], bundled_ids: set[str]
) -> None:
    retired: dict[str, str] = history["retired"]
    back = sorted(set(retired) & bundled_ids)
    assert not back, f"retired ids reused or brought back: {back}"
    dangling = {old: new for old, new in retired.items() if new not in bundled_ids}
    assert not dangling, f"retired cards whose replacement is not in the decks: {dangling}"
    assert not set(retired) & set(history["live"]), "an id is both live and retired"


def test_every_card_is_recorded(history: dict[str, Any], bundled_ids: set[str]) -> None:
    unrecorded = sorted(bundled_ids - set(history["live"]))
    assert not unrecorded, f"add the ids of new cards to `live` in {HISTORY.name}: {unrecorded}"
