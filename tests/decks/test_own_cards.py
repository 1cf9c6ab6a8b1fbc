"""Cards written in a front end: added to the learner's own deck file, or edited where they live,
checked by the deck-file rules, synced at once, all or nothing, their history kept."""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import NOW
from tests.insights.test_stats import write_decks
from tests.web.test_sessions import ALICE, BOB
from trainer import CardDraft, CardKind, Collection, Conflict, DeckError, Forbidden, NotFound, Rating
from trainer import collection as collection_module
from trainer.accounts.users import Accounts
from trainer.check import check_database
from trainer.decks import owncards, writer
from trainer.decks.deckfile import load_decks

CLOZE = "Recall is {{c1::TP / (TP + FN)}}; precision is {{c2::TP / (TP + FP)}}."


def own_file(folder: Path) -> Path:
    return folder / "my-cards" / "my-cards.yaml"


def test_each_kind_is_added_to_the_learners_own_deck_file(col: Collection, tmp_path: Path) -> None:
    data = tmp_path / "data"
    fact = col.save_card(
        CardDraft.from_text(
            "fact", prompt="What is AUC?", answer="Ranking quality.", concepts="class-imbalance"
        ),
        folder=data,
        now=NOW,
    )
    cloze = col.save_card(
        CardDraft.from_text("cloze", text=CLOZE, concepts=["class-imbalance"]), folder=data, now=NOW
    )
    drill = col.save_card(
        CardDraft.from_text(
            "drill",
            prompt="Design a fraud model.",
            answer="Costs first.",
            style="framing",
            time_target_s="90",
            points="Prices both errors\nNames a baseline",
            red_flags="Quotes accuracy",
            concepts="cost-asymmetry latency-budget",
            tags="fraud, design",
        ),
        folder=data,
        now=NOW,
    )
    assert fact == ["what-is-auc"]
    assert cloze == ["recall-is-tp-tp-fn-precision", "recall-is-tp-tp-fn-precision-c2"]
    assert [deck.title for deck in col.decks()][-1] == "My cards"
    stored = {card.id: card for card in col.card_contents(decks=["my-cards"])}
    assert set(stored) == {*fact, *cloze, *drill}
    made = stored[drill[0]]
    assert (made.kind, made.style, made.time_target_s) == (CardKind.DRILL, "framing", 90)
    assert made.points == ("Prices both errors", "Names a baseline") and made.red_flags == (
        "Quotes accuracy",
    )
    assert made.tags == ("fraud", "design")
    assert stored[cloze[1]].cloze == 2
    # The file is an ordinary deck file: the validator reads it back to the same cards.
    reread = load_decks([own_file(data), tmp_path / "decks" / "concepts.yaml"])
    assert [card.id for card in reread.cards] == [card.id for card in col.card_contents(decks=["my-cards"])]
    assert col.next_card(now=NOW, domain="my-cards") is not None


def test_editing_keeps_the_cards_id_progress_and_history(col: Collection, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first, second = col.save_card(
        CardDraft.from_text("cloze", text=CLOZE, concepts="class-imbalance"), folder=data, now=NOW
    )
    col.answer(first, Rating.Good, now=NOW)
    col.answer(first, Rating.Good, now=NOW + timedelta(minutes=11))
    before = col.card(first).memory
    history = col.history(first)
    edited = CLOZE.replace("TP / (TP + FN)", "TP over TP plus FN")
    ids = col.save_card(
        CardDraft.from_text("cloze", text=edited, concepts="class-imbalance"),
        second,
        folder=data,
        now=NOW + timedelta(hours=1),
    )
    assert ids == [first, second]
    assert col.card(first).memory == before
    assert col.history(first) == history and len(history) == 2
    assert "TP over TP plus FN" in col.card(first).card.text
    assert "TP over TP plus FN" in own_file(data).read_text()


def test_an_edited_shared_card_keeps_the_rest_of_its_file_as_it_was(col: Collection, tmp_path: Path) -> None:
    alpha = tmp_path / "decks" / "alpha.yaml"
    alpha.write_text("# hand-written notes stay\n" + alpha.read_text())
    original = alpha.read_text()
    col.answer("a-fact", Rating.Good, now=NOW)
    col.save_card(
        CardDraft.from_text(
            "fact", prompt="How rare is fraud, roughly?", answer="yes", concepts="class-imbalance"
        ),
        "a-fact",
        now=NOW,
    )
    changed = [line for line in alpha.read_text().splitlines() if line not in original.splitlines()]
    assert changed == ["    prompt: How rare is fraud, roughly?", '    answer: "yes"']
    assert alpha.read_text().startswith("# hand-written notes stay\n")
    card = col.card("a-fact")
    assert (card.card.answer, card.card.why, card.memory.reps) == ("yes", "", 1)


def test_invalid_input_names_each_field_and_writes_nothing(col: Collection, tmp_path: Path) -> None:
    data = tmp_path / "data"
    cards_before = col.cards()
    draft = CardDraft.from_text(
        "drill", prompt="Design it.", points="one\ntwo", time_target_s="soon", concepts="nope"
    )
    with pytest.raises(DeckError) as refused:
        col.save_card(draft, folder=data, now=NOW)
    told = {problem.field: problem.message for problem in refused.value.problems}
    assert told == {
        "answer": "This is required",
        "points": "A drill needs 3 to 7 points, found 2",
        "time_target_s": "Must be a whole number of seconds",
        "concepts": "Unknown concept 'nope'",
    }
    assert not own_file(data).exists()
    assert col.cards() == cards_before and "my-cards" not in [d.slug for d in col.decks()]
    with pytest.raises(DeckError) as no_gap:
        col.save_card(
            CardDraft.from_text("cloze", text="no gap here", concepts="class-imbalance"), folder=data, now=NOW
        )
    assert [p.field for p in no_gap.value.problems] == ["text"]
    with pytest.raises(DeckError) as kind:
        col.save_card(CardDraft.from_text("cloze", text=CLOZE, concepts="class-imbalance"), "a-fact", now=NOW)
    assert [p.field for p in kind.value.problems] == ["kind"]


def test_a_failed_sync_leaves_the_file_as_it_was(
    col: Collection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    col.save_card(
        CardDraft.from_text("fact", prompt="Kept?", answer="Yes.", concepts="class-imbalance"),
        folder=data,
        now=NOW,
    )
    kept = own_file(data).read_text()
    real = collection_module.write_transaction

    @contextmanager
    def commit_fails(engine: Any) -> Iterator[Any]:
        with real(engine) as conn:
            yield conn
            raise RuntimeError("the commit failed")

    monkeypatch.setattr(collection_module, "write_transaction", commit_fails)
    with pytest.raises(RuntimeError):
        col.save_card(
            CardDraft.from_text("fact", prompt="Lost", answer="No.", concepts="class-imbalance"),
            folder=data,
            now=NOW,
        )
    assert own_file(data).read_text() == kept
    assert [card.prompt for card in col.card_contents(decks=["my-cards"])] == ["Kept?"]
    assert [path.name for path in own_file(data).parent.iterdir()] == ["my-cards.yaml"]


@pytest.mark.parametrize("card_id", [None, "a-fact"], ids=["new", "edit"])
def test_a_deck_file_that_cannot_be_written_changes_nothing(
    col: Collection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, card_id: str | None
) -> None:
    """Own cards go through the one atomic writer deck files and images use."""
    data = tmp_path / "data"
    alpha = tmp_path / "decks" / "alpha.yaml"
    before = alpha.read_text()

    def disk_full(path: Path, _data: str | bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "write_atomically", disk_full)
    draft = CardDraft.from_text("fact", prompt="Unwritten", answer="No.", concepts="class-imbalance")
    with pytest.raises(OSError, match="No space left"):
        col.save_card(draft, card_id, folder=data, now=NOW)
    assert alpha.read_text() == before and not data.exists()
    assert "my-cards" not in [deck.slug for deck in col.decks()]
    assert col.card("a-fact").card.prompt == "How rare is fraud?"


def test_html_in_the_fields_is_shown_as_text(col: Collection, tmp_path: Path) -> None:
    attack = '<script>alert(1)</script><img src=x onerror="alert(2)"> [x](javascript:alert(3))'
    draft = CardDraft.from_text("fact", prompt=attack, answer=attack, why=attack, concepts="class-imbalance")
    shown = Collection.preview_card(draft)
    (card_id,) = col.save_card(draft, folder=tmp_path / "data", now=NOW)
    stored = col.card(card_id).card.html
    assert stored is not None
    for html in (
        shown.sides[0][0],
        shown.sides[0][1],
        shown.why,
        stored["prompt"],
        stored["answer"],
        stored["why"],
    ):
        assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
        assert "&lt;script&gt;" in html


def test_the_preview_shows_each_gap_of_a_cloze() -> None:
    shown = Collection.preview_card(CardDraft.from_text("cloze", text=CLOZE))
    assert len(shown.sides) == 2
    front, back = shown.sides[0]
    assert '<span class="cloze">[...]</span>' in front and "TP / (TP + FN)" in back


@pytest.fixture
def group(col: Collection, open_collection: Callable[..., Collection]) -> dict[str, Collection]:
    accounts = Accounts(col.engine)
    accounts.create("ada", ALICE[1], admin=True, now=NOW)
    accounts.create("bo", BOB[1], now=NOW)
    url = col.engine.url.render_as_string(hide_password=False)
    return {"ada": open_collection(url, "ada"), "bo": open_collection(url, "bo")}


def test_in_a_study_group_only_admins_edit_shared_decks(group: dict[str, Collection], tmp_path: Path) -> None:
    draft = CardDraft.from_text("fact", prompt="Edited", answer="By whom?", concepts="class-imbalance")
    assert not group["bo"].can_edit("a-fact", study_group=True)
    with pytest.raises(Forbidden):
        group["bo"].save_card(draft, "a-fact", study_group=True, now=NOW)
    assert group["bo"].card("a-fact").card.prompt == "How rare is fraud?"
    assert group["ada"].can_edit("a-fact", study_group=True)
    group["ada"].save_card(draft, "a-fact", study_group=True, now=NOW)
    assert group["bo"].card("a-fact").card.prompt == "Edited"


def test_a_learners_own_cards_are_theirs_alone(group: dict[str, Collection], tmp_path: Path) -> None:
    data = tmp_path / "data"
    (mine,) = group["bo"].save_card(
        CardDraft.from_text("fact", prompt="Bo's own", answer="Private.", concepts="class-imbalance"),
        folder=data,
        study_group=True,
        now=NOW,
    )
    assert (data / "my-cards" / f"my-cards-{group['bo'].learner_id}.yaml").exists()
    assert group["bo"].can_edit(mine, study_group=True)
    assert [d.name for d in group["bo"].decks()][-1] == "My cards"
    assert "My cards" not in [d.name for d in group["ada"].decks()]
    with pytest.raises(NotFound):
        group["ada"].card(mine)
    with pytest.raises(NotFound):
        group["ada"].save_card(
            CardDraft.from_text("fact", prompt="x", answer="y"), mine, study_group=True, now=NOW
        )
    assert mine not in {card.id for card in group["ada"].cards()}
    # A learner who joins later gets the shared cards and none of Bo's.
    late = Collection(group["ada"].engine, *_new_learner(group["ada"], "cy"))
    assert mine not in {card.id for card in late.cards()} and "a-fact" in {card.id for card in late.cards()}
    assert check_database(late.engine).ok


def _shared_deck_named(slug: str, decks_dir: Path) -> None:
    (decks_dir / "imported.yaml").write_text(
        f"deck: {slug}\ntitle: Imported\ndescription: From Anki.\ncards:\n  - id: shared-one\n"
        "    kind: fact\n    prompt: Shared?\n    answer: Yes.\n    concepts: [class-imbalance]\n"
    )


def test_a_shared_deck_named_like_a_learners_own_deck_takes_nothing_of_theirs(
    group: dict[str, Collection], tmp_path: Path, decks_dir: Path
) -> None:
    """Own decks are `my-cards-<id>`; a shared deck file given that slug (an import named so)
    must neither take over Bo's deck nor receive Bo's private cards."""
    data, bo = tmp_path / "data", group["bo"]
    slug = f"my-cards-{bo.learner_id}"
    draft = CardDraft.from_text("fact", prompt="Bo's own", answer="Private.", concepts="class-imbalance")
    _shared_deck_named(slug, decks_dir)
    group["ada"].sync_decks([decks_dir], now=NOW)
    with pytest.raises(DeckError, match="a shared deck is named"):
        bo.save_card(draft, folder=data, study_group=True, now=NOW)
    assert "Bo's own" not in (decks_dir / "imported.yaml").read_text()
    assert "shared-one" in {card.id for card in group["ada"].cards()} and not data.exists()


def test_a_sync_cannot_give_a_learners_own_deck_to_a_shared_file(
    group: dict[str, Collection], tmp_path: Path, decks_dir: Path
) -> None:
    data, bo = tmp_path / "data", group["bo"]
    draft = CardDraft.from_text("fact", prompt="Bo's own", answer="Private.", concepts="class-imbalance")
    (mine,) = bo.save_card(draft, folder=data, study_group=True, now=NOW)
    _shared_deck_named(f"my-cards-{bo.learner_id}", decks_dir)
    with pytest.raises(DeckError, match="is a learner's own deck"):
        group["ada"].sync_decks([decks_dir], now=NOW)
    assert bo.card(mine).card.prompt == "Bo's own" and "shared-one" not in {c.id for c in bo.cards()}
    (decks_dir / "imported.yaml").unlink()
    report = group["ada"].sync_decks([decks_dir, data / "my-cards"], now=NOW)  # its own file syncs as ever
    assert report.retired == 0 and bo.card(mine).card.prompt == "Bo's own"


def test_a_shared_card_cannot_take_the_id_of_a_learners_own_card(
    group: dict[str, Collection], tmp_path: Path, decks_dir: Path
) -> None:
    """Bo's own card took an id first; a shared card given it later must not turn into Bo's card
    (its content replaced for Bo, never shown to anyone else): the sync names the id instead."""
    data, bo = tmp_path / "data", group["bo"]
    draft = CardDraft.from_text("fact", prompt="New shared", answer="Bo's.", concepts="class-imbalance")
    (mine,) = bo.save_card(draft, folder=data, study_group=True, now=NOW)
    (decks_dir / "extra.yaml").write_text(
        f"deck: extra\ntitle: Extra\ndescription: More.\ncards:\n  - id: {mine}\n    kind: fact\n"
        "    prompt: The admin's card\n    answer: Yes.\n    concepts: [class-imbalance]\n"
    )
    with pytest.raises(DeckError) as refused:
        group["ada"].sync_decks([decks_dir], now=NOW)
    assert f"card {mine!r}: the id is taken" in str(refused.value.problems[0])
    assert (
        bo.card(mine).card.deck == f"my-cards-{bo.learner_id}" and bo.card(mine).card.prompt == "New shared"
    )


def _own_cards_with_history(col: Collection, data: Path) -> tuple[list[str], list[Any]]:
    fact = CardDraft.from_text("fact", prompt="Written before?", answer="Yes.", concepts="class-imbalance")
    ids = col.save_card(fact, folder=data, now=NOW)
    ids += col.save_card(
        CardDraft.from_text("cloze", text=CLOZE, concepts="class-imbalance"), folder=data, now=NOW
    )
    col.answer(ids[1], Rating.Good, now=NOW)
    return ids, col.history(ids[1])


def _add_later_and_check(col: Collection, data: Path, ids: list[str], history: list[Any]) -> None:
    later = CardDraft.from_text("fact", prompt="Written later?", answer="No.", concepts="class-imbalance")
    (new,) = col.save_card(later, folder=data, now=NOW + timedelta(minutes=5))
    assert [card.id for card in col.card_contents(decks=["my-cards"])] == [*ids, new]
    assert col.history(ids[1]) == history and len(history) == 1
    assert col.card(ids[2]).card.text == CLOZE
    # The file written afresh is an ordinary deck file that reads back to the same cards.
    reread = load_decks([own_file(data), data.parent / "decks" / "concepts.yaml"])
    assert [card.id for card in reread.cards] == [*ids, new]
    assert col.next_card(now=NOW + timedelta(days=30), domain="my-cards") is not None


def test_a_lost_own_deck_file_is_written_again_from_the_collection(col: Collection, tmp_path: Path) -> None:
    """The own deck file gone (deleted, or the data folder not moved with the database): the next
    save writes the file afresh from the cards the collection holds, keeping every one."""
    data = tmp_path / "data"
    ids, history = _own_cards_with_history(col, data)
    own_file(data).unlink()
    _add_later_and_check(col, data, ids, history)


def test_own_cards_survive_a_backup_restored_without_the_data_folder(
    sqlite_url: str, decks_dir: Path, open_collection: Callable[..., Collection], tmp_path: Path
) -> None:
    from trainer.storage.backup import backup_engine, restore, sqlite_file

    col = open_collection(sqlite_url)
    col.sync_decks([decks_dir], now=NOW)
    ids, history = _own_cards_with_history(col, tmp_path / "data")
    database = sqlite_file(col.engine)
    assert database is not None
    saved = backup_engine(col.engine, now=NOW)
    col.close()
    shutil.rmtree(tmp_path / "data")
    database.unlink()
    restore(database, saved, now=NOW)
    _add_later_and_check(open_collection(sqlite_url), tmp_path / "elsewhere", ids, history)


def test_a_shared_deck_file_that_is_missing_is_not_written_afresh(col: Collection, tmp_path: Path) -> None:
    """A shared deck's file is the learner's or the admin's to put back: an edit written to a new
    file would hold that card alone and retire every other card of the deck."""
    (tmp_path / "decks" / "alpha.yaml").unlink()
    draft = replace(col.card_draft("a-fact"), answer="Changed.")
    with pytest.raises(Conflict, match="is missing while"):
        col.save_card(draft, "a-fact", folder=tmp_path / "data", now=NOW)
    assert not (tmp_path / "decks" / "alpha.yaml").exists()


def _new_learner(col: Collection, name: str) -> tuple[int, str]:
    account = Accounts(col.engine).create(name, ALICE[1] + "!", now=NOW)
    return account.id, account.name


def test_an_edit_changes_only_the_lines_of_the_fields_changed(col: Collection, tmp_path: Path) -> None:
    alpha = tmp_path / "decks" / "alpha.yaml"
    original = alpha.read_text().splitlines()
    draft = replace(col.card_draft("a-drill"), prompt="Design fraud detection, again.")
    assert (draft.style, draft.time_target_s) == ("design", "240")  # shown, though the file names neither
    col.save_card(draft, "a-drill", now=NOW)
    edited = alpha.read_text().splitlines()
    assert [line for line in edited if line not in original] == ["    prompt: Design fraud detection, again."]
    assert [line for line in original if line not in edited] == ["    prompt: Design fraud detection."]
    assert col.card("a-drill").card.points == col.card_draft("a-drill").points


NOT_TEXT_TO_YAML = ["yes", "no", "on", "null", "1.5", "0x1f", "~", "2026-03-02", "word"]
TYPED = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff")
    | st.sampled_from("\n:#-'\"{}[]&*!|>%@`"),
    min_size=1,
    max_size=80,
).filter(lambda text: text.strip() != "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=TYPED, answer=TYPED, tag=st.sampled_from(NOT_TEXT_TO_YAML))
def test_any_text_typed_is_stored_as_typed(
    sqlite_col: Collection, prompt: str, answer: str, tag: str
) -> None:
    """Text the deck reader would take for something else (`yes`, `1.5`, `- x`, `#`) is quoted."""
    draft = CardDraft.from_text("fact", prompt=prompt, answer=answer, concepts="class-imbalance", tags=tag)
    sqlite_col.save_card(draft, "a-fact", now=NOW)
    card = sqlite_col.card("a-fact").card
    assert (card.prompt, card.answer, card.tags) == (prompt.strip(), answer.strip(), (tag,))


@pytest.mark.parametrize("earlier", [0, 1], ids=["first-cards", "later-cards"])
def test_two_saves_at_once_keep_both_cards_in_the_file(
    db_url: str,
    col: Collection,
    tmp_path: Path,
    open_collection: Callable[..., Collection],
    monkeypatch: Any,
    earlier: int,
) -> None:
    """Two saves to one deck file (two tabs, two workers) each read the file, add their entry and
    write it: the second must read the file the first wrote, or the first card leaves the file
    while the database still holds it (and the next save or sync retires it)."""
    data = tmp_path / "data"
    for _ in range(earlier):
        draft = CardDraft.from_text("fact", prompt="Earlier?", answer="Yes.", concepts="class-imbalance")
        col.save_card(draft, folder=data, now=NOW)
    both_read = threading.Barrier(2)
    real_load = owncards.load_deck

    def load_after_the_other_read(*args: Any, **kwargs: Any) -> Any:
        # Where saves run one at a time, the first waits here alone, then goes on.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait(timeout=2)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(owncards, "load_deck", load_after_the_other_read)
    others = [col, open_collection(db_url)]
    failures: list[BaseException] = []

    def save(which: int) -> None:
        draft = CardDraft.from_text("fact", prompt=f"Card {which}?", answer="Yes.", concepts="cost-asymmetry")
        try:
            others[which].save_card(draft, folder=data, now=NOW)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=save, args=(which,)) for which in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    in_file = sorted(entry["id"] for entry in yaml.safe_load(own_file(data).read_text())["cards"])
    in_database = sorted(card.id for card in col.card_contents(decks=["my-cards"]))
    assert in_file == in_database == sorted(["card-0", "card-1", *["earlier"] * earlier])


def test_own_decks_are_listed_after_the_shared_decks_synced_before_or_after_them(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(db_url)
    col.sync_decks([write_decks(tmp_path / "first", {"alpha": [("a-1", ["recall"])]})], now=NOW)
    draft = CardDraft.from_text("fact", prompt="What is AUC?", answer="Ranking.", concepts="recall")
    col.save_card(draft, folder=tmp_path / "data", now=NOW)
    # A folder synced on its own numbers its decks from the first place, so its second deck
    # takes the place the own deck took after "alpha".
    second = {"beta": [("b-1", ["recall"])], "zeta": [("z-1", ["recall"])]}
    col.sync_decks([write_decks(tmp_path / "second", second)], now=NOW)
    expected = ["alpha", "beta", "zeta", "my-cards"]
    assert [deck.slug for deck in col.decks()] == expected
    assert [deck.slug for deck in open_collection(db_url).decks()] == expected
    with pytest.raises(NotFound, match="the decks are: alpha, beta, zeta, my-cards"):
        col.next_card(now=NOW, domain="no-such-deck")
