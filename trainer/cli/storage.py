"""Commands for the database file: `backup`, `restore` and `check`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from trainer.cli.base import Context, cli, friendly_errors, opening_errors


@contextmanager
def _engine(obj: Context) -> Iterator[Any]:
    from trainer.storage.database import make_engine

    with opening_errors(obj.db):
        engine = make_engine(obj.db)
    try:
        yield engine
    finally:
        engine.dispose()


@cli.command("backup")
@click.pass_obj
@friendly_errors
def backup_command(obj: Context) -> None:
    """Back up the SQLite database file now (SQLite's online backup; safe while studying).

    Backups go to a `backups` folder beside the database; the newest 10 are kept. One is also
    taken automatically each day you study and before every sync or migration that changes
    something. On PostgreSQL, use the server's tools (pg_dump).

    \b
    Example:
        trainer backup
        trainer --db sqlite:///trainer.db backup
    """
    from trainer.storage.backup import backup_engine

    with _engine(obj) as engine:
        path = backup_engine(engine, "manual")
    click.echo(f"Backed up to {path}")


@cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
@friendly_errors
def restore_command(obj: Context, file: Path) -> None:
    """Replace the SQLite database with backup FILE, after checking FILE's integrity.

    Nothing is replaced unless FILE passes SQLite's integrity check and is a trainer database.
    The current database is backed up first. Stop `trainer serve` before restoring.

    \b
    Example:
        trainer restore ~/.local/share/ml-interview-trainer/backups/trainer-20260302T120000000000Z-daily.db
    """
    from trainer.storage.backup import require_sqlite_file, restore

    with _engine(obj) as engine:
        database = require_sqlite_file(engine)
    safety = restore(database, file)
    click.echo(f"Restored {database} from {file}")
    if safety:
        click.echo(f"The database as it was is kept in {safety}")


@cli.command("check")
@click.option("--repair", is_flag=True, help="Fix what can be fixed safely (after a backup).")
@click.pass_obj
@friendly_errors
def check_command(obj: Context, repair: bool) -> None:
    """Check the database: integrity, card states against their review logs, orphans, bad values.

    Every problem is listed. With --repair, derived columns are recomputed and card states are
    reset to their last logged review, after a backup; the output says what was done. Exits
    with status 1 if a problem remains.

    \b
    Example:
        trainer check
        trainer check --repair
    """
    from trainer.check import check_database, describe
    from trainer.storage.database import current_revision, head_revision

    with _engine(obj) as engine:
        if current_revision(engine) != head_revision():
            raise click.ClickException("the database is not at the current schema: run `trainer init` first")
        report = check_database(engine, repair=repair)
    for line in describe(report):
        click.echo(line)
    fixed = repair and report.repairs and all(p.repairable for p in report.problems)
    if not report.ok and not fixed:
        sys.exit(1)
