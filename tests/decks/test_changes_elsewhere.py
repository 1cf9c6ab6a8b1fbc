"""A change of decks made through one collection (another worker process of the server, the
terminal) is studied at once through every other collection open on the same database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import NOW
from tests.web.test_sessions import ALICE, BOB
from trainer import CardDraft, Collection, Rating
from trainer.accounts.users import Accounts

OWN = CardDraft.from_text("fact", prompt="Written elsewhere?", answer="Yes.", concepts="class-imbalance")
GAMMA = """deck: gamma
title: Gamma
description: A deck synced after the server started.
cards:
  - id: g-one
    kind: fact
    prompt: A gamma question?
    answer: A gamma answer.
    concepts: [class-imbalance]
"""


def _url(col: Collection) -> str:
    return col.engine.url.render_as_string(hide_password=False)


def test_a_card_added_elsewhere_is_served_here(
    col: Collection, open_collection: Callable[..., Collection], tmp_path: Path
) -> None:
    here = open_collection(_url(col))
    assert "my-cards" not in here.due_counts(now=NOW)  # the deck list is read and kept
    (added,) = col.save_card(OWN, folder=tmp_path / "data", now=NOW)
    study = here.next_card(now=NOW, domain="my-cards")
    assert study is not None and study.id == added
    assert here.due_counts(now=NOW)["my-cards"].new == 1


def test_answers_here_rotate_into_a_deck_made_elsewhere(
    col: Collection, open_collection: Callable[..., Collection], tmp_path: Path
) -> None:
    here = open_collection(_url(col))
    study = here.next_card(now=NOW)
    assert study is not None and study.card.deck == "alpha"
    (added,) = col.save_card(OWN, folder=tmp_path / "data", now=NOW)
    _, following = here.answer_and_next(study.id, Rating.Good, now=NOW, domain="my-cards")
    assert following is not None and following.id == added
    served = []
    while following is not None and len(served) < 10:
        served.append(following.id)
        _, following = here.answer_and_next(following.id, Rating.Easy, now=NOW)
    assert added in served


def test_a_shared_deck_synced_elsewhere_is_counted_and_served_here(
    col: Collection, open_collection: Callable[..., Collection], decks_dir: Path
) -> None:
    here = open_collection(_url(col))
    before = here.today_counts(now=NOW).new
    (decks_dir / "gamma.yaml").write_text(GAMMA)
    col.sync_decks([decks_dir], now=NOW)
    assert here.today_counts(now=NOW).new == before + 1
    assert list(here.due_counts(now=NOW)) == ["alpha", "beta", "gamma"]
    study = here.next_card(now=NOW, domain="gamma")
    assert study is not None and study.id == "g-one"


def test_a_learners_own_deck_made_elsewhere_reaches_only_their_collections(
    col: Collection, open_collection: Callable[..., Collection], tmp_path: Path
) -> None:
    accounts = Accounts(col.engine)
    accounts.create("ada", ALICE[1], now=NOW)
    accounts.create("bo", BOB[1], now=NOW)
    url = _url(col)
    bo_here, bo_there, ada = (open_collection(url, name) for name in ("bo", "bo", "ada"))
    for opened in (bo_here, bo_there, ada):
        assert list(opened.due_counts(now=NOW)) == ["alpha", "beta"]
    (added,) = bo_there.save_card(OWN, folder=tmp_path / "data", study_group=True, now=NOW)
    own = f"my-cards-{bo_here.learner_id}"
    assert list(bo_here.due_counts(now=NOW)) == ["alpha", "beta", own]
    study = bo_here.next_card(now=NOW, domain=own)
    assert study is not None and study.id == added
    assert list(ada.due_counts(now=NOW)) == ["alpha", "beta"]
