"""`trainer serve`: the web UI on waitress, or on gunicorn with several workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from trainer.cli.base import Context, chosen_decks, cli, decks_option, friendly_errors, sync_before_study


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
    help="Worker processes sharing the port (gunicorn); more than one lets answers use several CPU cores.",
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
    help="With --accounts: reverse proxies in front (trust their X-Forwarded-For/-Proto/-Host/-Port).",
)
@click.option(
    "--secure-cookies",
    is_flag=True,
    help="Mark cookies Secure even when no proxy says the request came over https.",
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
    secure_cookies: bool,
    deck_paths: tuple[Path, ...],
) -> None:
    """Study in the browser: serve the web UI and JSON API.

    One process is served by waitress. --workers N (N > 1) runs N gunicorn worker processes
    on the port, each with --threads threads, so answers use every CPU core (one per core
    serves best); it needs the `server` extra (pip install 'ml-interview-trainer[server]').
    Without --accounts the server is the local learner's and listens on loopback only;
    beyond loopback it refuses to start unless --accounts is given. For PostgreSQL and a
    study group, see the README's "Study-group deployment".

    \b
    Example:
        trainer serve --port 8000     # then open http://127.0.0.1:8000/
        trainer serve --workers 2 --pin-cpus   # one process per core, on 2 cores
        trainer serve --accounts --host 0.0.0.0 --trusted-host trainer.example.org --proxies 1
    """
    from trainer.accounts.serving import check_listen

    check_listen(host, accounts, proxies)
    if open_signup and not accounts:
        raise click.ClickException("--open-signup needs --accounts")
    if pin_cpus:
        _check_pinning(workers)
    with obj.collection() as col:  # a database that cannot be opened stops here, before any worker starts
        click.echo(f"Collection: {col.location}")
        paths = chosen_decks(deck_paths) or col.sync_paths()
        if not no_sync:
            sync_before_study(col, paths)
    from waitress import create_server

    from web import close_app, create_app

    config: dict[str, Any] = {"DATABASE_URL": obj.db, "USER": obj.user, "DECK_PATHS": [str(p) for p in paths]}
    config.update(ACCOUNTS=accounts, OPEN_SIGNUP=open_signup, PROXY_FIX=proxies)
    if secure_cookies:
        config["SESSION_COOKIE_SECURE"] = True
    if trusted_hosts:
        config["TRUSTED_HOSTS"] = list(trusted_hosts)
    if workers > 1:
        _serve_workers(config, host, port, threads, workers, accounts, pin_cpus)
        return
    # Waitress removes X-Forwarded-* unless told which peer to trust; it then translates them
    # itself, so the app does not translate them a second time.
    app = create_app({**config, "PROXY_FIX": 0})
    try:
        server = create_server(app, host=host, port=port, threads=threads, **_waitress_proxy_options(proxies))
    except OSError as exc:
        close_app(app)
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo(f"Serving the trainer at http://{host}:{server.effective_port}/ (Ctrl+C stops)")
    if accounts:
        click.echo("Accounts are on: every learner logs in at /login.")
    try:
        server.run()
    finally:
        server.close()
        close_app(app)


def _waitress_proxy_options(proxies: int) -> dict[str, Any]:
    if not proxies:
        return {}
    return {
        "trusted_proxy": "*",
        "trusted_proxy_count": proxies,
        "trusted_proxy_headers": "x-forwarded-for x-forwarded-proto x-forwarded-host x-forwarded-port",
    }


def _check_pinning(workers: int) -> None:
    from web.multiprocess import can_pin_cpus

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
    from web.multiprocess import GunicornMissing, listening_socket, serve_with_gunicorn

    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound = sock.getsockname()[1]
    click.echo(
        f"Serving the trainer at http://{host}:{bound}/ with {workers} gunicorn worker processes"
        " (Ctrl+C stops)"
    )
    if accounts:
        click.echo("Accounts are on: every learner logs in at /login.")
    try:
        serve_with_gunicorn(
            lambda: create_app(config), close_app, sock, workers=workers, threads=threads, pin_cpus=pin_cpus
        )
    except GunicornMissing as exc:
        raise click.ClickException(str(exc)) from None
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise click.ClickException(
                "a worker process stopped with an error; see the messages above"
            ) from None
    finally:
        sock.close()
