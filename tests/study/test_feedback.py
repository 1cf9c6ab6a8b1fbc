"""The words after an answer: the rating and when the card comes back."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.conftest import NOW
from trainer.model import Memory, Rating
from trainer.study.feedback import answer_feedback, spoken_interval


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (20, "under a minute"),
        (60, "1 minute"),
        (600, "10 minutes"),
        (3 * 3600 + 100, "3 hours"),
        (86400, "1 day"),
        (4 * 86400 + 3600, "4 days"),
        (75 * 86400, "2.5 months"),
        (30 * 86400, "1 month"),
        (438 * 86400, "1.2 years"),
    ],
)
def test_intervals_in_words(seconds: float, words: str) -> None:
    assert spoken_interval(seconds) == words


def test_feedback_names_the_rating_and_the_wait() -> None:
    after = replace(Memory(), due=NOW + timedelta(minutes=10))
    assert answer_feedback(Rating.Good, after, NOW) == "Good: back in 10 minutes."
    later = replace(Memory(), due=NOW + timedelta(days=12, hours=3))
    assert answer_feedback(Rating.Easy, later, NOW) == "Easy: back in 12 days."
