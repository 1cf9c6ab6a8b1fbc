"""Drills in a collection: the variant each review shows, the marks recorded with an answer and
their validation, suggested ratings, typed answers and the learner's own stories."""

from __future__ import annotations

import csv
import sqlite3
import zipfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW
from trainer import Collection, DrillAnswer, DrillAnswerError, Rating
from trainer.model import STORY_POINTS
from trainer.study.drills import shown_text, story_checklist


def _answer(col: Collection, card_id: str, minutes: int, drill: DrillAnswer | None = None) -> None:
    col.answer(card_id, Rating.Good, now=NOW + timedelta(minutes=minutes), drill=drill)


def test_each_review_shows_another_variant_and_undo_shows_the_same_again(drill_col: Collection) -> None:
    shown = []
    for minute in range(4):
        study = drill_col.card("d-framing")
        shown.append(shown_text(study.card, study.memory.reps).variant)
        _answer(drill_col, "d-framing", minute)
    assert shown == [0, 1, 2, 0]
    drill_col.undo()
    study = drill_col.card("d-framing")
    assert shown_text(study.card, study.memory.reps).variant == 0
    assert study.memory.reps == 3


def test_the_marks_are_recorded_against_the_variant_shown(drill_col: Collection) -> None:
    _answer(drill_col, "d-framing", 0, DrillAnswer.of([0, 2], [1], [0], [1], "  Recall first.  "))
    _answer(drill_col, "d-framing", 1, DrillAnswer.of([1], flags_raised=[0]))
    first, second = drill_col.history("d-framing")
    assert (first.variant, first.points_ticked, first.optional_ticked) == (0, (0, 2), (1,))
    assert (first.flags_raised, first.follow_ups_done, first.typed_answer) == ((0,), (1,), "Recall first.")
    assert (second.variant, second.points_ticked, second.flags_raised) == (1, (1,), (0,))
    assert second.typed_answer is None


@pytest.mark.parametrize(
    ("drill", "card_id", "fields"),
    [
        (DrillAnswer.of([4]), "d-framing", {"points_ticked"}),
        (DrillAnswer.of([0], [2]), "d-framing", {"optional_ticked"}),
        (DrillAnswer.of([0], flags_raised=[0]), "d-design", {"flags_raised"}),
        (DrillAnswer.of([0], follow_ups_done=[2]), "d-framing", {"follow_ups_done"}),
        (DrillAnswer.of(typed_answer="x" * 20_001), "d-framing", {"typed_answer"}),
        (
            DrillAnswer.of([9], [9], [9], typed_answer="x" * 20_001),
            "d-framing",
            {"points_ticked", "optional_ticked", "flags_raised", "typed_answer"},
        ),
        (DrillAnswer.of([0]), "a-fact", {"points_ticked"}),
    ],
)
def test_marks_that_do_not_fit_are_refused_and_nothing_is_recorded(
    drill_col: Collection, drill: DrillAnswer, card_id: str, fields: set[str]
) -> None:
    with pytest.raises(DrillAnswerError) as caught:
        _answer(drill_col, card_id, 0, drill)
    assert {problem.field for problem in caught.value.problems} == fields
    assert drill_col.history() == []
    assert drill_col.card(card_id).memory.reps == 0


def test_a_typed_answer_of_20000_characters_is_kept(drill_col: Collection) -> None:
    _answer(drill_col, "d-framing", 0, DrillAnswer.of(typed_answer="y" * 20_000))
    (entry,) = drill_col.typed_answers("d-framing")
    assert entry.typed_answer == "y" * 20_000


def test_earlier_typed_answers_come_newest_first(drill_col: Collection) -> None:
    _answer(drill_col, "d-framing", 0, DrillAnswer.of(typed_answer="first"))
    _answer(drill_col, "d-framing", 1)
    _answer(drill_col, "d-framing", 2, DrillAnswer.of(typed_answer="third"))
    assert [e.typed_answer for e in drill_col.typed_answers("d-framing")] == ["third", "first"]
    assert [e.variant for e in drill_col.typed_answers("d-framing")] == [2, 0]


def test_the_suggestion_uses_the_variant_shown(drill_col: Collection) -> None:
    base = drill_col.suggest_rating("d-framing", DrillAnswer.of([0, 1, 2, 3], [0]))
    assert base.rating == Rating.Easy
    flagged = drill_col.suggest_rating("d-framing", DrillAnswer.of([0, 1, 2, 3], [0, 1], [0]))
    assert flagged.rating == Rating.Hard and "red flag: Leads with accuracy" in flagged.reasons
    _answer(drill_col, "d-framing", 0)
    # variant 1 has two core points of its own and one red flag
    two = drill_col.suggest_rating("d-framing", DrillAnswer.of([0, 1]))
    assert two.reasons[0] == "2 of 2 core points"
    with pytest.raises(DrillAnswerError):
        drill_col.suggest_rating("d-framing", DrillAnswer.of([0, 1], flags_raised=[1]))
    slow = drill_col.suggest_rating("d-framing", DrillAnswer.of([0, 1], [0]), duration_ms=120_000)
    assert slow.rating == Rating.Good and slow.reasons[-1] == "120 s against a 60 s target"


def test_a_story_is_kept_per_learner(
    db_url: str, drill_decks_dir: Path, open_collection: Callable[..., Collection]
) -> None:
    alice = open_collection(db_url, user="alice")
    alice.sync_decks([drill_decks_dir], now=NOW)
    bob = open_collection(db_url, user="bob")
    assert alice.save_story("d-story", "  I led the routing model.  ", now=NOW) == "I led the routing model."
    assert alice.story("d-story") == "I led the routing model."
    assert bob.story("d-story") is None and bob.stories() == {}
    alice.save_story("d-story", "Edited: result first.", now=NOW)
    assert alice.stories() == {"d-story": "Edited: result first."}
    assert alice.card("d-story").card.points[0] == "States their own role, not the team's"


@pytest.mark.parametrize(
    ("card_id", "text"), [("d-framing", "A story"), ("d-story", "   "), ("d-story", "z" * 20_001)]
)
def test_a_story_must_fit(drill_col: Collection, card_id: str, text: str) -> None:
    with pytest.raises(DrillAnswerError):
        drill_col.save_story(card_id, text, now=NOW)
    assert drill_col.stories() == {}


def test_a_learners_story_and_typed_answers_travel_only_in_their_own_exports(
    sqlite_url: str, drill_decks_dir: Path, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    from exporters.anki_export import export_anki
    from trainer.insights.summary import export_review_log

    alice = open_collection(sqlite_url, user="alice")
    alice.sync_decks([drill_decks_dir], now=NOW)
    bob = open_collection(sqlite_url, user="bob")
    alice.save_story("d-story", "My own routing story.", now=NOW)
    _answer(alice, "d-framing", 0, DrillAnswer.of([0, 1], [1], [0], [1], "Recall, priced."))

    def story_fields(col: Collection, with_progress: bool) -> str:
        out = tmp_path / f"{col.learner_name}-{with_progress}.apkg"
        export_anki(col, out, decks=["drills"], with_progress=with_progress, now=NOW)
        with zipfile.ZipFile(out) as archive:
            (tmp_path / "c.anki2").write_bytes(archive.read("collection.anki2"))
        with closing(sqlite3.connect(tmp_path / "c.anki2")) as conn:
            return " ".join(flds for (flds,) in conn.execute("SELECT flds FROM notes"))

    assert "My own routing story." in story_fields(alice, True)
    assert "My own routing story." not in story_fields(alice, False)
    assert "My own routing story." not in story_fields(bob, True)
    export_review_log(alice, tmp_path / "alice.csv")
    (row,) = list(csv.DictReader((tmp_path / "alice.csv").read_text().splitlines()))
    assert (row["variant"], row["optional_ticked"], row["flags_raised"]) == ("0", "1", "0")
    assert (row["follow_ups_done"], row["typed_answer"], row["points_ticked"]) == (
        "1",
        "Recall, priced.",
        "0;1",
    )


def test_what_every_story_needs_is_listed_only_where_the_story_is_graded_on_other_points(
    drill_col: Collection,
) -> None:
    generic = drill_col.card("d-story").card
    assert generic.points == STORY_POINTS and story_checklist(generic) == ()
    assert story_checklist(
        replace(generic, points=("Owns their part", "Names the mechanism", "States the lesson"))
    ) == (STORY_POINTS)
    assert story_checklist(drill_col.card("d-framing").card) == ()
