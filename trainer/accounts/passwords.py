"""Password policy and hashing for accounts (OWASP ASVS level 1, V2.1 and V2.4).

Policy: 12 to 128 characters, any characters (spaces and Unicode included, nothing truncated).
Refused when:

- it is, or a simple variation of it is, a known password: one of the 30,000 most common
  leaked passwords bundled with the `zxcvbn` package, or one published as an example of a
  strong password (`data/example-passwords.txt`). Variations undone before the look-up: case,
  look-alike characters (`P@ssw0rd` is `password`), digits and symbols added at either end
  (`password2024!!`), and the separators between words;
- it contains the account name;
- `zxcvbn`, given the account name, rates it guessable (score below 3 of 4), as written and
  with its spaces taken out (zxcvbn counts a space as an unknown character, which flatters
  common words written apart).

Hashing: Argon2id with a random salt per hash (`argon2-cffi`'s `PasswordHasher` defaults);
verification is constant-time inside the library.
"""

from __future__ import annotations

import contextlib
import re
import threading
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from trainer.errors import Problem

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3
_SCORED_PREFIX = 72
_hasher = PasswordHasher()
_zxcvbn_lock = threading.Lock()
_LOOK_ALIKES = (str.maketrans("@4830$5!7+|1", "aabeossittli"), str.maketrans("@4830$5!7+|1", "aabeossittll"))
_AFFIXES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_SEPARATORS = re.compile(r"[\s._-]+")


@cache
def _known_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    examples = resources.files("trainer.accounts").joinpath("data/example-passwords.txt").read_text()
    published = {line.strip() for line in examples.splitlines() if line.strip() and not line.startswith("#")}
    return frozenset(FREQUENCY_LISTS["passwords"]) | published


def _variations(password: str) -> set[str]:
    """The password lower-cased, then with each simple variation undone in turn (affixed digits
    and symbols, look-alike characters, word separators), keeping every intermediate form."""
    steps = (
        lambda form: {_AFFIXES.sub("", form)},
        lambda form: {form.translate(table) for table in _LOOK_ALIKES},
        lambda form: {_AFFIXES.sub("", form)},
        lambda form: {_SEPARATORS.sub("", form)},
    )
    forms = {password.lower()}
    for step in steps:
        forms |= {undone for form in forms for undone in step(form)}
    return forms - {""}


def _guessability_score(password: str, name: str | None) -> int:
    from zxcvbn import zxcvbn

    # zxcvbn keeps the user inputs in a module-level dictionary; one call at a time.
    with _zxcvbn_lock:
        forms = {password[:_SCORED_PREFIX], _SEPARATORS.sub("", password)[:_SCORED_PREFIX]}
        return min(int(zxcvbn(form, user_inputs=[name] if name else [])["score"]) for form in forms)


def password_problems(password: str, name: str | None = None) -> list[Problem]:
    """Every reason `password` is refused for account `name` (empty if it is acceptable)."""
    if len(password) < MIN_LENGTH:
        return [Problem(f"must be at least {MIN_LENGTH} characters long", field="password")]
    if len(password) > MAX_LENGTH:
        return [Problem(f"must be at most {MAX_LENGTH} characters long", field="password")]
    problems = []
    if _variations(password) & _known_passwords():
        problems.append(
            Problem("is a commonly used or leaked password, or a simple variation of one", field="password")
        )
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
