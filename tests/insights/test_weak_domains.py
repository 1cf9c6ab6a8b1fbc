"""A domain whose cards keep failing ranks weakest, whether they fail in learning or in review,
and its new cards are not starved by its own learning cards."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from tests.conftest import NOW
from trainer import Collection, Rating
from trainer.insights.stats import weakest_domains

DOMAINS = ("ops", "risk", "web")


def write_domain_decks(folder: Path, cards_per_domain: int = 12) -> Path:
    """A deck folder with one deck of `cards_per_domain` fact cards for each of DOMAINS."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "concepts.yaml").write_text("concepts:\n  - id: basics\n    description: The basics.\n")
    for slug in DOMAINS:
        lines = [f"deck: {slug}", f"title: {slug.title()}", "cards:"]
        for i in range(cards_per_domain):
            lines += [
                f"  - id: {slug}-{i}",
                "    kind: fact",
                f"    prompt: {slug} question {i}?",
                f"    answer: Answer {i}.",
                "    concepts: [basics]",
            ]
        (folder / f"{slug}.yaml").write_text("\n".join(lines) + "\n")
    return folder


def _study(col: Collection, days: int, failing: str, per_day: int = 60) -> Counter[str]:
    """Answer what the queue serves each day: `failing`'s cards Again, the rest Good; returns
    how many new cards of each domain were introduced."""
    introduced: Counter[str] = Counter()
    for day in range(days):
        moment = NOW + timedelta(days=day)
        for _ in range(per_day):
            card = col.next_card(moment)
            if card is None:
                break
            if card.memory.reps == 0:
                introduced[card.card.deck] += 1
            col.answer(card.id, Rating.Again if card.card.deck == failing else Rating.Good, moment)
            moment += timedelta(seconds=15)
    return introduced


def test_domain_failing_in_learning_ranks_weakest_with_its_uncertainty(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(db_url)
    col.sync_decks([write_domain_decks(tmp_path / "decks")], now=NOW)
    col.configure(new_per_day=6, enable_fuzzing=False)
    _study(col, days=14, failing="risk")
    report = col.domain_stats(NOW + timedelta(days=14))
    risk = report.set_index("domain").loc["risk"]
    assert risk["weak_rank"] == 1
    assert weakest_domains(report)[0] == "risk"
    # Its recall and its uncertainty are there to show: every answer to a seen card failed.
    assert risk["recall_30d"] == 0.0
    assert risk["recall_answers_30d"] > 20
    assert 0.0 <= risk["retention_estimate"] < risk["retention_ceiling"] < 0.5


def test_a_failing_domain_still_gets_its_share_of_new_cards(
    db_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    col = open_collection(db_url)
    col.sync_decks([write_domain_decks(tmp_path / "decks")], now=NOW)
    col.configure(new_per_day=9, enable_fuzzing=False)
    introduced = _study(col, days=2, failing="risk")
    # Its learning cards come back every minute, but new cards still take turns by domain.
    counts = [introduced[slug] for slug in DOMAINS]
    assert max(counts) - min(counts) <= 1 and sum(counts) >= 9, introduced


def test_today_and_stats_show_the_failing_domain_with_its_evidence(
    sqlite_url: str, tmp_path: Path, open_collection: Callable[..., Collection]
) -> None:
    from tests.web.support import Clock, web_app
    from trainer.insights.summary import stats_summary, stats_text

    decks = write_domain_decks(tmp_path / "decks")
    col = open_collection(sqlite_url)
    col.sync_decks([decks], now=NOW)
    col.configure(new_per_day=6, enable_fuzzing=False)
    _study(col, days=3, failing="risk")
    later = NOW + timedelta(days=3)
    with web_app(sqlite_url, decks, tmp_path / "data", Clock(later)) as app:
        page = app.test_client().get("/").get_data(as_text=True)
    assert '<strong data-field="weakest">Risk' in page
    assert "Risk: recalled 0 of" in page and "likely at most" in page
    text = stats_text(stats_summary(col, later))
    assert "Weakest domains: risk (recalled 0 of" in text, text
