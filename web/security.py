"""CSRF protection, the secret key kept in the data folder, and security headers."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

SECRET_FILE = "web-secret-key"
csrf = CSRFProtect()

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
    return response


def init_app(app: Flask) -> None:
    """Protect every state-changing request with a CSRF token and add the security headers."""
    csrf.init_app(app)
    app.after_request(_add_headers)
