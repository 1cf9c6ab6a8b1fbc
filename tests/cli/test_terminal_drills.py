"""The terminal review of drills, driven through a real pseudo-terminal: variant, typed answer,
weighted rubric with its explained suggestion, follow-ups, and the next variant on the next review."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect

from tests.conftest import NOW, REPO_DECKS
from tests.web.test_drills_web import STORY_ON_ITS_OWN_POINTS
from trainer import Collection, Rating
from trainer.model import STORY_POINTS

TIMEOUT = 30


def _trainer(db: str, decks: Path) -> pexpect.spawn:
    args = [
        "-m",
        "trainer.cli",
        "--db",
        db,
        "review",
        "--no-sync",
        "--decks",
        str(decks),
        "--domain",
        "drills",
    ]
    # The width is given as COLUMNS too: importing readline (as pytest does) puts COLUMNS=80 in
    # this process's environment, and the child would wrap its lines to that, not to the pty's.
    env = {**os.environ, "COLUMNS": "200", "LINES": "50"}
    return pexpect.spawn(
        sys.executable, args, encoding="utf-8", timeout=TIMEOUT, dimensions=(50, 200), env=env
    )


def test_a_framing_drill_in_the_terminal(drill_decks_dir: Path, sqlite_url: str) -> None:
    with Collection.open(sqlite_url) as col:
        col.sync_decks([drill_decks_dir], now=NOW)
        for other in ("d-story", "d-design"):
            col.suspend(other)
    child = _trainer(sqlite_url, drill_decks_dir)
    child.expect_exact("framing · version 1 of 3 · aim for 1:00")
    child.expect_exact("Which metric matters more in patient alerts, and why?")
    child.expect_exact("t: type your answer")
    child.send("t")
    child.expect_exact("Your answer:")
    child.sendline("Recall at a bounded alert rate, priced by nurse time.")
    child.expect(r"Answer time: \S*\d+:\d\d\S* \(aim for 1:00\)")
    child.expect_exact("Model answer:")
    child.expect_exact("Core points covered")
    child.sendline("1 2 3 4")
    child.expect_exact("Optional points covered")
    child.sendline("1")
    child.expect_exact("Red flags you made")
    child.sendline("1")
    child.expect_exact("Hard: 4 of 4 core points; 1 of 2 optional points; red flag: Leads with accuracy")
    child.expect_exact("The alert rate doubles overnight. What do you check?")
    child.send(" ")
    child.expect_exact("Drift in the inputs first.")
    child.send("y")
    child.expect_exact("Push-back 2:")
    child.send(" ")
    child.send("n")
    child.expect_exact("enter: accept suggestion")
    child.send("\r")
    # A Hard answer keeps the card in learning; within the learn-ahead window it comes back,
    # now as its next variant, with the typed answer from last time beside the model answer.
    child.expect_exact("framing · version 2 of 3")
    child.expect_exact("The ward has one nurse per 30 beds. Which metric now?")
    child.send(" ")
    child.expect_exact("Your previous answer")
    child.expect_exact("Recall at a bounded alert rate, priced by nurse time.")
    child.expect_exact("Core points covered")
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    with Collection.open(sqlite_url) as col:
        (entry,) = col.history("d-framing")
    assert entry.rating == Rating.Hard and entry.variant == 0
    assert (entry.points_ticked, entry.optional_ticked, entry.flags_raised) == ((0, 1, 2, 3), (0,), (0,))
    assert entry.follow_ups_done == (0,)
    assert entry.typed_answer == "Recall at a bounded alert rate, priced by nurse time."


def test_a_story_drill_in_the_terminal_keeps_the_story(drill_decks_dir: Path, sqlite_url: str) -> None:
    with Collection.open(sqlite_url) as col:
        col.sync_decks([drill_decks_dir], now=NOW)
        for other in ("d-framing", "d-design"):
            col.suspend(other)
    child = _trainer(sqlite_url, drill_decks_dir)
    child.expect_exact("story · aim for 3:00")
    child.send(" ")
    child.expect_exact("(not written yet: press w to write it)")
    child.expect_exact("Example story (not the answer: tell yours):")
    child.send("w")
    child.expect_exact("Your story (enter on an empty line ends it):")
    child.sendline("I owned the routing model; misroutes fell by a third.")
    child.sendline("The lesson: measure the queue, not the model.")
    child.sendline("")
    child.expect_exact("Your story was saved.")
    child.expect_exact("States their own role, not the team's")
    child.expect_exact("Core points covered")
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()
    with Collection.open(sqlite_url) as col:
        assert col.story("d-story") == (
            "I owned the routing model; misroutes fell by a third.\n\n"
            "The lesson: measure the queue, not the model."
        )
        assert col.history() == []


def test_a_written_story_can_be_rewritten_in_the_terminal(drill_decks_dir: Path, sqlite_url: str) -> None:
    with Collection.open(sqlite_url) as col:
        col.sync_decks([drill_decks_dir], now=NOW)
        for other in ("d-framing", "d-design"):
            col.suspend(other)
        col.save_story("d-story", "A first draft.")
    child = _trainer(sqlite_url, drill_decks_dir)
    child.expect_exact("story · aim for 3:00")
    child.send(" ")
    child.expect_exact("A first draft.")
    child.expect_exact("w: rewrite your story now")
    child.send("w")
    child.expect_exact("Your story (enter on an empty line ends it):")
    child.sendline("I led the triage model; alerts per nurse fell from 40 to 12 (ward audit).")
    child.sendline("")
    child.expect_exact("Your story was saved.")
    child.expect_exact("Core points covered")
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()
    with Collection.open(sqlite_url) as col:
        assert (
            col.story("d-story")
            == "I led the triage model; alerts per nurse fell from 40 to 12 (ward audit)."
        )


def test_a_story_drill_on_its_own_points_lists_what_every_story_needs(
    drill_decks_dir: Path, sqlite_url: str
) -> None:
    with (drill_decks_dir / "drills.yaml").open("a") as deck:
        deck.write(STORY_ON_ITS_OWN_POINTS)
    with Collection.open(sqlite_url) as col:
        col.sync_decks([drill_decks_dir], now=NOW)
        for other in ("d-framing", "d-design", "d-story"):
            col.suspend(other)
    child = _trainer(sqlite_url, drill_decks_dir)
    child.expect_exact("Tell me about a project that failed.")
    child.send(" ")
    child.expect_exact("What every story needs:")
    for number, point in enumerate(STORY_POINTS, start=1):
        child.expect_exact(f"{number}. {point}")
    child.expect_exact("Example story (not the answer: tell yours):")
    child.expect_exact("w: write your story now")
    child.send("x")
    child.expect_exact("1. Owns their part")
    child.expect_exact("Core points covered")
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()


def test_a_first_session_in_the_terminal_with_the_bundled_decks_includes_drills(sqlite_url: str) -> None:
    with Collection.open(sqlite_url) as col:
        col.sync_decks([REPO_DECKS], now=NOW)
    args = ["-m", "trainer.cli", "--db", sqlite_url, "review", "--no-sync", "--limit", "20"]
    env = {**os.environ, "COLUMNS": "200", "LINES": "50"}
    child = pexpect.spawn(
        sys.executable, args, encoding="utf-8", timeout=TIMEOUT, dimensions=(50, 200), env=env
    )
    # Each prompt of the session and what a learner who covered nothing would answer to it.
    replies = {
        r"\] (fact|cloze|drill)\b": None,
        "space/enter: show answer": " ",
        r"\((numbers, enter for none)\): ": "\r",
        "answer aloud, then any key": " ",
        "Did you handle it": "n",
        "w: write your story now": "x",
        "1-4: rate": "4",
        r"Answered \d+ card": "",
    }
    patterns = list(replies)
    kinds: list[str] = []
    while True:
        index = child.expect(patterns)
        if index == 0:
            kinds.append(child.match.group(1))
        elif patterns[index] == r"Answered \d+ card":
            break
        else:
            child.send(replies[patterns[index]])
    child.expect(pexpect.EOF)
    child.close()
    assert len(kinds) == 20 and kinds.count("drill") >= 3, kinds
