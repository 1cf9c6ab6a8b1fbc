"""The process the journal kill tests kill: an import into a deck folder, or the recovery of one,
that stops at an aimed point, says so by writing a marker file and waits there to be killed.

    python -m tests.exporters.import_child DATABASE_URL DECKS_DIR AIM MARKER

The aims (`AIMS`) are points inside the window a crash must not split: after the first deck file
replaced its target, after every file is in place, inside the database transaction once the
import's id is recorded, after the commit before the journal is closed; and inside a recovery,
midway through a roll back and before a finished journal is removed. The `files-` aims stop the
same import written without a database (`write_decks` alone): after every file is in place, and
once its journal is marked done.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trainer.decks.atomic
import trainer.decks.writer
import trainer.storage.imports
from tests.conftest import NOW
from trainer import Collection
from trainer.decks.writer import DeckDraft, write_decks
from trainer.model import Card, CardKind

IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
REVIEWS = [("own-recall", 3, NOW, 4000), ("new-image", 1, NOW, 9000), ("new-image", 3, NOW, 7000)]
SUSPENDED = ["new-plain"]


def _fact(card_id: str, deck: str, prompt: str, answer: str) -> Card:
    return Card(
        id=card_id, deck=deck, kind=CardKind.FACT, prompt=prompt, answer=answer, concepts=("problem-framing",)
    )


DRAFTS = [
    DeckDraft(
        "own",
        "Own",
        "Imported over the hand-written deck.",
        (
            _fact("own-precision", "own", "What is precision?", "TP / (TP + FP), imported."),
            _fact("own-recall", "own", "What is recall?", "TP / (TP + FN)"),
        ),
    ),
    DeckDraft(
        "new",
        "New",
        "A deck the import adds.",
        (
            _fact("new-image", "new", "What does ![the chart](media/chart.png) show?", "A ROC curve."),
            _fact("new-plain", "new", "What is AUC?", "The area under the ROC curve."),
        ),
    ),
]


def run_import(col: Collection, decks: Path) -> None:
    """The import every kill interrupts: `own.yaml` replaced, `new.yaml` and an image added,
    answers replayed and a card suspended."""
    col.import_decks(
        decks,
        DRAFTS,
        media={"chart.png": IMAGE},
        reviews=REVIEWS,
        suspended=SUSPENDED,
        replace=True,
        now=NOW,
    )


def _stop(marker: Path) -> None:
    marker.write_text("stopped")
    while True:
        time.sleep(60)


def _after(owner: Any, name: str, marker: Path, when: Callable[..., bool] = lambda *_: True) -> None:
    """Make `owner.name` run, then stop (the first time `when` holds for its arguments)."""
    real = getattr(owner, name)

    def stopping(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if when(*args):
            _stop(marker)
        return result

    setattr(owner, name, stopping)


def _before(owner: Any, name: str, marker: Path, when: Callable[..., bool] = lambda *_: True) -> None:
    """Make `owner.name` stop before it runs (the first time `when` holds for its arguments)."""
    real = getattr(owner, name)

    def stopping(*args: Any, **kwargs: Any) -> Any:
        if when(*args):
            _stop(marker)
        return real(*args, **kwargs)

    setattr(owner, name, stopping)


AIMS: dict[str, Callable[[Path], None]] = {
    "first-move": lambda m: _after(trainer.decks.writer, "_move", m),
    "moved": lambda m: _after(trainer.decks.atomic.ImportJournal, "moved", m),
    "recorded": lambda m: _after(trainer.storage.imports, "record_import", m),
    "committed": lambda m: _before(trainer.decks.writer.WrittenDecks, "finish", m),
    "rolling-back": lambda m: _before(trainer.decks.atomic, "_remove", m, lambda p: p.suffix == ".png"),
    "finishing": lambda m: _before(trainer.decks.atomic.ImportJournal, "_close", m),
    "files-moved": lambda m: _after(trainer.decks.atomic.ImportJournal, "moved", m),
    "files-done": lambda m: _before(trainer.decks.atomic.ImportJournal, "_close", m),
}
RECOVERIES = {"rolling-back", "finishing"}
FILES_ONLY = {"files-moved", "files-done"}


def main(url: str, decks: Path, aim: str, marker: Path) -> None:
    AIMS[aim](marker)
    if aim in FILES_ONLY:
        write_decks(decks, DRAFTS, media={"chart.png": IMAGE}, replace=True)
        raise SystemExit(f"the run ended without reaching {aim!r}")
    with Collection.open(url) as col:
        if aim in RECOVERIES:
            col.check_decks([decks])
        else:
            run_import(col, decks)
    raise SystemExit(f"the run ended without reaching {aim!r}")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
