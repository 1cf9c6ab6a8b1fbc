"""Which processes have a SQLite collection open, so a restore never replaces a file that a
running server still writes to.

Every process that opens a collection holds a shared POSIX lock on a file beside the database
(`<name>-inuse.lock`) until its last collection on that file is closed. A restore takes the
lock exclusively, which fails while any other process holds it; on Linux the refusal names
those processes (from /proc/locks). POSIX locks belong to a process, so a process never
blocks itself and forked workers take their own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no check
    fcntl = None  # type: ignore[assignment]

from trainer.errors import TrainerError

_held: dict[Path, tuple[int, int]] = {}  # lock file -> (descriptor, collections open)
_guard = threading.Lock()


class InUse(TrainerError):
    """Another process has the collection open."""


def lock_path(database: Path) -> Path:
    """The lock file beside `database`."""
    return database.with_name(database.name + "-inuse.lock")


def hold(database: Path) -> Path | None:
    """Mark `database` as open by this process until `release`; returns the key to release."""
    if fcntl is None:
        return None
    path = lock_path(database.expanduser().resolve())
    with _guard:
        if path in _held:
            fd, count = _held[path]
            _held[path] = (fd, count + 1)
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.lockf(fd, fcntl.LOCK_SH)
        _held[path] = (fd, 1)
        return path


def release(path: Path | None) -> None:
    """Undo one `hold`; the lock goes when the process's last collection on the file closes."""
    if path is None:
        return
    with _guard:
        if path not in _held:
            return
        fd, count = _held[path]
        if count > 1:
            _held[path] = (fd, count - 1)
            return
        del _held[path]
        os.close(fd)  # closing the descriptor drops the process's lock


def _holders(path: Path) -> list[str]:
    """Other processes holding a lock on `path`, as "process PID (command)" (Linux only)."""
    try:
        inode = path.stat().st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    found: list[str] = []
    for line in lines:
        fields = line.split()
        if len(fields) < 6 or not fields[5].endswith(f":{inode}") or fields[4] == str(os.getpid()):
            continue
        pid = fields[4]
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            command = ""
        short = _command_line(command.split())
        entry = f"process {pid}" + (f" ({short})" if short else "")
        if entry not in found:
            found.append(entry)
    return found


def _command_line(words: list[str], limit: int = 160) -> str:
    """A process's command as a person would type it: the program by its name (a Python script
    by the script's, not the interpreter's), then its arguments, cut to `limit` characters."""
    if len(words) > 1 and Path(words[0]).name.startswith("python") and not words[1].startswith("-"):
        words = words[1:]
    line = " ".join([Path(words[0]).name, *words[1:]]) if words else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


@contextmanager
def exclusive(database: Path, doing: str) -> Iterator[None]:
    """Hold `database` for this process alone while the block runs (`doing` names the work for
    the error); raises InUse, naming the other processes where it can, if any has it open."""
    if fcntl is None:
        yield
        return
    path = lock_path(database.expanduser().resolve())
    with _guard:
        own = _held.get(path)
        fd = own[0] if own else os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            if not own:
                os.close(fd)
            others = _holders(path)
            who = ", ".join(others) if others else "another process"
            raise InUse(f"the collection {database} is in use by {who}: stop it before {doing}") from None
    try:
        yield
    finally:
        with _guard:
            if own:
                fcntl.lockf(fd, fcntl.LOCK_SH)
            else:
                os.close(fd)
