"""Commands for deck files: `init` and `sync`."""

from __future__ import annotations

from pathlib import Path

import click

from trainer.cli.base import Context, chosen_decks, cli, decks_option, friendly_errors, sync_asking


@cli.command()
@decks_option
@click.option("--yes", is_flag=True, help="Retire cards missing from the deck files without asking.")
@click.pass_obj
@friendly_errors
def init(obj: Context, deck_paths: tuple[Path, ...], yes: bool) -> None:
    """Create or upgrade the database and sync the decks.

    \b
    Example:
        trainer --db postgresql+psycopg://trainer@localhost/trainer init
    """
    with obj.collection() as col:
        report = sync_asking(col, chosen_decks(deck_paths), yes=yes)
    click.echo(f"Database ready at {obj.db}")
    click.echo(f"Decks synced: {report}")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="Only validate the files; change nothing.")
@click.option("--yes", is_flag=True, help="Retire cards missing from the files without asking.")
@click.pass_obj
@friendly_errors
def sync(obj: Context, paths: tuple[Path, ...], check: bool, yes: bool) -> None:
    """Apply deck files to the database, all or nothing.

    Without PATHS: the bundled decks and every deck folder or file synced before. Paths given
    are remembered, and `review` and `serve` sync them too. A card missing from its deck file
    is retired (its history is kept, and it returns if the card comes back); only the decks in
    the files given, or last synced from inside the folders given, are touched. A sync that
    would retire more than 5 cards says how many and asks (--yes skips the question).

    \b
    Example:
        trainer sync decks/
        trainer sync decks/finance.yaml
        trainer sync --check decks/
    """
    if check:
        from trainer.decks.deckfile import load_decks

        targets = list(paths)
        if not targets:
            with obj.collection() as col:
                targets = col.sync_paths()
        deck_set = load_decks(targets)
        click.echo(
            f"OK: {len(deck_set.decks)} decks, {len(deck_set.cards)} cards, {len(deck_set.concepts)} concepts"
        )
        return
    with obj.collection() as col:
        report = sync_asking(col, list(paths) or None, yes=yes)
    click.echo(f"Synced {len(report.decks)} decks: {report}")
