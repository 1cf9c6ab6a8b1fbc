"""The `trainer` command: a thin click layer over `trainer.Collection`.

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
from sqlalchemy.exc import OperationalError

from .collection import DATABASE_ENV, Collection
from .errors import DeckError, TrainerError
from .paths import bundled_decks, default_database_url

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """What every command shares: where the database is and who is studying."""

    def __init__(self, db: str | None, user: str | None):
        self.db = db or os.environ.get(DATABASE_ENV) or default_database_url()
        self.user = user

    @contextmanager
    def collection(self) -> Iterator[Collection]:
        col = Collection.open(self.db, user=self.user)
        try:
            yield col
        finally:
            col.close()


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
        except OperationalError as exc:
            raise click.ClickException(f"database error: {exc.orig}") from None
        except _driver_operational_errors() as exc:
            raise click.ClickException(f"database error: {exc}") from None

    return wrapper  # type: ignore[return-value]


def _driver_operational_errors() -> tuple[type[Exception], ...]:
    """The database drivers' own OperationalError classes (the study loop runs on the drivers)."""
    errors: list[type[Exception]] = [sqlite3.OperationalError]
    if "psycopg" in sys.modules:
        errors.append(sys.modules["psycopg"].OperationalError)
    return tuple(errors)


decks_option = click.option(
    "--decks",
    "deck_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Deck folder or file to sync (repeatable). Default: the bundled decks.",
)


def _deck_paths(given: tuple[Path, ...]) -> list[Path]:
    return list(given) or [bundled_decks()]


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


@cli.command()
@decks_option
@click.pass_obj
@friendly_errors
def init(obj: Context, deck_paths: tuple[Path, ...]) -> None:
    """Create or upgrade the database and sync the decks.

    \b
    Example:
        trainer --db postgresql+psycopg://trainer@localhost/trainer init
    """
    with obj.collection() as col:
        report = col.sync_decks(_deck_paths(deck_paths))
    click.echo(f"Database ready at {obj.db}")
    click.echo(f"Decks synced: {report}")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="Only validate the files; change nothing.")
@click.pass_obj
@friendly_errors
def sync(obj: Context, paths: tuple[Path, ...], check: bool) -> None:
    """Apply deck files (default: the bundled decks) to the database, all or nothing.

    Give every deck folder you use: cards missing from them are retired (their history is
    kept, and they return if the card comes back).

    \b
    Example:
        trainer sync decks/
        trainer sync --check decks/
    """
    targets = list(paths) or [bundled_decks()]
    if check:
        from .deckfile import load_decks

        deck_set = load_decks(targets)
        click.echo(
            f"OK: {len(deck_set.decks)} decks, {len(deck_set.cards)} cards, {len(deck_set.concepts)} concepts"
        )
        return
    with obj.collection() as col:
        report = col.sync_decks(targets)
    click.echo(f"Synced {len(report.decks)} decks: {report}")


@contextmanager
def _engine(obj: Context) -> Iterator[Any]:
    from .database import make_engine

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
    from .backup import backup_engine

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
    from .backup import require_sqlite_file, restore

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
    from .check import check_database, describe
    from .database import current_revision, head_revision

    with _engine(obj) as engine:
        if current_revision(engine) != head_revision():
            raise click.ClickException("the database is not at the current schema: run `trainer init` first")
        report = check_database(engine, repair=repair)
    for line in describe(report):
        click.echo(line)
    fixed = repair and report.repairs and all(p.repairable for p in report.problems)
    if not report.ok and not fixed:
        sys.exit(1)


@cli.command()
@click.option("--domain", metavar="DECK", help="Study one deck only.")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many answers.")
@click.option("--no-sync", is_flag=True, help="Skip syncing the decks first.")
@decks_option
@click.pass_obj
@friendly_errors
def review(
    obj: Context, domain: str | None, limit: int | None, no_sync: bool, deck_paths: tuple[Path, ...]
) -> None:
    """Study today's due cards in the terminal.

    Keys: space or enter reveals, 1-4 rates (Again, Hard, Good, Easy), u undoes,
    s suspends, b buries until tomorrow, q quits. Drills ask which rubric points
    you covered and suggest a rating; enter accepts it.

    \b
    Example:
        trainer review --domain finance --limit 20
    """
    from .terminal import run_session

    with obj.collection() as col:
        if not no_sync:
            col.sync_decks(_deck_paths(deck_paths))
        run_session(col, domain=domain, limit=limit)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
@friendly_errors
def stats(obj: Context, as_json: bool) -> None:
    """Show per-domain progress, weak spots and interview readiness.

    Columns: cards, seen (introduced), mature (stability of 21 days or more), due today,
    late (overdue), 30-day retention of review cards and its review count, mean
    retrievability now, lapses, drill rubric coverage, and the weakness rank (1 = weakest,
    ranked so that a domain with a handful of reviews is not called weak by chance).

    \b
    Example:
        trainer stats
        trainer stats --json | jq '.domains[0]'
    """
    import json

    from .summary import stats_summary, stats_text

    with obj.collection() as col:
        summary = stats_summary(col, col.day().now)
        counts = col.today_counts()
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"Today: {counts.new} new, {counts.learning} learning, {counts.review} review")
    if not summary["domains"]:
        click.echo("No decks synced yet: run `trainer sync`.")
        return
    click.echo(stats_text(summary))


@cli.command()
@click.option("--dry-run", is_flag=True, help="Fit and report, but keep the current parameters.")
@click.pass_obj
@friendly_errors
def optimize(obj: Context, dry_run: bool) -> None:
    """Fit FSRS parameters to your own review history.

    The last fifth of your reviews is held back: the fit is judged on it (log loss and
    RMSE over bins) against the current parameters, and adopted only if it predicts better.

    \b
    Example:
        trainer optimize --dry-run
    """
    from .optimize import optimize as fit

    with obj.collection() as col, click.progressbar(length=4, label="Fitting", show_eta=False) as bar:

        def progress(stage: str, done: int, _total: int) -> None:
            bar.label = stage
            bar.update(done - bar.pos)

        result = fit(col, adopt=not dry_run, progress=progress)
    click.echo(result.message)
    click.echo(
        f"Default parameters on the same reviews: log loss {result.default.log_loss:.4f}, "
        f"RMSE(bins) {result.default.rmse_bins:.4f}"
    )
    if result.adopted and dry_run:
        click.echo("Dry run: parameters not changed.")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port.")
@click.option(
    "--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Threads per worker."
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes sharing the port; more than one lets answers use several CPU cores.",
)
@click.option(
    "--pin-cpus",
    is_flag=True,
    help="With --workers: keep each worker on one CPU core, the cores taken in turn (Linux).",
)
@click.option("--no-sync", is_flag=True, help="Skip syncing the decks first.")
@click.option(
    "--accounts", is_flag=True, help="Every learner logs in to their own account (needed beyond loopback)."
)
@click.option("--open-signup", is_flag=True, help="With --accounts: anyone may sign up without an invite.")
@click.option(
    "--trusted-host", "trusted_hosts", multiple=True, metavar="NAME", help="Accepted Host name (repeatable)."
)
@click.option(
    "--proxies",
    default=0,
    type=click.IntRange(0, 5),
    help="Reverse proxies in front (trust their X-Forwarded-*).",
)
@decks_option
@click.pass_obj
@friendly_errors
def serve(
    obj: Context,
    host: str,
    port: int,
    threads: int,
    workers: int,
    pin_cpus: bool,
    no_sync: bool,
    accounts: bool,
    open_signup: bool,
    trusted_hosts: tuple[str, ...],
    proxies: int,
    deck_paths: tuple[Path, ...],
) -> None:
    """Study in the browser: serve the web UI and JSON API with waitress.

    Without --accounts the server is the local learner's and listens on loopback only;
    beyond loopback it refuses to start unless --accounts is given. --workers N runs N
    processes on the port (each with --threads threads), so answers use every CPU core (one
    per core serves best); for gunicorn and PostgreSQL, see the README's "Study-group
    deployment".

    \b
    Example:
        trainer serve --port 8000     # then open http://127.0.0.1:8000/
        trainer serve --workers 2 --pin-cpus   # one process per core, on 2 cores
        trainer serve --accounts --host 0.0.0.0 --trusted-host trainer.example.org --proxies 1
    """
    from .serving import check_listen

    check_listen(host, accounts)
    if open_signup and not accounts:
        raise click.ClickException("--open-signup needs --accounts")
    if pin_cpus:
        _check_pinning(workers)
    paths = _deck_paths(deck_paths)
    if not no_sync:
        with obj.collection() as col:
            report = col.sync_decks(paths)
        click.echo(f"Decks synced: {report}")
    from waitress import create_server

    from web import close_app, create_app

    config: dict[str, Any] = {"DATABASE_URL": obj.db, "USER": obj.user, "DECK_PATHS": [str(p) for p in paths]}
    config.update(ACCOUNTS=accounts, OPEN_SIGNUP=open_signup, PROXY_FIX=proxies)
    if trusted_hosts:
        config["TRUSTED_HOSTS"] = list(trusted_hosts)
    if workers > 1:
        _serve_workers(config, host, port, threads, workers, accounts, pin_cpus)
        return
    app = create_app(config)
    server = create_server(app, host=host, port=port, threads=threads)
    click.echo(f"Serving the trainer at http://{host}:{server.effective_port}/ (Ctrl+C stops)")
    if accounts:
        click.echo("Accounts are on: every learner logs in at /login.")
    try:
        server.run()
    finally:
        server.close()
        close_app(app)


def _check_pinning(workers: int) -> None:
    from web.workers import can_pin_cpus

    if workers < 2:
        raise click.ClickException("--pin-cpus needs --workers 2 or more")
    if not can_pin_cpus():
        raise click.ClickException("--pin-cpus needs a platform that lets processes choose CPUs (Linux)")


def _serve_workers(
    config: dict[str, Any],
    host: str,
    port: int,
    threads: int,
    workers: int,
    accounts: bool,
    pin_cpus: bool,
) -> None:
    from web import close_app, create_app
    from web.workers import reserve_port, serve_workers

    try:
        sock = reserve_port(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound = sock.getsockname()[1]
    click.echo(
        f"Serving the trainer at http://{host}:{bound}/ with {workers} worker processes (Ctrl+C stops)"
    )
    if accounts:
        click.echo("Accounts are on: every learner logs in at /login.")
    status = serve_workers(
        lambda: create_app(config), close_app, sock, workers=workers, threads=threads, pin_cpus=pin_cpus
    )
    if status:
        raise click.ClickException("a worker process stopped with an error; see the messages above")


@contextmanager
def _accounts(obj: Context) -> Iterator[Any]:
    from .accounts import Accounts

    with obj.collection() as col:
        yield Accounts(col.engine)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@cli.group("user")
def user_group() -> None:
    """Manage the accounts of a study-group server.

    \b
    Example:
        trainer user add alice --admin
        trainer user list
    """


@user_group.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="The account may sync the decks from the web.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_obj
@friendly_errors
def user_add(obj: Context, name: str, admin: bool, password_stdin: bool) -> None:
    """Create an account (asks for its password twice).

    An existing learner without a password (from `--user NAME`) gets the password and keeps
    their progress. Passwords: 12 to 128 characters, not a common or easily guessed one.

    \b
    Example:
        trainer user add alice
        printf '%s\\n' "$PASSWORD" | trainer user add bob --password-stdin
    """
    from .accounts import AccountError

    password = _read_password(password_stdin)
    with _accounts(obj) as accounts:
        try:
            account = accounts.create(name, password, admin=admin)
        except AccountError as exc:
            raise click.ClickException("\n".join([exc.summary, *(f"  {p}" for p in exc.problems)])) from None
    click.echo(f"Created account {account.name}{' (admin)' if account.is_admin else ''}.")


@user_group.command("list")
@click.pass_obj
@friendly_errors
def user_list(obj: Context) -> None:
    """List every learner: name, whether active, admin, and able to log in.

    \b
    Example:
        trainer user list
    """
    with _accounts(obj) as accounts:
        rows = accounts.list()
    click.echo(f"{'name':<32} {'active':<7} {'admin':<6} {'login':<6} created")
    for a in rows:
        flags = ["yes" if v else "no" for v in (a.is_active, a.is_admin, a.has_password)]
        click.echo(f"{a.name:<32} {flags[0]:<7} {flags[1]:<6} {flags[2]:<6} {a.created_at:%Y-%m-%d}")


@user_group.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Re-enable the account instead.")
@click.pass_obj
@friendly_errors
def user_disable(obj: Context, name: str, enable: bool) -> None:
    """Disable an account: its sessions end at once and it can no longer log in (progress kept).

    \b
    Example:
        trainer user disable alice
        trainer user disable alice --enable
    """
    with _accounts(obj) as accounts:
        account = accounts.set_active(name, enable)
    click.echo(f"{'Enabled' if account.is_active else 'Disabled'} account {account.name}.")


@cli.command("invite")
@click.option(
    "--days", default=7, show_default=True, type=click.IntRange(1, 365), help="Days it stays valid."
)
@click.option(
    "--uses", default=1, show_default=True, type=click.IntRange(1, 1000), help="Sign-ups it allows."
)
@click.pass_obj
@friendly_errors
def invite(obj: Context, days: int, uses: int) -> None:
    """Create a sign-up invite code for the study group (shown once; only its hash is kept).

    \b
    Example:
        trainer invite --days 3 --uses 10    # then share https://HOST/signup?invite=CODE
    """
    with _accounts(obj) as accounts:
        code = accounts.create_invite(days=days, uses=uses)
    click.echo(code)
    click.echo(f"Sign-up page: /signup?invite={code} (valid {days} days, {uses} sign-up(s))", err=True)


@cli.group("export")
def export_group() -> None:
    """Export cards, progress or the review log to Anki or CSV."""


@cli.group("import")
def import_group() -> None:
    """Import cards from an Anki package or a CSV file into a deck file."""


@export_group.command("csv")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only reviews from this date (UTC).")
@click.pass_obj
@friendly_errors
def export_csv_command(obj: Context, out: Path, since: Any) -> None:
    """Write your review log to a CSV file, one row per answer, oldest first.

    \b
    Example:
        trainer export csv reviews.csv --since 2026-01-01
    """
    from datetime import UTC

    from .summary import export_review_log

    with obj.collection() as col:
        rows = export_review_log(col, out, since=since.replace(tzinfo=UTC) if since else None)
    click.echo(f"Wrote {rows} reviews to {out}")


@export_group.command("anki")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--deck", "deck_slugs", multiple=True, metavar="D", help="Export only this deck (repeatable).")
@click.option("--with-progress", is_flag=True, help="Include scheduling and review history.")
@click.pass_obj
@friendly_errors
def export_anki_command(obj: Context, out: Path, deck_slugs: tuple[str, ...], with_progress: bool) -> None:
    """Write the decks to an Anki package (.apkg), as decks named `ML Interview::<title>`.

    Re-exporting after an edit and importing into the same Anki profile updates the notes in
    place. With --with-progress, import in Anki with "Import any learning progress" on: studied
    cards arrive with their due dates, intervals, review log and FSRS memory.

    \b
    Example:
        trainer export anki ml-interview.apkg
        trainer export anki finance.apkg --deck finance --with-progress
    """
    from exporters.anki_export import export_anki

    with obj.collection() as col:
        report = export_anki(col, out, decks=list(deck_slugs) or None, with_progress=with_progress)
    click.echo(f"Wrote {report.notes} notes in {report.decks} decks to {report.path}")
    if with_progress:
        click.echo(f"Progress: {report.reviewed_cards} studied cards, {report.review_rows} reviews")


@export_group.command("cards")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--deck", "deck_slugs", multiple=True, metavar="D", help="Export only this deck (repeatable).")
@click.pass_obj
@friendly_errors
def export_cards_command(obj: Context, out: Path, deck_slugs: tuple[str, ...]) -> None:
    """Write the cards to a CSV file, one row per card.

    Columns: id, deck, kind, prompt, answer, why, text, points (separated by " | "),
    concepts and tags (separated by spaces).

    \b
    Example:
        trainer export cards cards.csv --deck finance
    """
    from exporters.csv_cards import export_cards_csv

    with obj.collection() as col:
        count = export_cards_csv(col, out, decks=list(deck_slugs) or None)
    click.echo(f"Wrote {count} cards to {out}")


import_deck_options = [
    click.option("--deck", "slug", required=True, metavar="SLUG", help="Slug of the deck file to write."),
    click.option(
        "--decks-dir",
        default=Path("decks"),
        show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Deck folder (with concepts.yaml) to write into.",
    ),
    click.option("--title", help="Deck title (default: from the source)."),
    click.option("--replace", is_flag=True, help="Overwrite an existing deck file of that slug."),
]


def _import_options(func: F) -> F:
    for option in reversed(import_deck_options):
        func = option(func)
    return func


@import_group.command("anki")
@click.argument("package", type=click.Path(dir_okay=False, path_type=Path))
@_import_options
@friendly_errors
def import_anki_command(package: Path, slug: str, decks_dir: Path, title: str | None, replace: bool) -> None:
    """Turn the Basic and Cloze notes of an Anki package (and this trainer's own) into a deck file.

    Fields keep bold, italics, code, links and lists as Markdown. Other note types are listed
    and skipped. Cards with no known concept get `problem-framing`. The deck file is written
    only if every note converts and the deck loads; then run `trainer sync`.

    \b
    Example:
        trainer import anki shared.apkg --deck my-cards --decks-dir decks
    """
    from exporters.anki_import import import_anki

    report = import_anki(package, slug, decks_dir, title=title, replace=replace)
    click.echo(f"Wrote {report.cards} cards to {report.path}")
    for name, count in report.skipped.items():
        click.echo(f"Skipped {count} note(s) of unsupported note type {name!r}")
    if report.default_concept_cards:
        click.echo(f"{report.default_concept_cards} card(s) had no known concept: set to problem-framing")


@import_group.command("csv")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@_import_options
@friendly_errors
def import_csv_command(source: Path, slug: str, decks_dir: Path, title: str | None, replace: bool) -> None:
    """Turn a CSV file of cards into a deck file, all or nothing.

    Columns (header row required): id, kind, prompt, answer, why, text, points (separated by
    " | "), concepts and tags (separated by spaces); `deck` may be present and is ignored.
    fact needs prompt and answer; cloze needs text with a {{c1::...}} gap; drill needs
    prompt, answer and 3 to 7 points. A bad row is reported with its line; nothing is written.

    \b
    Example:
        trainer import csv cards.csv --deck my-cards
    """
    from exporters.csv_cards import import_cards_csv

    report = import_cards_csv(source, slug, decks_dir, title=title, replace=replace)
    click.echo(f"Wrote {report.cards} cards to {report.path}")


def main() -> None:
    """Entry point for the `trainer` console script."""
    try:
        cli(prog_name="trainer")
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()

__all__ = ["cli", "main"]
