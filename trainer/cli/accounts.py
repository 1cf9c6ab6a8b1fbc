"""Commands for a study group's accounts: `user add|list|disable` and `invite`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from trainer.cli.base import Context, cli, friendly_errors


@contextmanager
def _accounts(obj: Context) -> Iterator[Any]:
    from trainer.accounts.users import Accounts

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
    from trainer.accounts.users import AccountError

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
