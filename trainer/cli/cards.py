"""Commands for one card at a time: `cards add` and `cards edit` (as the web's Add card page)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import click

from trainer import CardDraft
from trainer.cli.base import Context, cli, friendly_errors
from trainer.decks.cardform import fields_not_of
from trainer.model import CardKind, DrillStyle

_OPTIONS = (
    click.option("--prompt", help="The question, or a drill's task (Markdown)."),
    click.option("--answer", help="What a good answer says (Markdown)."),
    click.option("--text", help="A cloze's text, each gap as {{c1::answer}} or {{c1::answer::hint}}."),
    click.option("--why", help="Why the answer is right, shown after it."),
    click.option("--concept", "concepts", multiple=True, help="A concept slug; repeat for several."),
    click.option("--tag", "tags", multiple=True, help="A tag; repeat for several."),
    click.option("--style", type=click.Choice([s.value for s in DrillStyle]), help="A drill's style."),
    click.option("--time-target", "time_target_s", metavar="SECONDS", help="A drill's time target."),
    click.option("--point", "points", multiple=True, help="A drill's rubric point; repeat, in order."),
    click.option("--optional", multiple=True, help="A drill's optional point; repeat for several."),
    click.option("--red-flag", "red_flags", multiple=True, help="A drill's red flag; repeat for several."),
)


def _card_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def _given(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The options given on the command line (an option left out is None or empty); an option
    that is not a field of a `kind` card is a usage error, not silently left out."""
    given = {name: value for name, value in fields.items() if value not in (None, ())}
    stray = fields_not_of(CardKind(kind), given)
    if stray:
        flags = {param.name: param.opts[0] for param in click.get_current_context().command.params}
        options = ", ".join(flags[name] for name in stray)
        raise click.UsageError(f"a {kind} card has no {options}")
    return given


@cli.group()
def cards() -> None:
    """Write cards of your own, or change a card's text (its progress and history stay)."""


@cards.command("add")
@click.argument("kind", type=click.Choice([k.value for k in CardKind]))
@_card_options
@click.pass_obj
@friendly_errors
def add(obj: Context, kind: str, **fields: Any) -> None:
    """Add a card to your own deck, My cards (a deck file in the data folder), synced at once.

    The card is checked by the rules of every deck file; nothing is written if anything is wrong.

    \b
    Example:
        trainer cards add cloze --text "Recall is {{c1::TP / (TP + FN)}}." --concept precision-recall
        trainer cards add fact --prompt "What is AUC?" --answer "Ranking quality." --concept ranking-metrics
    """
    draft = CardDraft.from_text(kind, **_given(kind, fields))
    with obj.collection() as col:
        ids = col.save_card(draft)
    click.echo(f"Added {', '.join(ids)} to My cards.")


@cards.command("edit")
@click.argument("card_id")
@_card_options
@click.pass_obj
@friendly_errors
def edit(obj: Context, card_id: str, **fields: Any) -> None:
    """Change the fields given of CARD_ID (a list option given replaces the whole list); the card
    keeps its id, progress and history. A bundled card's edit is written into its deck file.

    \b
    Example:
        trainer cards edit fin-fraud-base-rate --answer "Well under 1% of transactions."
    """
    with obj.collection() as col:
        kind = col.card_draft(card_id).kind
        given = CardDraft.from_text(kind, **_given(kind, fields))
        changes = {name: getattr(given, name) for name in _given(kind, fields)}
        ids = col.save_card(dataclasses.replace(col.card_draft(card_id), **changes), card_id)
    click.echo(f"Saved {card_id}" + (f" (cards {', '.join(ids)})." if len(ids) > 1 else "."))
