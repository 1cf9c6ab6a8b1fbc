"""Anki export of 10,000 cards against raw genanki writing the same notes, in the same run.

    python benchmarks/bench_export.py [N]

Prints both times (best of seven, the two taking turns) and the ratio; the target is at most 1.3.
Also the same for the CPU time this process spent, which a busy machine moves far less.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import genanki
import yaml

from exporters.anki_export import export_anki
from exporters.notetypes import deck_id, deck_name, make_note
from trainer import Collection

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
KINDS = ("fact", "cloze", "drill")


def write_decks(folder: Path, count: int) -> None:
    """A concept file and one deck of `count` cards of every kind, with some Markdown."""
    (folder / "concepts.yaml").write_text(
        yaml.safe_dump({"concepts": [{"id": "class-imbalance", "description": "Rare positives."}]})
    )
    cards = []
    for i in range(count):
        kind = KINDS[i % 3]
        card: dict[str, object] = {"id": f"bench-{i}", "kind": kind, "concepts": ["class-imbalance"]}
        if kind == "cloze":
            card["text"] = f"Card {i}: fraud is often below {{{{c1::0.{i % 10}%}}}} of **transactions**."
        else:
            card["prompt"] = f"Question {i}: why is *accuracy* misleading at 0.1% fraud?"
            card["answer"] = f"**Context.** Case {i}.\n**Constraints.** Latency and `skew`."
        if kind == "drill":
            card["points"] = ["Prices both errors", "States a latency budget", "Plans monitoring"]
        card["tags"] = ["bench", f"group{i % 7}"]
        cards.append(card)
    deck = {"deck": "bench", "title": "Bench", "description": "Benchmark deck.", "cards": cards}
    (folder / "bench.yaml").write_text(yaml.safe_dump(deck, sort_keys=False))


def best_times(runs: int, *actions) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    """The best wall time and the best CPU time of each action over `runs` rounds, the actions
    taking turns in every round.

    Taking turns spreads the machine's noise over both sides of the ratio; the CPU time (this
    process's own) moves far less than the wall time when other work shares the machine.
    """
    best = [(float("inf"), float("inf"))] * len(actions)
    for _ in range(runs):
        for index, action in enumerate(actions):
            wall, cpu = time.perf_counter(), time.process_time()
            action()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[index] = (min(best[index][0], wall), min(best[index][1], cpu))
    return best


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as raw:
        folder = Path(raw)
        write_decks(folder, count)
        col = Collection.open(f"sqlite:///{folder / 'bench.db'}")
        try:
            col.sync_decks([folder], now=NOW)
            cards = col.cards()
            notes = [(s.card.id, make_note(s.card, "Bench")) for s in cards]

            def raw_genanki() -> None:
                # As genanki's own usage (and Anki's reference script) does: GUIDs from guid_for.
                deck = genanki.Deck(deck_id("bench"), deck_name("Bench"))
                for card_id, note in notes:
                    deck.add_note(
                        genanki.Note(
                            model=note.model,
                            fields=note.fields,
                            tags=note.tags,
                            guid=genanki.guid_for(card_id),
                        )
                    )
                genanki.Package(deck).write_to_file(str(folder / "raw.apkg"), timestamp=NOW.timestamp())

            def trainer_export() -> None:
                export_anki(col, folder / "trainer.apkg", now=NOW)

            (raw_time, raw_cpu), (ours, ours_cpu) = best_times(7, raw_genanki, trainer_export)
        finally:
            col.close()
    print(f"raw genanki, {count} notes: {raw_time:.3f} s (CPU {raw_cpu:.3f} s)")
    print(f"trainer export anki, {count} cards: {ours:.3f} s (CPU {ours_cpu:.3f} s)")
    print(f"ratio: {ours / raw_time:.2f} (target <= 1.3); CPU time ratio: {ours_cpu / raw_cpu:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
