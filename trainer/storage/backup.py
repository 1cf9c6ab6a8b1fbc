"""Backups of a SQLite database file with SQLite's online backup API, and restoring one.

Backups live in a `backups` folder beside the database file, named
`<stem>-<UTC time>-<reason>.db` so that names sort by age; the newest `keep` are kept. A backup is
written to a temporary name and renamed into place, so a backup file is always complete.
PostgreSQL databases are backed up by the server's own tools (`pg_dump`), not here.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url

from trainer.clock import learner_day, require_utc
from trainer.errors import TrainerError
from trainer.storage import inuse

DEFAULT_KEEP = 10
BACKUP_FOLDER = "backups"
REQUIRED_TABLES = frozenset({"alembic_version", "learners", "cards", "card_states", "review_logs"})
_STAMP = "%Y%m%dT%H%M%S%fZ"


class BackupError(TrainerError):
    """A backup or restore could not be made; nothing was replaced."""


@dataclass(frozen=True)
class BackupFile:
    """One backup on disk: where it is, when it was taken and why."""

    path: Path
    taken_at: datetime
    reason: str


def sqlite_file(engine: Engine) -> Path | None:
    """The database file behind `engine`, or None when it is not a SQLite file (PostgreSQL, memory)."""
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def require_sqlite_file(engine: Engine) -> Path:
    """The SQLite file behind `engine`; raises BackupError for any other database."""
    path = sqlite_file(engine)
    if path is None:
        raise BackupError(
            "backups here are for a SQLite file; back up PostgreSQL with the server's tools (pg_dump)"
        )
    return path


def backup_folder(database: Path) -> Path:
    """The folder holding the backups of `database`."""
    return database.parent / BACKUP_FOLDER


def list_backups(database: Path) -> list[BackupFile]:
    """The backups of `database`, oldest first."""
    folder = backup_folder(database)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"{database.stem}-*.db"):
        parts = path.stem[len(database.stem) + 1 :].split("-", 1)
        try:
            taken = datetime.strptime(parts[0], _STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue
        found.append(BackupFile(path, taken, parts[1] if len(parts) > 1 else ""))
    return sorted(found, key=lambda b: (b.taken_at, b.path.name))


def _has_content(database: Path) -> bool:
    """Whether the committed database holds anything worth keeping (a card or a review)."""
    if not database.exists():
        return False
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"cards", "review_logs"} <= names:
                return False
            row = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM cards) OR EXISTS (SELECT 1 FROM review_logs)"
            ).fetchone()
            return bool(row[0])
    except sqlite3.DatabaseError:
        return False


def _copy(source: Path, target: Path) -> None:
    """Copy the committed state of database `source` into a new file `target`, durably."""
    descriptor, name = tempfile.mkstemp(prefix=target.name + ".", suffix=".partial", dir=target.parent)
    os.close(descriptor)
    partial = Path(name)
    try:
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
            closing(sqlite3.connect(partial)) as dst,
        ):
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def backup_database(
    database: Path, reason: str = "manual", now: datetime | None = None, keep: int = DEFAULT_KEEP
) -> Path:
    """Back up `database` (its committed state) into its backups folder; returns the new file.

    Keeps the newest `keep` backups of that database and deletes older ones.
    """
    if not database.exists():
        raise BackupError(f"no database at {database}")
    moment = require_utc(now)
    folder = backup_folder(database)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{database.stem}-{moment.strftime(_STAMP)}-{reason}.db"
    try:
        _copy(database, target)
    except sqlite3.Error as exc:
        raise BackupError(f"could not back up {database}: {exc}") from exc
    prune(database, keep)
    return target


def prune(database: Path, keep: int = DEFAULT_KEEP) -> list[Path]:
    """Delete all but the newest `keep` backups of `database`; returns what was deleted."""
    if keep < 1:
        raise BackupError("keep at least one backup")
    old = [b.path for b in list_backups(database)[:-keep]]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def backup_engine(engine: Engine, reason: str = "manual", now: datetime | None = None) -> Path:
    """Back up the SQLite file behind `engine`; raises BackupError for PostgreSQL."""
    return backup_database(require_sqlite_file(engine), reason, now)


def daily_backup(
    engine: Engine, zone: ZoneInfo, rollover_hour: int, now: datetime | None = None
) -> Path | None:
    """Back up the SQLite file unless a backup was already taken in the learner's day of `now`.

    Returns the new backup, or None (already done today, nothing to keep yet, or not SQLite).
    """
    database = sqlite_file(engine)
    if database is None or not _has_content(database):
        return None
    moment = require_utc(now)
    today = learner_day(moment, zone, rollover_hour)
    with _folder_lock(database):
        backups = list_backups(database)
        if backups and learner_day(backups[-1].taken_at, zone, rollover_hour) >= today:
            return None
        return backup_database(database, "daily", moment)


@contextmanager
def _folder_lock(database: Path) -> Iterator[None]:
    """Hold an exclusive lock on the backups folder, so concurrent writers take one daily backup."""
    folder = backup_folder(database)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(folder / f".{database.stem}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def before_migration(engine: Engine, now: datetime | None = None) -> Path | None:
    """Back up a SQLite database that holds data and is about to be migrated; else None."""
    from trainer.storage.database import current_revision, head_revision

    database = sqlite_file(engine)
    if database is None or not _has_content(database):
        return None
    revision = current_revision(engine)
    if revision is None or revision == head_revision():
        return None
    return backup_database(database, f"pre-migration-{revision}", now)


@contextmanager
def before_changes(conn: Connection, reason: str, now: datetime | None = None) -> Iterator[None]:
    """Inside a SQLite write transaction: back up the committed database if the block changed rows.

    The backup reads the last committed state (WAL lets it read while this transaction holds the
    write lock), so it is the database as it was before the block. A block that changes nothing
    costs no backup and no write; if the backup fails the error propagates and the
    transaction rolls back.
    """
    database = sqlite_file(conn.engine)
    if database is None:
        yield
        return
    mark = conn.exec_driver_sql("SELECT total_changes()").scalar()
    yield
    if conn.exec_driver_sql("SELECT total_changes()").scalar() != mark and _has_content(database):
        backup_database(database, reason, now)


def verify(candidate: Path) -> str:
    """Check that `candidate` is an intact trainer database; returns its schema revision.

    Raises BackupError naming the problem (not SQLite, damaged, not a trainer database, or made
    by a newer version of the trainer).
    """
    from trainer.storage.database import alembic_config

    if not candidate.is_file():
        raise BackupError(f"no file at {candidate}")
    try:
        with closing(sqlite3.connect(f"file:{candidate}?mode=ro", uri=True)) as conn:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                raise BackupError(f"{candidate} failed the integrity check: {'; '.join(result[:5])}")
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = REQUIRED_TABLES - names
            if missing:
                raise BackupError(f"{candidate} is not a trainer database (no {', '.join(sorted(missing))})")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{candidate} is not a readable SQLite database: {exc}") from exc
    from alembic.script import ScriptDirectory

    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if revision is None or revision[0] not in known:
        raise BackupError(f"{candidate} was made by a newer or unknown version of the trainer")
    return str(revision[0])


def restore(database: Path, source: Path, now: datetime | None = None) -> Path | None:
    """Replace `database` with a copy of backup `source`, atomically; returns the safety backup.

    `source` is verified first (integrity and trainer schema) and nothing is touched if it
    fails. The current database, if any, is backed up before it is replaced. Raises `InUse`,
    naming them, while other processes (a running server) have the collection open.
    """
    verify(source)
    database = database.expanduser().resolve()
    if source.resolve() == database:
        raise BackupError("cannot restore a database onto itself")
    with inuse.exclusive(database, "restoring"):
        return _replace(database, source, now)


def _replace(database: Path, source: Path, now: datetime | None) -> Path | None:
    database.parent.mkdir(parents=True, exist_ok=True)
    staged = database.with_name(database.name + ".restoring")
    try:
        _copy(source, staged)
        verify(staged)
    except (sqlite3.Error, BackupError) as exc:
        staged.unlink(missing_ok=True)
        raise BackupError(f"could not stage {source}: {exc}") from exc
    safety = None
    if database.exists():
        safety = backup_database(database, "pre-restore", now)
        _checkpoint(database)
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    os.replace(staged, database)
    return safety


def _checkpoint(database: Path) -> None:
    """Fold the write-ahead log into the file and empty it, so no stale log outlives a restore."""
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
