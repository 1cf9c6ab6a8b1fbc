"""Commands for deck files: `init` and `sync`."""

from __future__ import annotations

from pathlib import Path

import click

from trainer.cli.base import (
    Context,
    chosen_decks,
    cli,
    decks_option,
    friendly_errors,
    hint_remembered,
    sync_asking,
)


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
@click.option(
    "--forget",
    "forget",
    multiple=True,
    metavar="PATH",
    type=click.Path(path_type=Path),
    help="Stop syncing a deck folder or file synced before (repeatable); its cards stay as they are.",
)
@click.pass_obj
@friendly_errors
def sync(obj: Context, paths: tuple[Path, ...], check: bool, yes: bool, forget: tuple[Path, ...]) -> None:
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
        trainer sync --forget ~/old-clone/decks
    """
    if forget:
        with obj.collection() as col:
            forgotten = col.forget_deck_sources(forget)
            remembered = col.remembered_deck_sources()
        for path in forgotten:
            click.echo(f"No longer synced: {path}")
        missed = {p.resolve() for p in forget} - set(forgotten)
        if missed:
            known = ", ".join(str(p) for p in remembered) or "none"
            names = ", ".join(str(p) for p in sorted(missed))
            raise click.ClickException(
                f"not a deck folder or file synced before: {names} (remembered: {known})"
            )
        return
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
    with obj.collection() as col, hint_remembered(col, list(paths) or None):
        report = sync_asking(col, list(paths) or None, yes=yes)
    click.echo(f"Synced {len(report.decks)} decks: {report}")
