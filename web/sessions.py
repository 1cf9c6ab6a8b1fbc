"""Session cookies: HttpOnly and SameSite=Lax always, Secure whenever the request came over TLS.

Behind a reverse proxy, PROXY_FIX (the number of proxies in front) makes Flask trust their
X-Forwarded-For, -Proto and -Host headers, so `request.is_secure` and the client address are the
real ones; SESSION_COOKIE_SECURE forces Secure regardless.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from flask import Flask, Request, Response, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

from .memo import BoundedMemo


class TLSAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked Secure when configured or when served over TLS.

    A cookie whose signature has been checked once is remembered with its contents and signing
    time, so the same cookie on the next request (a study session sends the same one every time)
    is not verified and decoded again. Its age is still checked against the session lifetime.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}
        self._opened: BoundedMemo[tuple[URLSafeTimedSerializer, str], tuple[dict[str, Any], float]]
        self._opened = BoundedMemo()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Flask builds a serializer for every request; one per key set does the same work.
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        known = self._opened.get((serializer, cookie))
        if known is not None and 0 <= time.time() - known[1] <= max_age:
            return self.session_class(copy.deepcopy(known[0]))
        try:
            data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        self._opened.remember((serializer, cookie), (copy.deepcopy(data), signed_at.timestamp()))
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if session and not self.should_set_cookie(app, session):
            # Unchanged: Flask would only add the Vary header, after working out every cookie
            # attribute it will not use (and parsing the header set to add one value).
            if session.accessed:
                if "Vary" in response.headers:
                    response.vary.add("Cookie")
                else:
                    response.headers["Vary"] = "Cookie"
            return
        super().save_session(app, session, response)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app) or (has_request_context() and request.is_secure))


def init_app(app: Flask) -> None:
    """Set the cookie flags and, if PROXY_FIX is a positive count, trust that many proxies."""
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.session_interface = TLSAwareSessionInterface()
    proxies = int(app.config.get("PROXY_FIX") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
