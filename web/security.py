"""The request guards: the Host check of the login-free local server, CSRF protection, the
secret key kept in the data folder, and security headers."""

from __future__ import annotations

import hmac
import os
import secrets
import time
from pathlib import Path

from flask import Flask, Response, abort, current_app, g, request, session
from flask_wtf.csrf import CSRFProtect, ValidationError, validate_csrf

from trainer.accounts.serving import local_host_allowed

from .memo import BoundedMemo

SECRET_FILE = "web-secret-key"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CSRFProtection(CSRFProtect):
    """Flask-WTF's CSRF protection, which remembers the header tokens it has verified.

    A study session sends the same X-CSRFToken with every answer. Once Flask-WTF has checked a
    token's signature, later requests with it only compare the token it carries with the
    session's, as Flask-WTF does after the signature check. Forms that carry a token of their
    own (Flask-WTF checks that one first), tokens that expire (WTF_CSRF_TIME_LIMIT set) and
    requests over TLS, where Flask-WTF also checks the referrer, always take Flask-WTF's full
    check.
    """

    def __init__(self) -> None:
        super().__init__()
        self._verified: BoundedMemo[tuple[object, str], str] = BoundedMemo()

    def protect(self, apply_exemptions: bool = False) -> None:
        """Validate CSRF on the current request; a failure aborts it with a CSRFError (400)."""
        if self._header_token_verified():
            g.csrf_valid = True
            return
        super().protect(apply_exemptions)

    def _header_token_verified(self) -> bool:
        config = current_app.config
        if (
            request.method not in config["WTF_CSRF_METHODS"]
            or config["WTF_CSRF_TIME_LIMIT"] is not None
            or request.is_secure
            or self._form_carries_token()
        ):
            return False
        token = next(filter(None, map(request.headers.get, config["WTF_CSRF_HEADERS"])), None)
        expected = session.get(config["WTF_CSRF_FIELD_NAME"])
        if not token or not isinstance(expected, str):
            return False
        key = (config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, token)
        carried = self._verified.get(key)
        if carried is None:
            try:
                validate_csrf(token)
            except ValidationError:
                return False
            self._verified.remember(key, expected)
            return True
        return hmac.compare_digest(carried, expected)

    @staticmethod
    def _form_carries_token() -> bool:
        # Flask-WTF checks a form's token before the header's; only form bodies have fields.
        if request.mimetype not in FORM_TYPES:
            return False
        field = current_app.config["WTF_CSRF_FIELD_NAME"]
        return any(key.endswith(field) for key in request.form)


csrf = CSRFProtection()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def load_or_create_secret(folder: Path) -> str:
    """The app's secret key: read from `folder`, or generated once and saved there (mode 0600)."""
    path = folder / SECRET_FILE
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another worker process created it first: every worker must sign with the same key.
        return _wait_for_key(path)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key


def _wait_for_key(path: Path) -> str:
    for _ in range(250):
        key = path.read_text().strip()
        if len(key) == 64:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"the secret key file {path} is empty or damaged; delete it to make a new one")


_HEADER_KEYS = {name.lower(): name for name in HEADERS}


def _add_headers(response: Response) -> Response:
    # One pass over the response's headers: werkzeug's setdefault raises and catches per miss.
    missing = _HEADER_KEYS.keys() - {name.lower() for name, _value in response.headers.items()}
    for key in missing:
        response.headers.add(_HEADER_KEYS[key], HEADERS[_HEADER_KEYS[key]])
    if request.endpoint != "static":
        # Every page, answer and download is the learner's own: no cache, shared or private,
        # may keep a copy.
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        # Served over TLS (directly or by a trusted proxy): browsers keep to https from now on.
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return response


def _check_local_host() -> None:
    # Without accounts (and without hosts named by TRUSTED_HOSTS, which Flask checks itself),
    # only loopback names reach the local learner's data: see `local_host_allowed`.
    config = current_app.config
    if config.get("ACCOUNTS") or config.get("TRUSTED_HOSTS"):
        return
    if not local_host_allowed(request.host):
        abort(400, "This server answers only to localhost or a loopback address in the Host header.")


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(v) for v in value)
    return False


def _refuse_nul() -> None:
    # No text the trainer stores may hold a NUL character (PostgreSQL refuses it outright): a
    # request carrying one anywhere, in its path, query, form or JSON body, is refused whole.
    parts: list[object] = [request.path, list(request.args.items(multi=True))]
    if request.mimetype in FORM_TYPES:
        parts.append(list(request.form.items(multi=True)))
    elif request.is_json:
        parts.append(request.get_json(silent=True))
    if _holds_nul(parts):
        abort(400, "The request holds a NUL character, which no field may contain.")


def init_app(app: Flask) -> None:
    """Refuse a local server's requests for a non-loopback Host, protect every state-changing
    request with a CSRF token and add the security headers."""
    app.before_request(_check_local_host)
    app.before_request(_refuse_nul)
    csrf.init_app(app)
    app.after_request(_add_headers)
