"""The host's commands: trainer user add/list/disable, trainer invite, and serve's host rule."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from tests.conftest import NOW, assert_clean_error
from trainer import Collection
from trainer.accounts.serving import check_listen, config_from_env, is_loopback
from trainer.accounts.users import Accounts
from trainer.cli import cli

PASSWORD = "violet tractor quantum lemon"


def run(db: str, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", db, *args], input=input)


def test_user_add_list_disable(db_url: str, open_collection: Callable[..., Collection]) -> None:
    added = run(db_url, "user", "add", "Alice", "--admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert "Created account alice (admin)." in added.output
    piped = run(db_url, "user", "add", "bob", "--password-stdin", input="copper lantern sleepy walrus\n")
    assert piped.exit_code == 0, piped.output
    listed = run(db_url, "user", "list").output
    rows = {line.split()[0]: line.split()[1:4] for line in listed.splitlines()[1:]}
    assert rows == {"alice": ["yes", "yes", "yes"], "bob": ["yes", "no", "yes"], "local": ["yes", "no", "no"]}
    assert "Disabled account bob." in run(db_url, "user", "disable", "bob").output
    accounts = Accounts(open_collection(db_url).engine)
    assert not accounts.get("bob").is_active
    assert "Enabled" in run(db_url, "user", "disable", "bob", "--enable").output
    assert accounts.get("bob").is_active


def test_user_add_refuses_weak_passwords_and_unknown_users_cleanly(db_url: str) -> None:
    weak = run(db_url, "user", "add", "carol", "--password-stdin", input="password1234\n")
    assert_clean_error(weak)
    assert "password: is a commonly used or leaked password" in weak.output
    missing = run(db_url, "user", "disable", "nobody")
    assert missing.exit_code == 1 and "no account named 'nobody'" in missing.output


@pytest.mark.parametrize(
    "password",
    [
        "P@ssw0rd2024!!",
        "correcthorsebatterystaple",
        "Correct-Horse-Battery-Staple-1",
        "correct horse battery staple",
        "Qwerty-uiop-1234!",
        "#1-M0nk3y-2025#",
    ],
)
def test_user_add_refuses_variations_of_known_passwords(sqlite_url: str, password: str) -> None:
    refused = run(sqlite_url, "user", "add", "carol", "--password-stdin", input=f"{password}\n")
    assert_clean_error(refused)
    assert "password: is" in refused.output and "Created account" not in refused.output


def test_invite_prints_a_code_that_signs_up_once(
    db_url: str, open_collection: Callable[..., Collection]
) -> None:
    result = CliRunner().invoke(cli, ["--db", db_url, "invite", "--days", "2"])
    assert result.exit_code == 0, result.output
    code = result.stdout.strip()
    assert len(code) >= 16 and "/signup?invite=" in result.stderr
    accounts = Accounts(open_collection(db_url).engine)
    accounts.sign_up("dora", PASSWORD, invite=code, open_signup=False)
    assert accounts.get("dora").has_password


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "trainer.example.org"])
def test_serve_beyond_loopback_needs_accounts_and_says_how(sqlite_url: str, host: str) -> None:
    result = run(sqlite_url, "serve", "--host", host, "--no-sync")
    assert result.exit_code == 1
    assert f"refusing to listen on {host} without accounts" in result.output
    assert "--accounts" in result.output and "trainer user add" in result.output


def test_the_listen_rule() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"):
        assert is_loopback(host)
        check_listen(host, accounts=False)
    assert not is_loopback("0.0.0.0")
    check_listen("0.0.0.0", accounts=True)


def test_open_signup_needs_accounts(sqlite_url: str) -> None:
    result = run(sqlite_url, "serve", "--open-signup", "--no-sync")
    assert result.exit_code == 1 and "--open-signup needs --accounts" in result.output


def test_deployment_config_from_the_environment() -> None:
    config = config_from_env(
        {
            "TRAINER_DATABASE_URL": "postgresql+psycopg://trainer@db/trainer",
            "TRAINER_TRUSTED_HOSTS": "trainer.example.org, www.trainer.example.org",
            "TRAINER_PROXIES": "1",
            "TRAINER_SECRET_KEY": "k" * 64,
            "TRAINER_OPEN_SIGNUP": "yes",
        }
    )
    assert config["ACCOUNTS"] is True and config["OPEN_SIGNUP"] is True and config["PROXY_FIX"] == 1
    assert config["TRUSTED_HOSTS"] == ["trainer.example.org", "www.trainer.example.org"]
    assert config["SECRET_KEY"] == "k" * 64 and config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    "command", [["user"], ["user", "add"], ["user", "list"], ["user", "disable"], ["invite"]]
)
def test_every_accounts_command_has_help_with_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0 and "Example:" in result.output


def test_accounts_made_in_python_are_listed(db_url: str, open_collection: Callable[..., Collection]) -> None:
    Accounts(open_collection(db_url).engine).create("erin", PASSWORD, now=NOW)
    assert "erin" in run(db_url, "user", "list").output


@pytest.mark.parametrize("workers", ["1", "2"])
def test_proxies_need_accounts(sqlite_url: str, workers: str) -> None:
    # Behind a proxy the login-free server would be anyone's, and X-Forwarded-Host would name
    # a loopback host for a rebound page on any site.
    with socket.socket() as taken:  # were the rule missing, serve would stop here, not run on
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run(sqlite_url, "serve", "--proxies", "1", "--workers", workers, "--port", port, "--no-sync")
    assert result.exit_code == 1, result.output
    assert "refusing to trust --proxies without accounts" in result.output
    assert "--accounts" in result.output and "trainer user add" in result.output
