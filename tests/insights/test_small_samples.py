"""Small samples: raw counts are shown as raw, and a weakest domain or a gap is named only past
the stated minimum of evidence, the same on every page."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from tests.conftest import NOW
from tests.web.support import collection_of
from trainer import Rating
from trainer.insights.stats import MIN_EVIDENCE
from trainer.insights.summary import stats_summary, stats_text
from trainer.insights.weakness import gap_attribution


def _few_answers(app: Flask) -> None:
    col = collection_of(app)
    col.answer("a-fact", Rating.Again, NOW)
    col.answer("a-fact", Rating.Again, NOW + timedelta(minutes=2))
    for card_id in ("b-one", "b-two", "b-three", "a-cloze"):
        col.answer(card_id, Rating.Good, NOW)


def test_a_handful_of_answers_names_no_weakest_domain_and_no_gap(app: Flask) -> None:
    _few_answers(app)
    col = collection_of(app)
    moment = NOW + timedelta(minutes=5)
    summary = stats_summary(col, moment)
    assert summary["weakest"] == [] and summary["domain_gaps"] == [] and summary["concept_gaps"] == []
    assert (gap_attribution(col)["gap"] == "").all()
    app.config["CLOCK"].now = moment
    today = app.test_client().get("/").get_data(as_text=True)
    assert f"Not enough reviews yet to name a weakest domain (it takes {MIN_EVIDENCE} answers" in today
    stats = app.test_client().get("/stats").get_data(as_text=True)
    assert f"named only after at least {MIN_EVIDENCE} answers" in stats


def test_no_pair_is_listed_as_weak_on_a_handful_of_answers(app: Flask) -> None:
    _few_answers(app)
    app.config["CLOCK"].now = NOW + timedelta(minutes=5)
    stats = app.test_client().get("/stats").get_data(as_text=True)
    assert 'class="weak-cells"' not in stats
    cells = gap_attribution(collection_of(app))
    failing = cells[cells["failed"] > 0].iloc[0]
    # The raw rate is what the learner's answers say; the shrunk one only feeds the fit.
    assert failing["fail_rate"] == failing["failed"] / failing["reviews"]


def _answer_often(app: Flask, failing: str | None) -> None:
    """Twelve rounds over two cards of each domain: `failing`'s answered Again, the rest Good."""
    col = collection_of(app)
    for round_ in range(12):
        for card_id in ("a-fact", "a-cloze", "b-one", "b-two"):
            rating = Rating.Again if card_id[0] == (failing or "-")[0] else Rating.Good
            col.answer(card_id, rating, NOW + timedelta(hours=round_))


def test_a_domain_recalled_as_well_as_the_rest_is_not_named_weakest(app: Flask) -> None:
    _answer_often(app, failing="beta")
    moment = NOW + timedelta(hours=13)
    app.config["CLOCK"].now = moment
    today = app.test_client().get("/").get_data(as_text=True)
    assert '<strong data-field="weakest">Beta</strong>' in today
    assert "Alpha:" not in today  # ranked too, but at 100% it is no weakest domain
    summary = stats_summary(collection_of(app), moment)
    assert summary["weakest"] == ["beta", "alpha"]
    assert [w["domain"] for w in summary["weakest_evidence"]] == ["beta"]
    assert "Weakest domains: beta (recalled 0 of 22, likely at most" in stats_text(summary)


def test_with_every_domain_recalled_alike_none_stands_out(app: Flask) -> None:
    _answer_often(app, failing=None)
    app.config["CLOCK"].now = NOW + timedelta(hours=13)
    today = app.test_client().get("/").get_data(as_text=True)
    assert "No domain stands out as weak: each may well recall as much as your overall 100%." in today
    assert "Weakest:" not in today and "Not enough reviews yet" not in today
    text = stats_text(stats_summary(collection_of(app), NOW + timedelta(hours=13)))
    assert "Weakest domains: none stands out (each may well recall as much as your overall 100%)" in text
