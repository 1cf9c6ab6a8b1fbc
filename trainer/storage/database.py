"""Engines for any SQLAlchemy URL, tuned for the trainer, and schema migration.

SQLite gets WAL journaling, a busy timeout, foreign keys and write transactions that take the
write lock when they begin (`BEGIN IMMEDIATE`), so a writer waits for the lock up front instead
of failing with "database is locked" when a deferred transaction tries to upgrade.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: processes meet at SQLite's own lock
    fcntl = None  # type: ignore[assignment]

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from trainer.storage.driver import Driver

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "trainer_sqlite_begin"


def is_sqlite(engine: Engine) -> bool:
    """Whether `engine` talks to SQLite."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    """An engine for `url`; for SQLite, also creates the file's folder and sets the pragmas. A
    new SQLite file is created readable by its owner only (mode 0600), as are its WAL and
    shared-memory files, which SQLite creates with the database file's permissions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    # Every transaction here ends in COMMIT or ROLLBACK, so the pool's rollback when a connection
    # is returned would only repeat the work.
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, pool_reset_on_return=None)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the sqlite3 module so BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # NORMAL in WAL mode loses nothing when the process dies; only an OS crash can.
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Checkpoint every ~16 MB of WAL instead of ~4 MB: the commit that triggers a checkpoint
        # pays for it, and at the default every hundred or so answers was a 5-10 ms one.
        cursor.execute("PRAGMA wal_autocheckpoint=4000")
        # Sorts too big for the page cache (every card's content in deck order, as an export
        # reads it: 8 of its 50 ms for 10,000 cards) stay in memory instead of a temporary file.
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        # Straight to the driver: SQLAlchemy's statement machinery costs more than the BEGIN.
        connection.connection.dbapi_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]

    return engine


class WriterLock:
    """Serialises the SQLite writers of one database: threads of this process, then processes.

    SQLite's busy handler sleeps between retries (1, 2, 5, 10... ms), so a writer that finds the
    database locked wakes late and, under load, writers queue for tens of milliseconds. Here
    threads queue on a thread lock and processes on an exclusive `flock` of a file beside the
    database; both hand over the moment the holder lets go.
    """

    def __init__(self, path: Path | None):
        self._thread_lock = threading.RLock()
        self._path = path
        self._file: int | None = None
        self._depth = 0

    def __enter__(self) -> WriterLock:
        self._thread_lock.acquire()
        try:
            if self._depth == 0 and self._path is not None:
                fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise
        self._depth += 1
        return self

    def __exit__(self, *_exc: object) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def _descriptor(self) -> int:
        if self._file is None:
            assert self._path is not None
            self._file = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._file

    def close(self) -> None:
        """Close the lock file (the lock must not be held)."""
        if self._file is not None:
            os.close(self._file)
            self._file = None


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, WriterLock] = weakref.WeakKeyDictionary()
_WRITE_LOCKS_GUARD = threading.Lock()


def writer_lock_path(engine: Engine) -> Path | None:
    """The file whose `flock` serialises writer processes of a SQLite file, or None (in memory,
    other databases, or a platform without `flock`)."""
    database = engine.url.database
    if fcntl is None or not is_sqlite(engine) or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser().with_name(Path(database).name + "-writer.lock")


def _write_lock(engine: Engine) -> WriterLock:
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.get(engine)
        if lock is None:
            lock = _WRITE_LOCKS[engine] = WriterLock(writer_lock_path(engine))
            weakref.finalize(engine, lock.close)
        return lock


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the write lock from its first statement; commits on success.

    On a SQLite file, writers first queue on a `WriterLock` (threads, then processes), so they
    never sleep in SQLite's busy handler; other programs writing the file still meet SQLite's
    own lock and busy timeout.
    """
    if not is_sqlite(engine):
        with engine.connect() as connection, connection.begin():
            yield connection
        return
    with _write_lock(engine), engine.connect() as connection:
        connection.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        with connection.begin():
            yield connection


def hold_lock(conn: Connection, name: str) -> None:
    """Within a write transaction, wait until no other transaction holds the lock `name`, then
    hold it until this one ends. A SQLite write transaction already excludes every other writer;
    PostgreSQL takes a transaction-level advisory lock on a hash of the name."""
    if conn.dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction giving one consistent snapshot."""
    with engine.connect() as connection, connection.begin():
        yield connection


@contextmanager
def driver_transaction(engine: Engine, *, write: bool) -> Iterator[Driver]:
    """A transaction on a pooled DBAPI connection, run through a `Driver`; commits on success,
    rolls back on an exception. A write transaction holds the write lock as `write_transaction`
    does.

    For the study loop's few statements: SQLAlchemy's connection and transaction objects cost
    more than the statements themselves.
    """
    sqlite = is_sqlite(engine)
    with _write_lock(engine) if write and sqlite else nullcontext():
        pooled = engine.raw_connection()
        dbapi = pooled.dbapi_connection
        assert dbapi is not None
        try:
            if sqlite:
                dbapi.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield Driver(dbapi, sqlite=sqlite)
            dbapi.commit()
        except BaseException:
            try:
                dbapi.rollback()
            except Exception:
                pooled.invalidate()  # a connection that cannot roll back is not reused
            except BaseException:
                pooled.invalidate()  # interrupted mid-rollback: never pool it mid-transaction
                raise
            raise
        finally:
            pooled.close()


def alembic_config() -> Config:
    """The Alembic configuration for the trainer's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """The newest migration's revision id."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> bool:
    """Create or upgrade the schema to `revision`; returns whether anything was run."""
    if revision == "head" and current_revision(engine) == head_revision():
        return False
    config = alembic_config()
    with write_transaction(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return True
