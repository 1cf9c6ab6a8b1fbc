"""Rules for serving the web UI: where it may listen, and the app config for a study group.

Beyond loopback the server needs accounts, or anyone who can reach it studies as the local
learner. Kept here, without Flask, so the CLI and the deployment entry point share one rule.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any

from trainer.errors import TrainerError

LOOPBACK_NAMES = frozenset({"localhost"})
HOW_TO_TURN_ON = (
    "add --accounts (trainer serve --accounts --host {host}), create accounts with "
    "`trainer user add NAME` or invites with `trainer invite`; see the README's "
    "'Study-group deployment'"
)


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback name or address (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The name or address in an HTTP Host header, without its port or IPv6 brackets, lower-case."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host


def local_host_allowed(host_header: str) -> bool:
    """Whether a request to the login-free local server may be answered: only when its Host
    header names a loopback address or `localhost`. A page on another site whose name was made
    to resolve to 127.0.0.1 (DNS rebinding) sends its own name, and is refused."""
    return is_loopback(host_name(host_header))


def check_listen(host: str, accounts: bool, proxies: int = 0) -> None:
    """Raise TrainerError (saying how to turn accounts on) if accounts are off and `host` is
    beyond loopback or reverse proxies (`proxies`) are to be trusted in front."""
    if accounts:
        return
    if not is_loopback(host):
        raise TrainerError(
            f"refusing to listen on {host} without accounts: anyone who can reach it would study "
            f"as you. To serve a study group, {HOW_TO_TURN_ON.format(host=host)}."
        )
    if proxies:
        # A proxy's X-Forwarded-Host replaces the Host the local host check reads: a page on
        # any site, rebound to 127.0.0.1, could send a loopback name in it.
        raise TrainerError(
            "refusing to trust --proxies without accounts: anyone who can reach the proxy would "
            "study as you, and any web page could pass the Host check through X-Forwarded-Host. "
            f"To serve through a proxy, {HOW_TO_TURN_ON.format(host=host)}."
        )


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def config_from_env(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The web app's config for a deployed study-group server, from environment variables:

    TRAINER_DATABASE_URL, TRAINER_DATA_DIR, TRAINER_SECRET_KEY (the same in every worker),
    TRAINER_DECKS (deck folders, separated by the path separator), TRAINER_OPEN_SIGNUP,
    TRAINER_TRUSTED_HOSTS (comma-separated), TRAINER_PROXIES (reverse proxies in front, for
    the client address and https) and TRAINER_SECURE_COOKIES. Accounts are always on.
    """
    env = dict(os.environ if environ is None else environ)
    config: dict[str, Any] = {
        "ACCOUNTS": True,
        "DATABASE_URL": env.get("TRAINER_DATABASE_URL") or None,
        "DATA_DIR": env.get("TRAINER_DATA_DIR") or None,
        "OPEN_SIGNUP": _flag(env.get("TRAINER_OPEN_SIGNUP")),
        "PROXY_FIX": int(env.get("TRAINER_PROXIES") or 0),
        "SESSION_COOKIE_SECURE": _flag(env.get("TRAINER_SECURE_COOKIES")),
    }
    if env.get("TRAINER_SECRET_KEY"):
        config["SECRET_KEY"] = env["TRAINER_SECRET_KEY"]
    if env.get("TRAINER_DECKS"):
        config["DECK_PATHS"] = env["TRAINER_DECKS"].split(os.pathsep)
    hosts = [h.strip() for h in (env.get("TRAINER_TRUSTED_HOSTS") or "").split(",") if h.strip()]
    if hosts:
        config["TRUSTED_HOSTS"] = hosts
    return config
