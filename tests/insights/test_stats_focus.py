"""Focus sessions: the weakest domains' due cards first, then their lowest-retrievability cards;
in the final days before an interview, the cards predicted below target on the date."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.insights.test_stats import ranked  # noqa: F401  (fixture)
from trainer import Collection, Rating
from trainer.errors import TrainerError
from trainer.insights.focus import focus_domains, focus_queue
from trainer.insights.readiness import bring_forward, interview_moment


def test_weakest_session_serves_weak_domains_due_cards_then_low_recall(ranked: Collection) -> None:  # noqa: F811
    start = ranked.end + timedelta(days=2)  # type: ignore[attr-defined]
    # Every weak card and the tiny one are due now. Answering four weak cards differently takes
    # them out of the due part with four different retrievabilities; the rest stay due.
    for minutes, (card_id, rating) in enumerate(
        [("w2", Rating.Good), ("w0", Rating.Easy), ("w3", Rating.Hard), ("w1", Rating.Good)]
    ):
        ranked.answer(card_id, rating, now=start + timedelta(minutes=30 * minutes))
    now = start + timedelta(hours=3)
    assert focus_domains(ranked, now) == ["weak", "tiny"]
    queue = focus_queue(ranked, now)
    assert queue and all(card_id[0] in "wt" for card_id in queue)
    cards = {c.id: c.memory for c in ranked.cards()}
    day_end = ranked.day(now).end
    due = [c for c in queue if cards[c].due is not None and cards[c].due < day_end]
    assert queue[: len(due)] == due
    assert [c[0] for c in due] == ["w"] * 6 + ["t"], due
    assert [cards[c].due for c in due[:6]] == sorted(cards[c].due for c in due[:6])
    rest = queue[len(due) :]
    assert sorted(rest) == ["w0", "w1", "w2", "w3"]
    recall = [ranked.retrievability(c, now) for c in rest]
    assert recall == sorted(recall) and len(set(recall)) == len(recall), recall
    first = ranked.focus_card(now)
    assert first is not None and first.id == queue[0]


def test_interview_session_serves_cards_below_target_on_the_date(ranked: Collection) -> None:  # noqa: F811
    now = ranked.end  # type: ignore[attr-defined]
    date = (now + timedelta(days=4)).date()
    ranked.configure(interview_date=date)
    moment = interview_moment(ranked, date)
    queue = focus_queue(ranked, now, mode="interview")
    recall = [ranked.retrievability(c, moment) for c in queue]
    assert queue and max(recall) < 0.9
    assert queue == bring_forward(ranked, now, target=0.9)
    studied = [c.id for c in ranked.cards() if c.memory.last_review]
    below = {c for c in studied if ranked.retrievability(c, moment) < 0.9}
    assert set(queue) == below
    card = ranked.focus_card(now, mode="interview")
    assert card is not None and card.id == queue[0]
    ranked.answer(card.id, Rating.Good, now)
    assert ranked.retrievability(card.id, moment) > recall[0]
    with pytest.raises(TrainerError, match="focus mode"):
        focus_queue(ranked, now, mode="random")
