"""Accounts on a shared database: users, invites, logins and session epochs, without Flask.

Every learner is a row of `learners`; an account is a learner with a password. A learner's
`session_epoch` (table `learner_auth`) is stamped into each session a front end issues; logging
out, changing the password or disabling the account moves it on, which ends every older session.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, Table, insert, select, update

from trainer.accounts import passwords, throttle
from trainer.clock import require_utc
from trainer.errors import NotFound, Problem, ProblemsError, TrainerError
from trainer.storage import store
from trainer.storage.database import read_transaction, write_transaction
from trainer.storage.learners import ensure_learner
from trainer.storage.schema import InviteRow, LearnerAuth

auth: Table = LearnerAuth.__table__  # type: ignore[assignment]
invites: Table = InviteRow.__table__  # type: ignore[assignment]
learners = store.learners
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
RESERVED_NAMES = frozenset({"local"})
LOGIN_REFUSED = "The name or password is wrong, or the account is disabled."
CountedFailures = list[int]  # the throttle's ids of the failures an attempt counted in advance
INVITE_REFUSED = Problem("is unknown, used up or expired", field="invite")


class AccountError(ProblemsError):
    """A name, password or invite was refused; nothing was changed."""


class LoginRefused(TrainerError):
    """The login failed. The message is the same whatever the reason."""

    def __init__(self) -> None:
        super().__init__(LOGIN_REFUSED)


class LoginThrottled(TrainerError):
    """Too many failed password checks or invite codes for this account or address; try again
    in `retry_after` whole seconds."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        wait = f"{retry_after} seconds" if retry_after < 120 else f"{-(-retry_after // 60)} minutes"
        super().__init__(f"Too many failed attempts. Try again in {wait}.")


@dataclass(frozen=True)
class Account:
    """A learner as the account system sees them."""

    id: int
    name: str
    is_active: bool
    is_admin: bool
    has_password: bool
    created_at: datetime
    session_epoch: int
    settings_saved_at: datetime | None = None


def normalize_name(name: str) -> str:
    """The stored form of an account name: trimmed and lower-case."""
    return name.strip().lower()


def name_problems(name: str) -> list[Problem]:
    """Every reason `name` (already normalized) cannot name a new account."""
    if not NAME_PATTERN.fullmatch(name):
        return [
            Problem(
                "must be 2 to 32 characters: letters, digits, '.', '_' or '-', starting with a "
                "letter or digit",
                field="name",
            )
        ]
    if name in RESERVED_NAMES:
        return [Problem(f"{name!r} is reserved for the login-free local learner", field="name")]
    return []


def hash_invite(code: str) -> str:
    """The stored digest of an invite code."""
    return hashlib.sha256(code.strip().encode()).hexdigest()


_ACCOUNT_QUERY = select(
    learners.c.id,
    learners.c.name,
    learners.c.is_active,
    learners.c.is_admin,
    learners.c.password_hash,
    learners.c.created_at,
    auth.c.session_epoch,
    store.learner_settings.c.updated_at.label("settings_saved_at"),
).select_from(
    learners.outerjoin(auth, auth.c.learner_id == learners.c.id).outerjoin(
        store.learner_settings, store.learner_settings.c.learner_id == learners.c.id
    )
)


def _account(row: object) -> Account:
    return Account(
        id=row.id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        is_active=bool(row.is_active),  # type: ignore[attr-defined]
        is_admin=bool(row.is_admin),  # type: ignore[attr-defined]
        has_password=row.password_hash is not None,  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        session_epoch=row.session_epoch or 0,  # type: ignore[attr-defined]
        settings_saved_at=row.settings_saved_at,  # type: ignore[attr-defined]
    )


def _bump_epoch(conn: Connection, learner_id: int, *, password_changed_at: datetime | None = None) -> int:
    current = conn.execute(select(auth.c.session_epoch).where(auth.c.learner_id == learner_id)).scalar()
    values: dict[str, object] = {"session_epoch": (current or 0) + 1}
    if password_changed_at is not None:
        values["password_changed_at"] = password_changed_at
    if current is None:
        conn.execute(insert(auth).values(learner_id=learner_id, **{"password_changed_at": None, **values}))
    else:
        conn.execute(update(auth).where(auth.c.learner_id == learner_id).values(**values))
    return int(values["session_epoch"])  # type: ignore[call-overload]


class Accounts:
    """The accounts of one database (shares the engine; opens no connections of its own)."""

    def __init__(self, engine: Engine, policy: throttle.ThrottlePolicy | None = None):
        self.engine = engine
        self.policy = policy or throttle.ThrottlePolicy()

    # -- reading ------------------------------------------------------------------------------

    def list(self) -> list[Account]:
        """Every learner, accounts and the local learner alike, by name."""
        with read_transaction(self.engine) as conn:
            rows = conn.execute(_ACCOUNT_QUERY.order_by(learners.c.name)).all()
        return [_account(r) for r in rows]

    def get(self, name: str) -> Account:
        """The account named `name`; raises NotFound."""
        with read_transaction(self.engine) as conn:
            row = conn.execute(_ACCOUNT_QUERY.where(learners.c.name == normalize_name(name))).first()
        if row is None:
            raise NotFound(f"no account named {normalize_name(name)!r}")
        return _account(row)

    def by_id(self, learner_id: int) -> Account | None:
        """The account with this learner id, or None."""
        with read_transaction(self.engine) as conn:
            row = conn.execute(_ACCOUNT_QUERY.where(learners.c.id == learner_id)).first()
        return _account(row) if row is not None else None

    def session_valid(self, learner_id: int, epoch: int) -> Account | None:
        """The account if a session stamped with `epoch` still stands (active, not logged out)."""
        account = self.by_id(learner_id)
        if account is None or not account.is_active or not account.has_password:
            return None
        return account if account.session_epoch == epoch else None

    # -- creating and changing ----------------------------------------------------------------

    def create(
        self, name: str, password: str, *, admin: bool = False, now: datetime | None = None
    ) -> Account:
        """Create an account (or give a password to an existing password-less learner of that
        name, keeping their progress). Raises AccountError listing every problem."""
        moment = require_utc(now)
        name = normalize_name(name)
        problems = name_problems(name) + passwords.password_problems(password, name)
        if problems:
            raise AccountError("The account was not created", problems)
        hashed = passwords.hash_password(password)
        with write_transaction(self.engine) as conn:
            self._create(conn, name, hashed, admin, moment)
        return self.get(name)

    def _create(
        self, conn: Connection, name: str, hashed: str, admin: bool, moment: datetime, *, claim: bool = True
    ) -> int:
        """Create the account; with `claim`, a password-less learner of that name gets it."""
        existing = conn.execute(
            select(learners.c.password_hash).where(learners.c.name == name).with_for_update()
        ).first()
        if existing is not None and (existing.password_hash is not None or not claim):
            raise AccountError("The account was not created", [Problem("is already taken", field="name")])
        learner_id = ensure_learner(conn, name)
        conn.execute(
            update(learners)
            .where(learners.c.id == learner_id)
            .values(password_hash=hashed, is_admin=admin, is_active=True)
        )
        _bump_epoch(conn, learner_id, password_changed_at=moment)
        return learner_id

    def set_active(self, name: str, active: bool) -> Account:
        """Disable (ending every session at once) or re-enable an account; raises NotFound."""
        account = self.get(name)
        with write_transaction(self.engine) as conn:
            conn.execute(update(learners).where(learners.c.id == account.id).values(is_active=active))
            _bump_epoch(conn, account.id)
        return self.get(name)

    def change_password(
        self, learner_id: int, current: str, new: str, now: datetime | None = None, *, address: str = ""
    ) -> int:
        """Replace the password after checking the current one; ends every session. Returns the
        new session epoch. The check of the current password is throttled as a login from
        `address` is (LoginThrottled). Raises AccountError naming the field at fault."""
        moment = require_utc(now)
        account = self.by_id(learner_id)
        if account is None:
            raise NotFound("no such account")
        stored, counted = self._begin_attempt(account.name, address, moment)
        if not passwords.verify_password(stored, current):
            raise AccountError(
                "The password was not changed", [Problem("is not your current password", field="current")]
            )
        with write_transaction(self.engine) as conn:
            throttle.withdraw(conn, counted)
        problems = passwords.password_problems(new, account.name)
        if problems:
            raise AccountError("The password was not changed", problems)
        hashed = passwords.hash_password(new)
        with write_transaction(self.engine) as conn:
            conn.execute(update(learners).where(learners.c.id == learner_id).values(password_hash=hashed))
            return _bump_epoch(conn, learner_id, password_changed_at=moment)

    def end_sessions(self, learner_id: int) -> int:
        """End every session of the learner (logout); returns the new epoch."""
        with write_transaction(self.engine) as conn:
            return _bump_epoch(conn, learner_id)

    # -- logging in ---------------------------------------------------------------------------

    def _begin_attempt(self, name: str, address: str, moment: datetime) -> tuple[str | None, CountedFailures]:
        """Check the throttle for a password check of `name` from `address` and count it as a
        failure in advance; returns the stored hash (None for no such account or no password)
        and the failures counted. Raises LoginThrottled."""
        with write_transaction(self.engine) as conn:
            until, counted = throttle.begin_attempt(
                conn, self.policy, throttle.login_keys(name, address), moment
            )
            stored = conn.execute(
                select(learners.c.password_hash).where(learners.c.name == name, learners.c.is_active)
            ).scalar()
        if until is not None:
            raise LoginThrottled(int((until - moment).total_seconds()) + 1)
        return stored, counted

    def authenticate(self, name: str, password: str, address: str, now: datetime | None = None) -> Account:
        """The account if `password` is right and it is active. Raises LoginThrottled while the
        throttle (see `trainer.accounts.throttle`) holds this name or address back, else
        LoginRefused with one message for every cause, after the same password-hashing work
        whether or not the account exists."""
        moment = require_utc(now)
        name = normalize_name(name)
        stored, counted = self._begin_attempt(name, address, moment)
        if not passwords.verify_password(stored, password):
            raise LoginRefused()
        with write_transaction(self.engine) as conn:
            throttle.withdraw(conn, counted)
            keys = throttle.login_keys(name, address)
            throttle.forget(conn, throttle.PAIR, keys[throttle.PAIR])
            throttle.forget(conn, throttle.ACCOUNT, keys[throttle.ACCOUNT])
            if stored is not None and passwords.needs_rehash(stored):
                rehashed = passwords.hash_password(password)
                conn.execute(update(learners).where(learners.c.name == name).values(password_hash=rehashed))
        return self.get(name)

    # -- invites and sign-up ------------------------------------------------------------------

    def create_invite(self, now: datetime | None = None, *, days: int = 7, uses: int = 1) -> str:
        """A new invite code, good for `uses` sign-ups within `days` days. Only its digest is kept."""
        if not 1 <= days <= 365 or not 1 <= uses <= 1000:
            raise TrainerError("an invite lasts 1 to 365 days and allows 1 to 1000 sign-ups")
        moment = require_utc(now)
        code = secrets.token_urlsafe(12)
        with write_transaction(self.engine) as conn:
            conn.execute(
                insert(invites).values(
                    code_hash=hash_invite(code),
                    created_at=moment,
                    expires_at=moment + timedelta(days=days),
                    uses_left=uses,
                )
            )
        return code

    def sign_up(
        self,
        name: str,
        password: str,
        *,
        invite: str | None,
        open_signup: bool,
        now: datetime | None = None,
        address: str = "",
    ) -> Account:
        """Create an account by invite code (used up atomically) or, when `open_signup`, without
        one. Raises AccountError listing every problem; nothing is changed then.

        Without open sign-up the invite is checked first: until it is valid, no other problem
        is reported (nobody learns which names are taken) and no password is hashed. A refused
        invite counts against `address` in the login throttle, and an address the throttle
        holds back gets LoginThrottled. A name already used by any learner is taken, even one
        without a password (only `create`, for the host, gives such a learner a password)."""
        moment = require_utc(now)
        name = normalize_name(name)
        code = (invite or "").strip()
        if not open_signup and not code:
            raise AccountError(
                "The account was not created",
                [Problem("an invite code is needed to sign up", field="invite")],
            )
        with write_transaction(self.engine) as conn:
            until, counted = throttle.begin_attempt(conn, self.policy, {throttle.ADDRESS: address}, moment)
            valid = until is None and (open_signup or self._invite(conn, code, moment) is not None)
        if until is not None:
            raise LoginThrottled(int((until - moment).total_seconds()) + 1)
        if not valid:
            raise AccountError("The account was not created", [INVITE_REFUSED])
        with write_transaction(self.engine) as conn:
            throttle.withdraw(conn, counted)
        problems = name_problems(name) + passwords.password_problems(password, name)
        if problems:
            raise AccountError("The account was not created", problems)
        hashed = passwords.hash_password(password)
        with write_transaction(self.engine) as conn:
            if not open_signup:
                self._use_invite(conn, code, moment)
            self._create(conn, name, hashed, False, moment, claim=False)
        return self.get(name)

    @staticmethod
    def _invite(conn: Connection, code: str, moment: datetime, *, lock: bool = False) -> int | None:
        """The id of a usable invite with this code, or None."""
        query = select(invites.c.id).where(
            invites.c.code_hash == hash_invite(code), invites.c.uses_left > 0, invites.c.expires_at > moment
        )
        return conn.execute(query.with_for_update() if lock else query).scalar()

    def _use_invite(self, conn: Connection, code: str, moment: datetime) -> None:
        invite_id = self._invite(conn, code, moment, lock=True)
        if invite_id is None:
            raise AccountError("The account was not created", [INVITE_REFUSED])
        conn.execute(
            update(invites).where(invites.c.id == invite_id).values(uses_left=invites.c.uses_left - 1)
        )
