"""Focus sessions from the first day: the least-seen domains' cards are served, or the page says
exactly why there is nothing; interview mode opens in the final seven days, as documented; the
interview day is called today, and a date gone by is named as passed."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from tests.conftest import NOW
from tests.web.support import collection_of, hidden
from trainer import Collection, Rating


def test_focus_on_day_one_serves_new_cards_of_the_least_seen_domains(col: Collection) -> None:
    first = col.focus_card(NOW)
    assert first is not None and first.memory.reps == 0
    col.answer(first.id, Rating.Good, NOW)
    # With its one card in learning and nothing due, the session goes on with a new card.
    second = col.focus_card(NOW + timedelta(seconds=30))
    assert second is not None and second.memory.reps == 0


def test_focus_with_nothing_left_says_why(app: Flask) -> None:
    col = collection_of(app)
    col.configure(new_per_day=0)
    page = app.test_client().get("/focus/weakest").get_data(as_text=True)
    assert "Nothing is due today in any domain, and no new card is left within today&#39;s limit of 0" in page


def test_focus_page_on_day_one_shows_a_card(app: Flask) -> None:
    page = app.test_client().get("/focus/weakest").get_data(as_text=True)
    assert hidden(page, "card_id") in {"a-fact", "b-one"}


def test_interview_mode_appears_in_the_final_seven_days_only(app: Flask) -> None:
    col = collection_of(app)
    client = app.test_client()
    col.configure(interview_date=(NOW + timedelta(days=21)).date())
    assert "Interview mode" not in client.get("/").get_data(as_text=True)
    assert "Interview mode" not in client.get("/stats").get_data(as_text=True)
    col.configure(interview_date=(NOW + timedelta(days=7)).date())
    assert "Interview mode" in client.get("/").get_data(as_text=True)
    assert "Interview mode" in client.get("/stats").get_data(as_text=True)


def test_on_the_interview_day_and_after_it_the_pages_say_so(app: Flask) -> None:
    col = collection_of(app)
    client = app.test_client()
    col.configure(interview_date=NOW.date())
    today = client.get("/").get_data(as_text=True)
    assert "Your interview is today" in today and "Interview mode" in today
    assert "(today)" in client.get("/stats").get_data(as_text=True)
    col.configure(interview_date=(NOW - timedelta(days=3)).date())
    passed = f"Your interview date, {(NOW - timedelta(days=3)).date().isoformat()}, has passed"
    for page in (client.get("/").get_data(as_text=True), client.get("/stats").get_data(as_text=True)):
        assert passed in page
        assert "Interview mode" not in page and "Interview in" not in page
