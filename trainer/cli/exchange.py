"""`export` and `import`: Anki packages, CSV cards and the review log."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

import click

from trainer.cli.base import Context, F, cli, friendly_errors


@cli.group("export")
def export_group() -> None:
    """Export cards, progress or the review log to Anki or CSV."""


@cli.group("import")
def import_group() -> None:
    """Import cards from an Anki package or a CSV file into a deck file."""


@export_group.command("csv")
@click.argument("out", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only reviews from this date (UTC).")
@click.pass_obj
@friendly_errors
def export_csv_command(obj: Context, out: Path, since: Any) -> None:
    """Write your review log to a CSV file (`-`: standard output), one row per answer, oldest first.

    \b
    Example:
        trainer export csv reviews.csv --since 2026-01-01
        trainer export csv - | head
    """
    from datetime import UTC

    from trainer.insights.summary import export_review_log

    to_stdout = str(out) == "-"
    with obj.collection() as col:
        target: Path | TextIO = sys.stdout if to_stdout else out
        rows = export_review_log(col, target, since=since.replace(tzinfo=UTC) if since else None)
    if not to_stdout:
        click.echo(f"Wrote {rows} reviews to {out}")


@export_group.command("anki")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--deck", "deck_slugs", multiple=True, metavar="D", help="Export only this deck (repeatable).")
@click.option("--with-progress", is_flag=True, help="Include scheduling and review history.")
@click.pass_obj
@friendly_errors
def export_anki_command(obj: Context, out: Path, deck_slugs: tuple[str, ...], with_progress: bool) -> None:
    """Write the decks to an Anki package (.apkg), as decks named `ML Interview::<short title>`.

    A cloze makes one Anki card per cloze number, as Anki does. Each note carries the time its
    content last changed here, so importing a later export into the same Anki profile updates
    only the notes edited here since, and keeps the edits you made in Anki to the others.

    With --with-progress, import in Anki with "Import any learning progress" on: studied cards
    arrive with their due dates, intervals, review log and FSRS memory, and with "Import deck
    presets" on your settings (daily limits, steps, desired retention, FSRS parameters) become
    the decks' options. Anki takes progress only for cards it does not have yet: on a second
    import it keeps its own scheduling and review history for the cards already there.

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
@click.option("--one-deck", is_flag=True, help="Put the cards of every subdeck into the one deck --deck.")
@click.option(
    "--with-progress",
    is_flag=True,
    help="Also sync the new decks and replay the package's review history and suspensions, all or nothing.",
)
@click.pass_obj
@friendly_errors
def import_anki_command(
    obj: Context,
    package: Path,
    slug: str,
    decks_dir: Path,
    title: str | None,
    replace: bool,
    one_deck: bool,
    with_progress: bool,
) -> None:
    """Turn an Anki package into deck files: Basic (a reverse card becomes its own fact),
    Cloze (one card per Anki card) and this trainer's own note types, with their images.

    The main deck becomes --deck, each subdeck a deck `<deck>-<subdeck>` (or, with
    --one-deck, part of --deck). Fields keep bold, italics, code, links, lists and images
    (saved in media/ beside the decks) as Markdown. Cards with no known concept get
    `problem-framing`. Everything that cannot come along (other note types, type-in answers,
    underline, colours, sounds, card flags, marked and leech tags) is counted in one summary.
    The deck files are written only if every note converts and the decks load. With --with-progress
    the new decks are synced and the Anki review history replayed through your scheduler, so each
    card keeps your memory of it; suspended cards stay suspended. The whole import is one step:
    if anything fails or you press Ctrl-C, your collection is unchanged and the deck files and
    images it wrote are removed (a replaced deck file gets its old contents back).
    Without --with-progress, run `trainer sync` next.

    \b
    Example:
        trainer import anki shared.apkg --deck my-cards --decks-dir decks
        trainer import anki collection.apkg --deck mine --with-progress
    """
    from exporters.anki_import import import_anki

    try:
        if with_progress:
            with obj.collection() as col:
                report = import_anki(
                    package, slug, decks_dir, title=title, replace=replace, one_deck=one_deck, collection=col
                )
        else:
            report = import_anki(package, slug, decks_dir, title=title, replace=replace, one_deck=one_deck)
    except KeyboardInterrupt:
        raise click.ClickException("import interrupted: nothing was imported") from None
    for path in report.paths:
        click.echo(f"Wrote {path}")
    click.echo(f"{report.cards} cards, {report.media} images")
    if report.default_concept_cards:
        click.echo(f"{report.default_concept_cards} card(s) had no known concept: set to problem-framing")
    if report.summary():
        click.echo(report.summary())
    if with_progress:
        click.echo(
            f"Progress: {report.answers} answers replayed, {len(set(report.suspended))} cards suspended"
        )


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
