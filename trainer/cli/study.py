"""Commands for studying: `review`, `stats` and `optimize`."""

from __future__ import annotations

from pathlib import Path

import click

from trainer.cli.base import Context, chosen_decks, cli, decks_option, friendly_errors, sync_before_study


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
    from trainer.cli.terminal import run_session

    with obj.collection() as col:
        if not no_sync:
            sync_before_study(col, chosen_decks(deck_paths))
        run_session(col, domain=domain, limit=limit, getchar=_terminal_key)


def _terminal_key() -> str:
    """One key press; without a terminal to read from, one clear line instead."""
    try:
        return click.getchar()
    except OSError:
        raise click.ClickException(
            "trainer review reads keys from a terminal, and there is none here; "
            "run it in a terminal, or study in the browser with `trainer serve`"
        ) from None


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
@friendly_errors
def stats(obj: Context, as_json: bool) -> None:
    """Show per-domain progress, weak spots and interview readiness.

    Columns: cards, seen (introduced), mature (stability of 21 days or more), due today,
    late (overdue), 30-day retention of review cards and its review count, mean
    retrievability now, lapses, drill rubric coverage, and the weakness rank (1 = weakest,
    ranked so that a domain with a handful of reviews is not called weak by chance). Then,
    per domain, fact recall beside drill performance (core points covered, answers with a
    red flag, answer time against target) and the drill habits that repeat.

    \b
    Example:
        trainer stats
        trainer stats --json | jq '.domains[0]'
    """
    import json

    from trainer.insights.summary import stats_summary, stats_text

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
    from trainer.insights.optimize import optimize as fit

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
