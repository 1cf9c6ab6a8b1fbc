"""The `search` command: Browse's search in the terminal, through the same function."""

from __future__ import annotations

import click

from trainer.cli.base import Context, cli, friendly_errors
from trainer.decks.browse import CardQuery, DueFilter, StateFilter, search_cards
from trainer.decks.render import card_snippet
from trainer.model import CardKind


def _choice(values: list[str]) -> click.Choice:
    return click.Choice(values, case_sensitive=False)


@cli.command()
@click.argument("words", nargs=-1)
@click.option("--deck", metavar="DECK", help="Only this deck (its slug).")
@click.option("--concept", metavar="CONCEPT", help="Only cards tagged with this concept.")
@click.option("--kind", type=_choice([k.value for k in CardKind]))
@click.option("--state", type=_choice([s.value for s in StateFilter]), help="Relearning counts as learning.")
@click.option(
    "--due", type=_choice([d.value for d in DueFilter]), help="Due by the end of today, or overdue."
)
@click.option("--leech/--no-leech", default=None, help="Only leeches, or no leeches.")
@click.option("--suspended/--no-suspended", default=None, help="Only suspended cards, or none.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.pass_obj
@friendly_errors
def search(
    obj: Context,
    words: tuple[str, ...],
    deck: str | None,
    concept: str | None,
    kind: str | None,
    state: str | None,
    due: str | None,
    leech: bool | None,
    suspended: bool | None,
    limit: int,
) -> None:
    """Find cards by words in any order (each must begin a word of the card), best first,
    narrowed by filters that combine.

    \b
    Example:
        trainer search precision recall --state review
        trainer search --due overdue --deck finance
    """
    query = CardQuery(
        text=" ".join(words),
        deck=deck,
        concept=concept,
        kind=CardKind(kind.lower()) if kind else None,
        state=StateFilter(state.lower()) if state else None,
        due=DueFilter(due.lower()) if due else None,
        leech=leech,
        suspended=suspended,
    )
    with obj.collection() as col:
        result = search_cards(col, query, limit=limit)
    for study in result.cards:
        flags = [
            name for name, on in (("suspended", study.memory.suspended), ("leech", study.memory.leech)) if on
        ]
        due_at = f"due {study.memory.due:%Y-%m-%d %H:%M}" if study.memory.due else "new"
        details = ", ".join([study.card.deck, study.card.kind.value, due_at, *flags])
        click.echo(f"{study.id}  ({details})\n    {card_snippet(study.card)}")
    shown = f", showing the first {len(result.cards)}" if result.total > len(result.cards) else ""
    click.echo(f"{result.total} card{'' if result.total == 1 else 's'} found{shown}.")
