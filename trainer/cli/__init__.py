"""The `trainer` command: a thin click layer over `trainer.Collection`.

Errors a user can cause become one clear line and a non-zero exit, never a traceback. Each
command group lives in its own module; importing them registers their commands on `cli`.
"""

from __future__ import annotations

import sys

import click

from trainer.cli import (  # noqa: F401  (registers commands)
    accounts,
    cards,
    decks,
    exchange,
    search,
    serve,
    storage,
    study,
)
from trainer.cli.base import cli


def main() -> None:
    """Entry point for the `trainer` console script."""
    try:
        cli(prog_name="trainer")
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)


__all__ = ["cli", "main"]
