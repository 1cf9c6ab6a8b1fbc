"""Commands for deck files: `init` and `sync`."""

from __future__ import annotations

from pathlib import Path

import click

from trainer.cli.base import Context, chosen_decks, cli, decks_option, friendly_errors
from trainer.storage.paths import bundled_decks


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
        report = col.sync_decks(chosen_decks(deck_paths))
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
        from trainer.decks.deckfile import load_decks

        deck_set = load_decks(targets)
        click.echo(
            f"OK: {len(deck_set.decks)} decks, {len(deck_set.cards)} cards, {len(deck_set.concepts)} concepts"
        )
        return
    with obj.collection() as col:
        report = col.sync_decks(targets)
    click.echo(f"Synced {len(report.decks)} decks: {report}")
