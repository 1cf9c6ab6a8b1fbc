"""Accounts on the web: log in, log out, sign up, change password, and the per-request check.

Only active when the app's ACCOUNTS config is true. Each request then carries a signed session
with the learner's id and the session epoch it was issued under; `load_learner` checks both
against the database and gives the request that learner's `Collection`, so no view ever takes a
learner from the request itself. A session unused for SESSION_IDLE_MINUTES (120 by default)
ends: its next request must log in again. Without ACCOUNTS, every request is the app's one learner.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from trainer import Collection
from trainer.accounts.users import Account, AccountError, Accounts, LoginRefused, LoginThrottled

from .context import ACCOUNT, EXTENSION, LEARNER_COLLECTION, accounts_on, now

bp = Blueprint("auth", __name__)
ACCOUNTS_EXTENSION = "trainer_accounts"
CACHE_EXTENSION = "trainer_learner_collections"
CACHED_LEARNERS = 1024
_cache_lock = threading.Lock()
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.signup", "static", "api.csrf_token"})
IDLE_MINUTES = 120
SEEN_EVERY_MINUTES = 5


def accounts() -> Accounts:
    """The app's account system."""
    return current_app.extensions[ACCOUNTS_EXTENSION]  # type: ignore[no-any-return]


def _address() -> str:
    return request.remote_addr or "unknown"


def _start_session(account: Account) -> None:
    """A fresh session: nothing from before (CSRF token included) survives a login."""
    session.clear()
    session["learner_id"] = account.id
    session["epoch"] = account.session_epoch
    session["sid"] = secrets.token_urlsafe(16)
    session["seen"] = _minute()


def _minute() -> int:
    """The current minute, counted from the epoch, by the app's clock."""
    return int(now().timestamp()) // 60


def _idle_too_long() -> bool:
    """Whether the session has been idle past SESSION_IDLE_MINUTES; else marks it seen. The mark
    is renewed at most every few minutes, so most requests send the same cookie back."""
    seen, minute = session.get("seen"), _minute()
    limit = int(current_app.config.get("SESSION_IDLE_MINUTES") or IDLE_MINUTES)
    if not isinstance(seen, int) or minute - seen > limit:
        return True
    if minute - seen >= SEEN_EVERY_MINUTES:
        session["seen"] = minute
    return False


def safe_next(target: str | None) -> str:
    """`target` if it is a path on this site, else the Today page. Browsers drop tabs and line
    breaks inside URLs and read a backslash as a slash, so `/%09/evil.example` (a tab, decoded)
    would leave the site: any control character, white space or backslash refuses the target."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and all(ch.isprintable() and not ch.isspace() for ch in target)
        and "\\" not in target
    ):
        return target
    return url_for("study.today")


def load_learner() -> Any:
    """Before each request: bind the logged-in learner's collection, or send them to log in."""
    if not accounts_on() or request.endpoint in PUBLIC_ENDPOINTS or request.routing_exception is not None:
        return None
    learner_id, epoch = session.get("learner_id"), session.get("epoch")
    account = None
    if isinstance(learner_id, int) and isinstance(epoch, int) and not _idle_too_long():
        account = accounts().session_valid(learner_id, epoch)
    if account is None:
        session.clear()
        if request.path.startswith("/api/"):
            return jsonify({"error": "log in first", "problems": []}), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")), code=303)
    g.setdefault(ACCOUNT, account)
    g.setdefault(LEARNER_COLLECTION, _learner_collection(account))
    return None


def _learner_collection(account: Account) -> Collection:
    """The learner's collection, kept between requests in this process and rebuilt when their
    settings were saved since (perhaps by another worker process)."""
    cache: OrderedDict[int, tuple[datetime | None, Collection]] = current_app.extensions[CACHE_EXTENSION]
    with _cache_lock:
        cached = cache.get(account.id)
        if cached is not None and cached[0] == account.settings_saved_at:
            cache.move_to_end(account.id)
            return cached[1]
    engine = current_app.extensions[EXTENSION].engine
    col = Collection(engine, account.id, account.name)
    with _cache_lock:
        cache[account.id] = (account.settings_saved_at, col)
        while len(cache) > CACHED_LEARNERS:
            cache.popitem(last=False)
    return col


def _login_page(status: int = 200, **extra: Any) -> Any:
    open_signup = bool(current_app.config.get("OPEN_SIGNUP"))
    return render_template("auth_login.html", open_signup=open_signup, **extra), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; a right name and password start a fresh session."""
    if not accounts_on():
        abort(404)
    next_url = request.values.get("next")
    if request.method == "GET":
        return _login_page(next_url=next_url)
    name = request.form.get("name", "")
    try:
        account = accounts().authenticate(name, request.form.get("password", ""), _address(), now())
    except LoginThrottled as exc:
        body, status = _login_page(429, error=str(exc), name=name, next_url=next_url)
        return body, status, {"Retry-After": str(exc.retry_after)}
    except LoginRefused as exc:
        return _login_page(401, error=str(exc), name=name, next_url=next_url)
    _start_session(account)
    return redirect(safe_next(next_url), code=303)


@bp.post("/logout")
def logout() -> Response:
    """End the session: this cookie, and every other session of the account, stop working."""
    if not accounts_on():
        abort(404)
    account: Account = g.get(ACCOUNT)
    accounts().end_sessions(account.id)
    session.clear()
    return redirect(url_for("auth.login"), code=303)


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Any:
    """Create an account with an invite code (or without, if the host opened sign-up)."""
    if not accounts_on():
        abort(404)
    open_signup = bool(current_app.config.get("OPEN_SIGNUP"))
    form = request.form if request.method == "POST" else request.args
    values = {"name": form.get("name", ""), "invite": form.get("invite", "")}
    if request.method == "GET":
        return render_template("auth_signup.html", open_signup=open_signup, values=values, errors={})
    password = request.form.get("password", "")
    errors: dict[str, list[str]] = {}
    if password != request.form.get("confirm", ""):
        errors["confirm"] = ["does not match the password"]
    try:
        if errors:
            raise AccountError("The account was not created", [])
        account = accounts().sign_up(
            values["name"],
            password,
            invite=values["invite"],
            open_signup=open_signup,
            now=now(),
            address=_address(),
        )
    except LoginThrottled as exc:
        page = render_template(
            "auth_signup.html", open_signup=open_signup, values=values, errors={"": [str(exc)]}
        )
        return page, 429, {"Retry-After": str(exc.retry_after)}
    except AccountError as exc:
        for problem in exc.problems:
            errors.setdefault(problem.field or "", []).append(problem.message)
        page = render_template("auth_signup.html", open_signup=open_signup, values=values, errors=errors)
        return page, 400
    _start_session(account)
    return redirect(url_for("study.today"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> Any:
    """Change the password; every other session of the account ends, this one continues."""
    if not accounts_on():
        abort(404)
    if request.method == "GET":
        return render_template("auth_password.html", errors={})
    account: Account = g.get(ACCOUNT)
    new = request.form.get("new", "")
    errors: dict[str, list[str]] = {}
    try:
        if new != request.form.get("confirm", ""):
            errors["confirm"] = ["does not match the new password"]
            raise AccountError("The password was not changed", [])
        current = request.form.get("current", "")
        epoch = accounts().change_password(account.id, current, new, now=now(), address=_address())
    except LoginThrottled as exc:
        page = render_template("auth_password.html", errors={"current": [str(exc)]})
        return page, 429, {"Retry-After": str(exc.retry_after)}
    except AccountError as exc:
        for problem in exc.problems:
            field = "new" if problem.field == "password" else problem.field or ""
            errors.setdefault(field, []).append(problem.message)
        return render_template("auth_password.html", errors=errors), 400
    _start_session(Account(**{**account.__dict__, "session_epoch": epoch}))
    return redirect(url_for("study.today"), code=303)


def _template_account() -> dict[str, Any]:
    return {"current_account": g.get(ACCOUNT), "accounts_on": accounts_on()}


def init_app(app: Flask, engine: Any) -> None:
    """Turn accounts on for `app` when its ACCOUNTS config is true."""
    app.context_processor(_template_account)
    app.register_blueprint(bp)
    if app.config.get("ACCOUNTS"):
        app.extensions[ACCOUNTS_EXTENSION] = Accounts(engine)
        app.extensions[CACHE_EXTENSION] = OrderedDict()
        app.before_request(load_learner)
