"""Browse search over the full-text index against the LIKE scan it replaced, on 10,000 cards.

A new collection (a SQLite file, or the empty database at `--db`, such as a PostgreSQL one)
holds the bundled decks' facts and clozes copied until it has `--cards` cards. Each search asks
for the first page (50 cards) and the count of all matches, as Browse does:
`trainer.decks.browse.search_cards` (the full-text index, every word a prefix, ranked) beside
the same words found with LIKE (every word a substring of the id, prompt, cloze text, answer or
why, in deck order: the old search, made to take words in any order). Median of `--runs` each.

    python benchmarks/bench_search.py [--cards 10000] [--runs 15] [--quick] [--db URL]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, or_, select

from trainer import Collection
from trainer.decks.browse import CardQuery, search_cards
from trainer.model import Queue
from trainer.storage import store
from trainer.storage.database import read_transaction

DECKS = Path(__file__).resolve().parents[1] / "decks"
SEARCHES = ["precision recall", "latency", "class imbalance", "drift monitoring", "calibr", "threshold cost"]
PAGE = 50
_GAP = re.compile(r"\{\{c(\d+)::")


def write_decks(folder: Path, cards: int) -> int:
    """Copies of the bundled facts and clozes (no images) in `folder` until they make at least
    `cards` cards; returns how many cards they make."""
    folder.mkdir(parents=True)
    (folder / "concepts.yaml").write_text((DECKS / "concepts.yaml").read_text())
    decks = [yaml.safe_load(path.read_text()) for path in sorted(DECKS.glob("*.yaml"))]
    decks = [deck for deck in decks if deck and "cards" in deck]
    plain = {
        deck["deck"]: [
            card
            for card in deck["cards"]
            if card["kind"] in ("fact", "cloze") and "![" not in yaml.safe_dump(card) and "image" not in card
        ]
        for deck in decks
    }
    made, copy = 0, 0
    out: dict[str, list[dict[str, Any]]] = {slug: [] for slug in plain}
    while made < cards:
        for slug, originals in plain.items():
            for card in originals:
                out[slug].append({**card, "id": f"{card['id']}-x{copy}"})
                made += len(set(_GAP.findall(card.get("text", "")))) or 1
        copy += 1
    for deck in decks:
        body = {key: deck[key] for key in ("deck", "title", "description")}
        (folder / f"{deck['deck']}.yaml").write_text(yaml.safe_dump({**body, "cards": out[deck["deck"]]}))
    return made


def like_search(col: Collection, text: str) -> tuple[int, int]:
    """The LIKE reference: the first page and the count of cards holding every word anywhere."""
    cards, states = store.cards, store.states
    conditions: list[Any] = [states.c.learner_id == col.learner_id, states.c.queue != int(Queue.RETIRED)]
    for word in text.lower().split():
        pattern = f"%{word}%"
        columns = (cards.c.id, cards.c.prompt, cards.c.answer, cards.c.why, cards.c.text)
        conditions.append(or_(*(func.lower(column).like(pattern) for column in columns)))
    joined = states.join(cards, cards.c.id == states.c.card_id)
    page = (
        select(*store.CARD_COLUMNS, *store.MEMORY_COLUMNS)
        .select_from(joined)
        .where(*conditions)
        .order_by(states.c.deck, states.c.position)
        .limit(PAGE)
    )
    with read_transaction(col.engine) as conn:
        rows = conn.execute(page).all()
        total = conn.execute(select(func.count()).select_from(joined).where(*conditions)).scalar_one()
    return len(rows), int(total)


def _median_ms(call: Any, runs: int) -> float:
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(
    quick: bool = False, cards: int | None = None, runs: int | None = None, db: str | None = None
) -> dict[str, Any]:
    """Time each search both ways on one collection; print and return the medians and ratios."""
    cards = cards or (2_000 if quick else 10_000)
    runs = runs or (5 if quick else 15)
    with tempfile.TemporaryDirectory() as folder:
        made = write_decks(Path(folder) / "decks", cards)
        with Collection.open(db or f"sqlite:///{folder}/trainer.db") as col:
            col.sync_decks([Path(folder) / "decks"])
            if col.engine.dialect.name == "postgresql":
                # As autovacuum soon would: until then the planner guesses without statistics, and
                # both searches take a few hundred ms on a freshly filled database.
                with col.engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE")
            where = col.engine.dialect.name
            print(f"{made} cards on {where}; first page of {PAGE} and the count, median of {runs} runs:")
            trainer: dict[str, float] = {}
            like: dict[str, float] = {}
            for words in SEARCHES:
                found = search_cards(col, CardQuery(text=words), limit=PAGE).total
                _, scanned = like_search(col, words)
                trainer[words] = _median_ms(
                    lambda w=words: search_cards(col, CardQuery(text=w), limit=PAGE), runs
                )
                like[words] = _median_ms(lambda w=words: like_search(col, w), runs)
                print(
                    f"  {words!r:<20} full-text {trainer[words]:7.2f} ms ({found:5d} found)"
                    f"   LIKE {like[words]:7.2f} ms ({scanned:5d} found)"
                    f"   full-text / LIKE {trainer[words] / like[words]:.2f}"
                )
    overall = statistics.median(trainer[w] / like[w] for w in SEARCHES)
    print(f"Median ratio full-text / LIKE over the searches: {overall:.2f}")
    return {
        "cards": made,
        "trainer": {f"{w} ms": round(ms, 2) for w, ms in trainer.items()},
        "like": {f"{w} ms": round(ms, 2) for w, ms in like.items()},
        "median full-text / LIKE": round(overall, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int)
    parser.add_argument("--runs", type=int)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--db", help="an empty database's URL (default: a new SQLite file)")
    args = parser.parse_args()
    main(quick=args.quick, cards=args.cards, runs=args.runs, db=args.db)
