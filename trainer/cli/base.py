"""What every `trainer` command shares: the click group, its context and clean errors.

Errors a user can cause become one clear line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from trainer.collection import DATABASE_ENV, Collection
from trainer.errors import DeckError, NeedsConfirmation, TrainerError
from trainer.model import SyncReport
from trainer.storage.paths import default_database_url

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """What every command shares: where the database is and who is studying."""

    def __init__(self, db: str | None, user: str | None):
        self.db = db or os.environ.get(DATABASE_ENV) or default_database_url()
        self.user = user

    @contextmanager
    def collection(self) -> Iterator[Collection]:
        """The learner's collection; a new one is announced with where it is, so a mistyped
        --db does not go unnoticed."""
        with opening_errors(self.db):
            col = Collection.open(self.db, user=self.user)
        if col.created:
            click.echo(f"Created a new collection at {col.location}", err=True)
        try:
            yield col
        finally:
            col.close()


@contextmanager
def opening_errors(db: str) -> Iterator[None]:
    """Turn the ways opening the database `db` can fail into one clear line each."""
    try:
        yield
    except ArgumentError as exc:
        raise click.ClickException(f"bad database URL {db!r}: {exc}") from None
    except ImportError as exc:
        raise click.ClickException(
            f"the database driver for {db.split(':', 1)[0]!r} is not installed ({exc.name or exc});"
            " PostgreSQL needs `pip install -e '.[postgres]'`"
        ) from None
    except OperationalError as exc:
        raise click.ClickException(f"database error: {exc.orig}") from None
    except DatabaseError as exc:
        raise click.ClickException(f"cannot open the collection {db!r}: {exc.orig}") from None
    except sqlite3.OperationalError as exc:
        raise click.ClickException(f"database error: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"cannot open the collection {db!r}: {exc}") from None
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        raise click.ClickException(
            f"cannot create the collection {db!r}:{where} {exc.strerror or exc}"
        ) from None


def friendly_errors(func: F) -> F:
    """Turn trainer and database errors into a clean message and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DeckError as exc:
            lines = [exc.summary, *(f"  {p}" for p in exc.problems)]
            raise click.ClickException("\n".join(lines)) from None
        except TrainerError as exc:
            raise click.ClickException(str(exc)) from None
        except DatabaseError as exc:
            raise click.ClickException(f"database error: {exc.orig}") from None
        except _driver_operational_errors() as exc:
            raise click.ClickException(f"database error: {exc}") from None
        except OSError as exc:  # a file named on the command line: missing, unwritable, a folder
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None

    return wrapper  # type: ignore[return-value]


def _driver_operational_errors() -> tuple[type[Exception], ...]:
    """The database drivers' own error classes (the study loop runs on the drivers)."""
    errors: list[type[Exception]] = [sqlite3.DatabaseError]
    if "psycopg" in sys.modules:
        errors.append(sys.modules["psycopg"].DatabaseError)
    return tuple(errors)


decks_option = click.option(
    "--decks",
    "deck_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Deck folder or file to sync (repeatable). Default: the bundled decks.",
)


def chosen_decks(given: tuple[Path, ...]) -> list[Path] | None:
    """The deck paths given, or None: the bundled decks and every deck path synced before."""
    return list(given) or None


def sync_asking(col: Collection, paths: list[Path] | None, *, yes: bool) -> SyncReport:
    """Sync `paths`; one that would retire more than a few cards asks first when a person is at
    the terminal (`yes` skips the question), else raises a ClickException saying how many."""
    from trainer.decks.sync import RETIRE_WITHOUT_ASKING

    try:
        return col.sync_decks(paths, retire_limit=None if yes else RETIRE_WITHOUT_ASKING)
    except NeedsConfirmation as exc:
        if sys.stdin.isatty() and click.confirm(f"{exc}. Retire them?", default=False, err=True):
            return col.sync_decks(paths)
        raise click.ClickException(
            f"{exc}; nothing was changed. Run `trainer sync --yes` to retire them."
        ) from None


@contextmanager
def hint_remembered(col: Collection, paths: list[Path] | None) -> Iterator[None]:
    """When a sync of the remembered deck folders (`paths` None) finds bad deck files, say
    which folders it read again and how to stop syncing one, then let the error go on."""
    try:
        yield
    except DeckError:
        remembered = col.remembered_deck_sources() if paths is None else []
        if remembered:
            listed = ", ".join(str(path) for path in remembered)
            click.echo(
                f"This sync also read the deck folders and files synced before: {listed}."
                " `trainer sync --forget PATH` stops syncing one you no longer use.",
                err=True,
            )
        raise


def sync_before_study(col: Collection, paths: list[Path] | None) -> None:
    """The sync a study session starts with: it never retires more than a few cards unasked;
    instead it says what it would do and the session goes on with the decks as they were."""
    from trainer.decks.sync import RETIRE_WITHOUT_ASKING

    try:
        with hint_remembered(col, paths):
            report = col.sync_decks(paths, retire_limit=RETIRE_WITHOUT_ASKING)
    except NeedsConfirmation as exc:
        click.echo(f"Decks not synced: {exc}. Run `trainer sync --yes` to retire them.", err=True)
        return
    if report.added or report.updated or report.retired or report.restored:
        click.echo(f"Decks synced: {report}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="URL",
    help=f"SQLAlchemy database URL (or ${DATABASE_ENV}). Default: a SQLite file in your data folder.",
)
@click.option("--user", metavar="NAME", help="Learner to study as (default: the local learner).")
@click.version_option(package_name="ml-interview-trainer")
@click.pass_context
def cli(ctx: click.Context, db: str | None, user: str | None) -> None:
    """Adaptive spaced repetition for machine-learning interviews.

    \b
    Example:
        trainer review            # study today's cards in the terminal
        trainer serve             # or in the browser
    """
    ctx.obj = Context(db, user)
