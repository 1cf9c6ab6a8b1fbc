"""Migration 0007: a cloze card made before one card per cloze number keeps its progress on the
card of its lowest number, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import NOW
from trainer import Collection
from trainer.check import check_database
from trainer.storage.database import make_engine, migrate

GAMMA = """\
deck: gamma
title: Gamma
cards:
  - id: g-first
    kind: cloze
    text: "{{c1::Precision}} and {{c2::recall}}."
    concepts: [class-imbalance]
  - id: g-late
    kind: cloze
    text: Only {{c3::three}} and {{c2::two}}.
    concepts: [class-imbalance]
"""


def _old_rows(engine: sa.Engine) -> None:
    """Two cloze cards and their learner's progress as revision 0005 stored them."""
    naive = NOW.replace(tzinfo=None)
    with engine.begin() as conn:
        table = {
            name: sa.Table(name, sa.MetaData(), autoload_with=conn)
            for name in ("learners", "decks", "cards", "card_states", "review_logs")
        }
        conn.execute(
            sa.insert(table["learners"]).values(
                id=1, name="local", created_at=naive, is_active=True, is_admin=False
            )
        )
        conn.execute(
            sa.insert(table["decks"]).values(slug="gamma", title="Gamma", description="", path="", position=0)
        )
        for position, (card_id, text) in enumerate(
            [
                ("g-first", "{{c1::Precision}} and {{c2::recall}}."),
                ("g-late", "Only {{c3::three}} and {{c2::two}}."),
            ]
        ):
            conn.execute(
                sa.insert(table["cards"]).values(
                    id=card_id,
                    deck="gamma",
                    kind="cloze",
                    prompt="",
                    answer="",
                    why="",
                    text=text,
                    points=[],
                    concepts=["class-imbalance"],
                    tags=[],
                    rendered=None,
                    content_hash="old",
                    position=position,
                    retired=False,
                    updated_at=naive,
                )
            )
            due = naive + timedelta(days=3)
            conn.execute(
                sa.insert(table["card_states"]).values(
                    learner_id=1,
                    card_id=card_id,
                    deck="gamma",
                    position=position,
                    queue=2,
                    state=2,
                    step=None,
                    stability=3.2,
                    difficulty=5.1,
                    due=due,
                    last_review=naive,
                    reps=1,
                    lapses=0,
                    suspended=False,
                    buried_until=None,
                    leech=False,
                )
            )
            after = {
                "state": 2,
                "stability": 3.2,
                "difficulty": 5.1,
                "due": due.isoformat() + "+00:00",
                "last_review": NOW.isoformat(),
                "reps": 1,
            }
            conn.execute(
                sa.insert(table["review_logs"]).values(
                    learner_id=1,
                    card_id=card_id,
                    rating=3,
                    reviewed_at=naive,
                    duration_ms=1000,
                    state_before=0,
                    state_after=2,
                    before={"state": 0},
                    after=after,
                )
            )


def test_the_present_card_becomes_its_lowest_numbers_card(db_url: str, decks_dir: Path) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine, "0005")
        _old_rows(engine)
        migrate(engine)
    finally:
        engine.dispose()
    (decks_dir / "gamma.yaml").write_text(GAMMA)
    with Collection.open(db_url) as col:
        # Before any sync: the renamed card carries its state and its history.
        assert col.card("g-late-c2").memory.reps == 1
        assert [e.card_id for e in col.history()] == ["g-first", "g-late-c2"]
        report = col.sync_decks([decks_dir], now=NOW + timedelta(days=1))
        assert report.added >= 2  # g-first-c2, g-late-c3 (and the fixture decks' cards)
        studied = {s.id: s.memory.reps for s in col.cards(decks=["gamma"])}
        assert studied == {"g-first": 1, "g-first-c2": 0, "g-late-c2": 1, "g-late-c3": 0}
        assert col.card("g-first").card.cloze == 1 and col.card("g-late-c2").card.note_id == "g-late"
        assert "[...]" in col.card("g-late-c2").card.html["front"]  # type: ignore[index]
        assert "three" in col.card("g-late-c2").card.html["front"]  # type: ignore[index]
        # The hand-made states above are no replay of their log; every other check must pass.
        assert [p.kind for p in check_database(col.engine).problems] == ["replay", "replay"]
