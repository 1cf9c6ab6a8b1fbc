"""Databases made at every earlier schema revision migrate to the current one, reviews intact.

Each fixture in tests/fixtures/schema is `<revision>.db`, made by the code of that revision with
`python -m tests.storage.test_upgrades` (the small test decks and a few answers). When a migration is
added, make the fixture of the revision it replaces as head before adding it; for a revision
whose code is gone, `python -m tests.storage.test_upgrades REVISION` migrates the oldest fixture to it.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from tests.conftest import FIXTURE_DECKS, NOW
from trainer import Collection, Rating
from trainer.check import check_database
from trainer.storage import backup
from trainer.storage.database import alembic_config, current_revision, head_revision, make_engine, migrate

SCHEMA_FIXTURES = Path(__file__).parents[1] / "fixtures" / "schema"
REVIEW_COLUMNS = "id, learner_id, card_id, rating, reviewed_at, duration_ms, before, after, request_id"


def _fixtures() -> list[Path]:
    return sorted(SCHEMA_FIXTURES.glob("*.db"))


def _reviews(path: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"SELECT {REVIEW_COLUMNS} FROM review_logs ORDER BY id").fetchall()


def test_every_earlier_revision_has_a_fixture() -> None:
    revisions = [script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()]
    earlier = set(revisions) - {head_revision()}
    have = {path.stem for path in _fixtures()}
    assert earlier <= have, f"make fixtures for {sorted(earlier - have)} (see this module's docstring)"
    assert have <= set(revisions), f"fixtures for unknown revisions: {sorted(have - set(revisions))}"


@pytest.mark.parametrize("fixture", _fixtures(), ids=lambda path: path.stem)
def test_a_database_from_an_earlier_revision_opens_at_head(fixture: Path, tmp_path: Path) -> None:
    database = tmp_path / "trainer.db"
    shutil.copy(fixture, database)
    original = _reviews(database)
    assert len(original) >= 5, "the fixture should hold some reviews"
    col = Collection.open(f"sqlite:///{database}")
    try:
        assert current_revision(col.engine) == head_revision()
        assert _reviews(database) == original
        history = col.history()
        assert [entry.id for entry in history] == [row[0] for row in original]
        assert check_database(col.engine).ok
        card = col.next_card(now=NOW + timedelta(days=3))
        assert card is not None
        col.answer(card.id, Rating.Good, now=NOW + timedelta(days=3))
    finally:
        col.close()
    if fixture.stem != head_revision():
        made = [b for b in backup.list_backups(database) if b.reason.startswith("pre-migration")]
        assert len(made) == 1 and _reviews(made[0].path) == original


def make_fixture(folder: Path = SCHEMA_FIXTURES) -> Path:
    """Write the fixture for the current head revision: the test decks and a few answers."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{head_revision()}.db"
    target.unlink(missing_ok=True)
    with Collection.open(f"sqlite:///{target}") as col:
        col.sync_decks([FIXTURE_DECKS], now=NOW)
        for i, rating in enumerate(
            [Rating.Good, Rating.Again, Rating.Easy, Rating.Hard, Rating.Good, Rating.Good]
        ):
            moment = NOW + timedelta(minutes=11 * i)
            card = col.next_card(now=moment)
            assert card is not None
            col.answer(card.id, rating, now=moment, duration_ms=4000 + i, request_id=f"fixture-{i}")
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    shutil.rmtree(folder / backup.BACKUP_FOLDER, ignore_errors=True)
    return target


def derive_fixture(revision: str, folder: Path = SCHEMA_FIXTURES) -> Path:
    """Write the fixture for an earlier `revision` by migrating the oldest fixture up to it.

    For a revision whose code is gone: its data is the oldest fixture's, as that revision's
    migrations left it.
    """
    oldest = _fixtures()[0]
    target = folder / f"{revision}.db"
    shutil.copy(oldest, target)
    engine = make_engine(f"sqlite:///{target}")
    try:
        migrate(engine, revision)
    finally:
        engine.dispose()
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    return target


if __name__ == "__main__":
    import sys

    print(derive_fixture(sys.argv[1]) if len(sys.argv) > 1 else make_fixture())
