"""`trainer serve` behind a TLS reverse proxy: the proxy's headers reach the app only when trusted."""

from __future__ import annotations

import http.client
import json
import signal
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.cli.test_serve import start, stop
from tests.conftest import NOW
from trainer import Collection
from trainer.accounts.users import Accounts

ALICE = ("alice", "violet tractor quantum lemon")


def _request(
    port: int, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> tuple[http.client.HTTPResponse, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def _get(port: int, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    return _request(port, "GET", path, headers)[0]


def _log_in(port: int, name: str, password: str, forwarded_for: str) -> int:
    """A fresh client posts the login form through the proxy; returns the status."""
    headers = {"X-Forwarded-For": forwarded_for}
    response, body = _request(port, "GET", "/api/csrf", headers)
    cookie = SimpleCookie(response.headers["Set-Cookie"])
    headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in cookie.items())
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    form = urlencode({"csrf_token": json.loads(body)["csrf_token"], "name": name, "password": password})
    return _request(port, "POST", "/login", headers, form)[0].status


def _accounts_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    with Collection.open(url) as col:
        Accounts(col.engine).create(*ALICE, now=NOW)
    return url


def test_proxies_makes_cookies_secure_and_throttles_each_client_apart(tmp_path: Path) -> None:
    url = _accounts_db(tmp_path)
    server, port = start(url, tmp_path / "home", "--accounts", "--proxies", "1")
    try:
        tls = _get(port, "/login", {"X-Forwarded-Proto": "https"})
        assert "Secure" in tls.headers["Set-Cookie"]
        assert tls.headers["Strict-Transport-Security"].startswith("max-age=")
        plain = _get(port, "/login", {})
        assert "Secure" not in plain.headers["Set-Cookie"]
        assert "Strict-Transport-Security" not in plain.headers
        # One client guessing many names is stopped by the per-address limit (20 failures).
        for i in range(20):
            assert _log_in(port, f"guess{i}", "not the password at all", "198.51.100.7") == 401
        assert _log_in(port, *ALICE, "198.51.100.7") == 429
        # Another client behind the same proxy is not locked out by the first one's failures.
        assert _log_in(port, *ALICE, "203.0.113.9") == 303
    finally:
        stop(server, signal.SIGINT)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_without_proxies_forwarded_headers_are_ignored(tmp_path: Path, workers: str) -> None:
    # gunicorn (--workers 2) believes X-Forwarded-Proto from loopback peers unless told not to.
    url = _accounts_db(tmp_path)
    server, port = start(url, tmp_path / "home", "--accounts", "--workers", workers)
    try:
        claimed = _get(port, "/login", {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"})
        assert "Secure" not in claimed.headers["Set-Cookie"]
        assert "Strict-Transport-Security" not in claimed.headers
    finally:
        stop(server, signal.SIGINT)


def test_secure_cookies_flag(tmp_path: Path) -> None:
    url = _accounts_db(tmp_path)
    server, port = start(url, tmp_path / "home", "--accounts", "--secure-cookies")
    try:
        assert "Secure" in _get(port, "/login", {}).headers["Set-Cookie"]
    finally:
        stop(server, signal.SIGINT)
