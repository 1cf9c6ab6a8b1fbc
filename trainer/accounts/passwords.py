"""Password policy and hashing for accounts (OWASP ASVS level 1, V2.1 and V2.4).

Policy: 12 to 128 characters, any characters (spaces and Unicode included, nothing truncated);
refused if it is one of the 30,000 most common leaked passwords bundled with the `zxcvbn`
package, contains the account name, or `zxcvbn` rates it guessable (score below 3 of 4), which
also catches simple variations and repetitions of leaked passwords and dictionary words.

Hashing: Argon2id with a random salt per hash (`argon2-cffi`'s `PasswordHasher` defaults);
verification is constant-time inside the library.
"""

from __future__ import annotations

import contextlib
import threading
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from trainer.errors import Problem

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3
_SCORED_PREFIX = 72
_hasher = PasswordHasher()
_zxcvbn_lock = threading.Lock()


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _guessability_score(password: str, name: str | None) -> int:
    from zxcvbn import zxcvbn

    # zxcvbn keeps the user inputs in a module-level dictionary; one call at a time.
    with _zxcvbn_lock:
        result = zxcvbn(password[:_SCORED_PREFIX], user_inputs=[name] if name else [])
    return int(result["score"])


def password_problems(password: str, name: str | None = None) -> list[Problem]:
    """Every reason `password` is refused for account `name` (empty if it is acceptable)."""
    if len(password) < MIN_LENGTH:
        return [Problem(f"must be at least {MIN_LENGTH} characters long", field="password")]
    if len(password) > MAX_LENGTH:
        return [Problem(f"must be at most {MAX_LENGTH} characters long", field="password")]
    problems = []
    if password.lower() in _common_passwords():
        problems.append(Problem("is a commonly used, leaked password", field="password"))
    if name and name.lower() in password.lower():
        problems.append(Problem("must not contain the account name", field="password"))
    if not problems and _guessability_score(password, name) < MIN_SCORE:
        problems.append(
            Problem(
                "is too easy to guess (common words, names, keyboard patterns or repeats); "
                "a few unrelated words make a strong password",
                field="password",
            )
        )
    return problems


def hash_password(password: str) -> str:
    """A salted Argon2id hash of `password`, in the standard PHC string format."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches `stored_hash`. With no hash, a dummy hash is checked instead,
    so an unknown account costs the same time as a known one, and the answer is False."""
    if stored_hash is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password)
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether `stored_hash` was made with weaker parameters than the current ones."""
    return _hasher.check_needs_rehash(stored_hash)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("a dummy password no account uses")
