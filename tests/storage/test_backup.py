"""Backups with SQLite's online backup API: automatic, manual, pruned, and a verified restore."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine

from tests.conftest import NOW, assert_clean_error
from trainer import Collection, Rating
from trainer.cli import cli
from trainer.storage import backup, inuse
from trainer.storage.database import head_revision
from trainer.storage.inuse import InUse


def _db(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _review_count(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT count(*) FROM review_logs").fetchone()[0])


def _answer(col: Collection, times: int, start: int = 0) -> None:
    for i in range(start, start + times):
        card = col.next_card(now=NOW + timedelta(minutes=i))
        assert card is not None
        col.answer(card.id, Rating.Good, now=NOW + timedelta(minutes=i))


@pytest.fixture
def studied(sqlite_col: Collection) -> Collection:
    _answer(sqlite_col, 3)
    return sqlite_col


def test_manual_backup_is_a_complete_copy(studied: Collection, sqlite_url: str) -> None:
    path = backup.backup_engine(studied.engine, now=NOW + timedelta(hours=1))
    assert path.parent == _db(sqlite_url).parent / "backups"
    assert backup.verify(path) == head_revision()
    assert _review_count(path) == 3
    assert not list(path.parent.glob("*.partial"))


def test_first_answer_of_each_learner_day_takes_one_backup(studied: Collection, sqlite_url: str) -> None:
    database = _db(sqlite_url)
    daily = [b for b in backup.list_backups(database) if b.reason == "daily"]
    # The first answer of the day found cards to keep, so it backed the database up, once.
    assert len(daily) == 1
    _answer(studied, 2, start=10)
    assert len([b for b in backup.list_backups(database) if b.reason == "daily"]) == 1
    next_day = NOW + timedelta(days=1)
    card = studied.next_card(now=next_day)
    assert card is not None
    studied.answer(card.id, Rating.Good, now=next_day)
    daily = [b for b in backup.list_backups(database) if b.reason == "daily"]
    assert [b.taken_at for b in daily] == [NOW, next_day]
    assert _review_count(daily[-1].path) == 5


def test_daily_backup_is_skipped_for_an_empty_database(sqlite_url: str, open_collection) -> None:
    col = open_collection(sqlite_url)
    assert col.backup_if_due(NOW) is None
    assert backup.list_backups(_db(sqlite_url)) == []


def test_only_the_newest_ten_backups_are_kept(studied: Collection, sqlite_url: str) -> None:
    database = _db(sqlite_url)
    for i in range(14):
        backup.backup_database(database, "manual", NOW + timedelta(hours=1, seconds=i))
    kept = backup.list_backups(database)
    assert len(kept) == 10
    assert kept[-1].taken_at == NOW + timedelta(hours=1, seconds=13)
    assert kept[0].taken_at == NOW + timedelta(hours=1, seconds=4)


def _file_digest(database: Path) -> str:
    digest = hashlib.sha256()
    for suffix in ("", "-wal"):
        part = database.with_name(database.name + suffix)
        if part.exists():
            digest.update(part.read_bytes())
    return digest.hexdigest()


def test_a_sync_that_changes_cards_is_preceded_by_a_backup(
    studied: Collection, sqlite_url: str, decks_dir: Path
) -> None:
    database = _db(sqlite_url)
    before = len(backup.list_backups(database))
    before_digest = _file_digest(database)
    report = studied.sync_decks([decks_dir], now=NOW + timedelta(hours=2))
    assert report.added == report.updated == report.retired == 0
    assert len(backup.list_backups(database)) == before
    assert _file_digest(database) == before_digest, "an unchanged re-sync wrote to the database"

    (decks_dir / "beta.yaml").unlink()
    report = studied.sync_decks([decks_dir], now=NOW + timedelta(hours=3))
    assert report.retired > 0
    pre_sync = [b for b in backup.list_backups(database) if b.reason == "pre-sync"]
    assert len(pre_sync) == 1
    with closing(sqlite3.connect(pre_sync[0].path)) as conn:
        assert conn.execute("SELECT count(*) FROM cards WHERE retired").fetchone()[0] == 0


def test_a_migration_of_a_database_with_data_is_preceded_by_a_backup(
    studied: Collection, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.storage import database as database_module

    assert backup.before_migration(studied.engine) is None, "at head: nothing to migrate"
    current = database_module.head_revision()
    monkeypatch.setattr(database_module, "head_revision", lambda: "9999")
    made = backup.before_migration(studied.engine, now=NOW)
    assert made is not None and made.name.endswith(f"-pre-migration-{current}.db")
    assert _review_count(made) == 3


def test_a_fresh_database_is_not_backed_up_on_creation(sqlite_url: str, open_collection) -> None:
    open_collection(sqlite_url)
    assert backup.list_backups(_db(sqlite_url)) == []


def test_restore_replaces_the_database_and_keeps_the_old_one(studied: Collection, sqlite_url: str) -> None:
    database = _db(sqlite_url)
    saved = backup.backup_database(database, "manual", NOW + timedelta(hours=1))
    _answer(studied, 2, start=20)
    studied.close()
    safety = backup.restore(database, saved, now=NOW + timedelta(hours=2))
    assert safety is not None and _review_count(safety) == 5
    assert not database.with_name(database.name + "-wal").exists()
    reopened = Collection.open(f"sqlite:///{database}")
    try:
        assert len(reopened.history()) == 3
    finally:
        reopened.close()


def _corrupt_copy(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    page = 4096
    assert len(data) > 2 * page
    for offset in range(page, len(data), page):
        data[offset : offset + 12] = b"\xff" * 12
    target.write_bytes(bytes(data))
    return target


def _damage_an_index(source: Path, target: Path) -> Path:
    """A copy whose every table still reads, but one index no longer matches its table: only
    SQLite's integrity check tells it apart from a sound database."""
    shutil.copy(source, target)
    with closing(sqlite3.connect(target)) as conn:
        name, table, sql = conn.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name = 'review_logs' ORDER BY name LIMIT 1"
        ).fetchone()
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        other = next(c for c in reversed(columns) if c not in sql)
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute(
            "UPDATE sqlite_master SET sql = ? WHERE name = ?",
            (f"CREATE INDEX {name} ON {table} ({other})", name),
        )
        conn.commit()
    with closing(sqlite3.connect(target)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
        assert conn.execute("SELECT count(*) FROM review_logs").fetchone()[0] > 0
    return target


@pytest.mark.parametrize("kind", ["garbage", "damaged", "index", "foreign", "missing"])
def test_restore_refuses_a_bad_file_and_changes_nothing(
    studied: Collection, sqlite_url: str, tmp_path: Path, kind: str
) -> None:
    database = _db(sqlite_url)
    good = backup.backup_database(database, "manual", NOW + timedelta(hours=1))
    bad = tmp_path / f"{kind}.db"
    if kind == "garbage":
        bad.write_bytes(b"not a database at all" * 100)
    elif kind == "damaged":
        _corrupt_copy(good, bad)
    elif kind == "index":
        _damage_an_index(good, bad)
    elif kind == "foreign":
        with closing(sqlite3.connect(bad)) as conn:
            conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
            conn.commit()
    studied.close()
    before = _file_digest(database)
    backups_before = backup.list_backups(database)
    with pytest.raises(backup.BackupError) as refused:
        backup.restore(database, bad, now=NOW + timedelta(hours=2))
    if kind == "index":
        assert "failed the integrity check" in str(refused.value)
    assert _file_digest(database) == before
    assert backup.list_backups(database) == backups_before
    assert not list(database.parent.glob("*.restoring"))


def test_backups_are_refused_for_postgresql() -> None:
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    message = "backups here are for a SQLite file; back up PostgreSQL with the server's tools (pg_dump)"
    with pytest.raises(backup.BackupError, match=f"^{re.escape(message)}$"):
        backup.backup_engine(engine)
    assert backup.daily_backup(engine, ZoneInfo("UTC"), 4, NOW) is None


def test_cli_backup_and_restore_round_trip(studied: Collection, sqlite_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", sqlite_url, "backup"])
    assert result.exit_code == 0, result.output
    made = Path(result.output.strip().removeprefix("Backed up to "))
    assert made.exists() and _review_count(made) == 3
    _answer(studied, 1, start=30)
    studied.close()
    result = runner.invoke(cli, ["--db", sqlite_url, "restore", str(made)])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output
    assert _review_count(_db(sqlite_url)) == 3


def test_cli_restore_of_a_bad_file_is_a_clean_error(sqlite_url: str, tmp_path: Path, studied) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"\0" * 10)
    result = CliRunner().invoke(cli, ["--db", sqlite_url, "restore", str(bad)])
    assert_clean_error(result)


def test_each_refusal_says_what_is_wrong(studied: Collection, sqlite_url: str, tmp_path: Path) -> None:
    database = _db(sqlite_url)
    good = backup.backup_database(database, "manual", NOW + timedelta(hours=1))
    assert backup.verify(good)
    missing = tmp_path / "missing.db"
    with pytest.raises(backup.BackupError, match=f"^no file at {missing}$"):
        backup.verify(missing)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(backup.BackupError, match="is not a readable SQLite database"):
        backup.verify(garbage)
    foreign = tmp_path / "foreign.db"
    with closing(sqlite3.connect(foreign)) as conn:
        conn.execute("CREATE TABLE cards (id INTEGER PRIMARY KEY)")
        conn.commit()
    message = "is not a trainer database (no alembic_version, card_states, learners, review_logs)"
    with pytest.raises(backup.BackupError, match=re.escape(message)):
        backup.verify(foreign)
    newer = tmp_path / "newer.db"
    shutil.copy(good, newer)
    with closing(sqlite3.connect(newer)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
        conn.commit()
    with pytest.raises(backup.BackupError, match="made by a newer or unknown version"):
        backup.verify(newer)
    studied.close()
    with pytest.raises(backup.BackupError, match=r"^cannot restore a database onto itself$"):
        backup.restore(database, database, now=NOW + timedelta(hours=2))


def test_backups_are_listed_oldest_first_with_their_reasons(tmp_path: Path, sqlite_url: str, studied) -> None:
    database = _db(sqlite_url)
    for made in backup.list_backups(database):
        made.path.unlink()
    later = backup.backup_database(database, "pre-migration-0004", NOW + timedelta(hours=2))
    earlier = backup.backup_database(database, "manual", NOW + timedelta(hours=1))
    (backup.backup_folder(database) / f"{database.stem}-notastamp-manual.db").write_bytes(b"")
    (backup.backup_folder(database) / "other-20260101T000000000000Z-manual.db").write_bytes(b"")
    listed = backup.list_backups(database)
    assert [(b.path, b.reason) for b in listed] == [(earlier, "manual"), (later, "pre-migration-0004")]
    assert [b.taken_at for b in listed] == [NOW + timedelta(hours=1), NOW + timedelta(hours=2)]
    assert backup.list_backups(tmp_path / "elsewhere" / "none.db") == []
    with pytest.raises(backup.BackupError, match="keep at least one backup"):
        backup.prune(database, keep=0)
    assert backup.prune(database, keep=1) == [earlier]
    assert [b.path for b in backup.list_backups(database)] == [later]
    with pytest.raises(backup.BackupError, match="no database at"):
        backup.backup_database(tmp_path / "absent.db", "manual", NOW)


def test_only_a_sqlite_file_has_a_backup_path(tmp_path: Path) -> None:
    file_url = f"sqlite:///{tmp_path / 'x.db'}"
    assert backup.sqlite_file(create_engine(file_url)) == (tmp_path / "x.db").resolve()
    assert backup.sqlite_file(create_engine("sqlite://")) is None
    assert backup.sqlite_file(create_engine("sqlite:///:memory:")) is None
    assert backup.sqlite_file(create_engine("sqlite:///file:x.db?uri=true")) is None
    with pytest.raises(backup.BackupError, match="pg_dump"):
        backup.require_sqlite_file(create_engine("sqlite://"))


def test_an_engine_backup_is_named_by_its_time_and_reason(studied: Collection, sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        made = backup.backup_engine(engine, "pre-repair", NOW + timedelta(hours=3))
    finally:
        engine.dispose()
    newest = backup.list_backups(_db(sqlite_url))[-1]
    assert (newest.path, newest.taken_at, newest.reason) == (made, NOW + timedelta(hours=3), "pre-repair")


def test_a_backup_is_written_beside_its_final_name_then_renamed(
    studied: Collection, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    renamed: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def replace(source: str | Path, target: str | Path) -> None:
        renamed.append((Path(source), Path(target)))
        real_replace(source, target)

    monkeypatch.setattr(backup.os, "replace", replace)
    made = backup.backup_database(_db(sqlite_url), "manual", NOW + timedelta(hours=1))
    [(partial, target)] = renamed
    assert target == made
    # In the same folder (so the rename is atomic), under a name no listing takes for a backup.
    assert partial.parent == made.parent
    assert partial.name.startswith(made.name + ".") and partial.name.endswith(".partial")


def test_restore_keeps_a_safety_backup_taken_at_its_time(studied: Collection, sqlite_url: str) -> None:
    database = _db(sqlite_url)
    good = backup.backup_database(database, "manual", NOW + timedelta(hours=1))
    studied.close()
    safety = backup.restore(database, good, now=NOW + timedelta(hours=5))
    assert [(b.taken_at, b.reason) for b in backup.list_backups(database) if b.path == safety] == [
        (NOW + timedelta(hours=5), "pre-restore")
    ]


def test_restore_onto_a_new_database_needs_no_safety_backup(
    studied: Collection, sqlite_url: str, tmp_path: Path
) -> None:
    good = backup.backup_database(_db(sqlite_url), "manual", NOW + timedelta(hours=1))
    target = tmp_path / "trainer-restored.db"
    assert backup.restore(target, good, now=NOW + timedelta(hours=2)) is None
    assert backup.verify(target) == head_revision()


def test_restore_clears_a_stale_write_ahead_log_left_beside_the_database(
    studied: Collection, sqlite_url: str, tmp_path: Path
) -> None:
    good = backup.backup_database(_db(sqlite_url), "manual", NOW + timedelta(hours=1))
    target = tmp_path / "fresh" / "trainer.db"
    target.parent.mkdir()
    for suffix in ("-wal", "-shm"):
        target.with_name(target.name + suffix).write_bytes(b"left over from an older database")
    backup.restore(target, good, now=NOW + timedelta(hours=2))
    assert sorted(p.name for p in target.parent.iterdir() if "inuse" not in p.name) == ["trainer.db"]
    assert _review_count(target) == _review_count(good)


def test_a_copy_that_fails_while_staging_is_a_backup_error_and_leaves_nothing(
    studied: Collection, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = _db(sqlite_url)
    good = backup.backup_database(database, "manual", NOW + timedelta(hours=1))
    studied.close()
    before = _file_digest(database)

    def failing_copy(source: Path, target: Path) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(backup, "_copy", failing_copy)
    with pytest.raises(backup.BackupError, match=f"^could not stage {re.escape(str(good))}: disk I/O error$"):
        backup.restore(database, good, now=NOW + timedelta(hours=2))
    assert _file_digest(database) == before
    assert not list(database.parent.glob("*.restoring"))


def test_restore_while_another_process_holds_the_collection_names_the_restore(
    studied: Collection, sqlite_url: str
) -> None:
    database = _db(sqlite_url)
    good = backup.backup_database(database, "manual", NOW + timedelta(hours=1))
    studied.close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.lockf(fd, fcntl.LOCK_SH)\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
            str(inuse.lock_path(database.resolve())),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(InUse, match=r"stop it before restoring$"):
            backup.restore(database, good, now=NOW + timedelta(hours=2))
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_the_integrity_refusal_quotes_sqlites_findings(
    studied: Collection, sqlite_url: str, tmp_path: Path
) -> None:
    good = backup.backup_database(_db(sqlite_url), "manual", NOW + timedelta(hours=1))
    bad = _damage_an_index(good, tmp_path / "index.db")
    with closing(sqlite3.connect(bad)) as conn:
        findings = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    assert len(findings) > 1
    with pytest.raises(backup.BackupError) as refused:
        backup.verify(bad)
    assert str(refused.value) == f"{bad} failed the integrity check: {'; '.join(findings[:5])}"


def test_the_daily_backup_follows_the_learners_own_day(studied: Collection, sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    database = _db(sqlite_url)
    zone = ZoneInfo("Pacific/Auckland")  # UTC+13 in March: its days start hours apart from UTC's
    before = len(backup.list_backups(database))
    try:
        # 16:00 UTC is 05:00 in Auckland, an hour into a learner day that began after NOW's backup.
        first = backup.daily_backup(engine, zone, 4, NOW + timedelta(hours=4))
        assert first is not None
        assert backup.daily_backup(engine, zone, 4, NOW + timedelta(hours=5)) is None
        assert backup.daily_backup(engine, zone, 4, NOW + timedelta(hours=26)) is None
        assert backup.daily_backup(engine, zone, 4, NOW + timedelta(hours=28)) is not None
    finally:
        engine.dispose()
    assert len(backup.list_backups(database)) == before + 2


def test_a_backup_without_a_reason_is_manual_and_prunes_to_its_own_keep(
    studied: Collection, sqlite_url: str
) -> None:
    database = _db(sqlite_url)
    for i in range(4):
        made = backup.backup_database(database, now=NOW + timedelta(hours=1, seconds=i), keep=2)
    listed = backup.list_backups(database)
    assert [(b.path, b.reason) for b in listed][-1] == (made, "manual")
    assert len(listed) == 2


def test_a_backup_file_named_without_a_reason_is_listed_with_none(
    studied: Collection, sqlite_url: str
) -> None:
    database = _db(sqlite_url)
    made = backup.backup_database(database, "manual", NOW + timedelta(hours=1))
    bare = made.with_name(made.name.removesuffix("-manual.db") + ".db")
    made.rename(bare)
    assert [(b.path, b.reason) for b in backup.list_backups(database) if b.path == bare] == [(bare, "")]


def test_keeping_no_backup_is_refused(studied: Collection, sqlite_url: str) -> None:
    with pytest.raises(backup.BackupError, match=r"^keep at least one backup$"):
        backup.prune(_db(sqlite_url), 0)


def test_a_copy_that_fails_is_a_backup_error_naming_the_database(
    studied: Collection, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_copy(source: Path, target: Path) -> None:
        raise sqlite3.OperationalError("disk is full")

    monkeypatch.setattr(backup, "_copy", failing_copy)
    database = _db(sqlite_url)
    with pytest.raises(
        backup.BackupError, match=f"^could not back up {re.escape(str(database))}: disk is full$"
    ):
        backup.backup_database(database, "manual", NOW + timedelta(hours=1))


def test_content_worth_keeping_needs_both_tables_and_a_row(tmp_path: Path) -> None:
    bare = tmp_path / "bare.db"
    with closing(sqlite3.connect(bare)) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO notes VALUES (1)")
        conn.commit()
    assert not backup._has_content(bare)
    minimal = tmp_path / "minimal.db"
    with closing(sqlite3.connect(minimal)) as conn:
        conn.execute("CREATE TABLE cards (id TEXT PRIMARY KEY)")
        conn.execute("CREATE TABLE review_logs (id INTEGER PRIMARY KEY)")
        conn.commit()
        assert not backup._has_content(minimal)
        conn.execute("INSERT INTO cards VALUES ('a')")
        conn.commit()
    assert backup._has_content(minimal)


def test_a_pending_migration_backs_up_only_a_database_file_with_data(
    studied: Collection, sqlite_url: str, tmp_path: Path, open_collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.storage import database as database_module

    empty_url = f"sqlite:///{tmp_path / 'empty.db'}"
    empty = open_collection(empty_url)
    monkeypatch.setattr(database_module, "head_revision", lambda: "9999")
    assert backup.before_migration(empty.engine, now=NOW) is None
    assert backup.list_backups(_db(empty_url)) == []
    assert backup.before_migration(create_engine("sqlite://"), now=NOW) is None
    made = backup.before_migration(studied.engine, now=NOW + timedelta(hours=5))
    assert made is not None
    assert backup.list_backups(_db(sqlite_url))[-1].taken_at == NOW + timedelta(hours=5)


def test_an_engine_backup_without_a_reason_is_manual(studied: Collection, sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        made = backup.backup_engine(engine, now=NOW + timedelta(hours=3))
    finally:
        engine.dispose()
    newest = backup.list_backups(_db(sqlite_url))[-1]
    assert (newest.path, newest.reason) == (made, "manual")


def test_no_daily_backup_is_taken_of_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    database = tmp_path / "trainer.db"
    database.write_bytes(b"not a database at all" * 100)
    engine = create_engine(f"sqlite:///{database}")
    try:
        assert backup.daily_backup(engine, ZoneInfo("UTC"), 4, NOW) is None
    finally:
        engine.dispose()
    assert backup.list_backups(database) == []


def test_pruning_passes_over_a_backup_another_process_deleted_meanwhile(
    studied: Collection, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = _db(sqlite_url)
    for i in range(3):
        backup.backup_database(database, "manual", NOW + timedelta(hours=1, seconds=i))
    listed = backup.list_backups(database)
    listing = backup.list_backups

    def listed_then_pruned_elsewhere(path: Path) -> list[backup.BackupFile]:
        found = listing(path)
        found[0].path.unlink()  # another process's prune got there between the listing and ours
        return found

    monkeypatch.setattr(backup, "list_backups", listed_then_pruned_elsewhere)
    assert backup.prune(database, keep=1) == [b.path for b in listed[:-1]]
    monkeypatch.undo()
    assert backup.list_backups(database) == listed[-1:]


def test_the_integrity_refusal_quotes_at_most_five_findings(
    studied: Collection, sqlite_url: str, tmp_path: Path
) -> None:
    _answer(studied, 6, start=10)
    good = backup.backup_database(_db(sqlite_url), "manual", NOW + timedelta(hours=1))
    bad = _damage_an_index(good, tmp_path / "index.db")
    with closing(sqlite3.connect(bad)) as conn:
        findings = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    assert len(findings) > 5
    with pytest.raises(backup.BackupError) as refused:
        backup.verify(bad)
    assert str(refused.value) == f"{bad} failed the integrity check: {'; '.join(findings[:5])}"
