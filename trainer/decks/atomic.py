"""Files of a deck folder changed in one step, even across a crash.

One file is replaced by `write_atomically`. The files of an import (deck files, some replacing
files already there, and new images) are moved in under an `ImportJournal`: a JSON file in the
deck folder (`.import-<id>.journal`), written and flushed to disk before the first file is
touched, that names every file the import stages, backs up, moves in or creates. The import then
ends in one of two ways, and a crash before either leaves the journal for `recover_imports`:

- `finish` once the import has committed: the journal is renamed `.import-<id>.done` (the
  commit of an import with no database), then the backups and it are removed;
- `roll_back` otherwise: the new files are removed, the backups moved back over the files they
  replaced, and the journal removed.

An import whose files go with a database transaction (`decided_by_database`) commits with it:
the caller records the journal's id in that transaction, and recovery asks the database.

While an import runs it holds a shared `flock` on the deck folder; `recover_imports` takes it
exclusively without waiting, so a journal is only ever settled when no import into that folder
is alive (the kernel drops the lock of a killed process). Every step of both endings tolerates
having been done before, so a recovery killed midway is simply run again. Where `flock` does
not exist (Windows) a journal is settled without that check.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trainer.errors import TrainerError

try:
    import fcntl
except ImportError:  # Windows: no locks, journals are settled unchecked
    fcntl = None  # type: ignore[assignment]

JOURNAL_PATTERN = ".import-*.journal"
DONE_PATTERN = ".import-*.done"
UNWRITTEN_JOURNAL_PATTERN = ".import-*.journal.*.tmp"


def write_atomically(path: Path, data: str | bytes) -> None:
    """Replace `path` (making its folder if need be) with `data`, text written as UTF-8, in one
    step: staged in a file of its own beside it, flushed to disk and moved into place, so a
    reader sees the old file or the new, never half of one. A replaced file keeps its
    permissions; a new one gets those any new file gets (the umask's). Raises OSError, leaving
    `path` as it was and no staged file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        kept = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        kept = None
    try:
        with open(staged, "xb") as file:
            if kept is not None:
                os.chmod(staged, kept)
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


def sync_folder(folder: Path) -> None:
    """Flush `folder`'s entries (files created, moved or removed in it) to disk, where the
    platform allows it."""
    if fcntl is None or not folder.is_dir():
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _folder_lock(folder: Path, exclusive: bool) -> Iterator[bool]:
    """Hold a `flock` on `folder` itself: shared (waiting for it) or exclusive (not waiting);
    yields whether it is held."""
    if fcntl is None:
        yield True
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)  # drops the lock


@dataclass(frozen=True)
class Move:
    """A deck file an import stages beside its target and moves over it; `backup` is where the
    target's earlier contents are kept, None when the target is new."""

    staged: str
    target: str
    backup: str | None


@dataclass
class ImportJournal:
    """One import's record of the files it changes in `folder` (paths relative to it)."""

    folder: Path
    id: str
    moves: list[Move]
    created: list[str] = field(default_factory=list)
    """Files the import creates directly (images), none of them there before."""
    made_folders: list[str] = field(default_factory=list)
    """Folders the import creates, removed again on a roll back if empty."""
    decided_by_database: bool = False
    """Whether the import commits with a database transaction that records its id."""
    _lock: contextlib.ExitStack | None = None

    @property
    def path(self) -> Path:
        """The journal file."""
        return self.folder / f".import-{self.id}.journal"

    @property
    def done_path(self) -> Path:
        """The journal's name once the import has committed."""
        return self.folder / f".import-{self.id}.done"

    @classmethod
    def begin(
        cls,
        folder: Path,
        moves: Sequence[tuple[Path, Path]],
        created: Sequence[Path] = (),
        made_folders: Sequence[Path] = (),
        *,
        decided_by_database: bool = False,
    ) -> ImportJournal:
        """Take the folder's shared lock and write the journal of an import that moves each
        (staged, target) pair of `moves` into place and creates `created`; returns once the
        journal is on disk. The caller then stages, calls `back_up`, moves, and ends with
        `finish` or `roll_back`."""
        lock = contextlib.ExitStack()
        lock.enter_context(_folder_lock(folder, exclusive=False))
        import_id = secrets.token_hex(8)
        journal = cls(
            folder,
            import_id,
            [
                Move(
                    staged.name,
                    target.name,
                    f".{target.name}.{import_id}.backup" if target.exists() else None,
                )
                for staged, target in moves
            ],
            [str(path.relative_to(folder)) for path in created],
            [str(path.relative_to(folder)) for path in made_folders],
            decided_by_database,
            lock,
        )
        try:
            record = {
                "id": import_id,
                "moves": [vars(m) for m in journal.moves],
                "created": journal.created,
                "made_folders": journal.made_folders,
                "decided_by_database": decided_by_database,
            }
            write_atomically(journal.path, json.dumps(record, indent=1))
            sync_folder(folder)
        except BaseException:
            lock.close()
            raise
        return journal

    @classmethod
    def read(cls, path: Path) -> ImportJournal:
        """The journal stored in `path` (not locked: for `recover_imports`)."""
        record = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            path.parent,
            record["id"],
            [Move(**move) for move in record["moves"]],
            list(record["created"]),
            list(record["made_folders"]),
            bool(record["decided_by_database"]),
        )

    def back_up(self) -> None:
        """Copy every target about to be replaced to its backup, flushed to disk."""
        for move in self.moves:
            if move.backup is not None:
                write_atomically(self.folder / move.backup, (self.folder / move.target).read_bytes())
        sync_folder(self.folder)

    def moved(self) -> None:
        """Flush the moves to disk, so that an import committed next cannot lose its files."""
        sync_folder(self.folder)
        for name in self.made_folders:
            sync_folder(self.folder / name)

    def finish(self) -> None:
        """The import committed: mark the journal done, then remove the backups and it."""
        if self.path.exists():
            os.replace(self.path, self.done_path)
            sync_folder(self.folder)
        for move in self.moves:
            (self.folder / move.staged).unlink(missing_ok=True)
            if move.backup is not None:
                (self.folder / move.backup).unlink(missing_ok=True)
        self._close()

    def roll_back(self) -> None:
        """The import did not commit: put every file back as it was before it began (backups
        moved back over what replaced them, new files removed), then remove the journal. Goes
        on past a file it cannot restore, then raises OSError, keeping the journal."""
        failed: list[str] = []

        def attempt(action: Callable[..., object], *paths: Path) -> None:
            try:
                action(*paths)
            except OSError as exc:
                failed.append(str(exc))

        folder = self.folder
        for move in self.moves:
            if move.backup is None:
                attempt(_remove, folder / move.target)
            elif (folder / move.backup).exists():
                # A missing backup: the target was never replaced, or has been restored already.
                attempt(os.replace, folder / move.backup, folder / move.target)
            attempt(_remove, folder / move.staged)
        for name in self.created:
            attempt(_remove, folder / name)
        for name in [m.backup for m in self.moves if m.backup] + self.created:
            for leftover in (folder / name).parent.glob(f".{Path(name).name}.*.tmp"):
                attempt(_remove, leftover)  # staged by a write_atomically the crash cut short
        for name in self.made_folders:
            attempt(_remove_if_empty, folder / name)
        if failed:
            self._release()
            raise OSError("could not put the deck folder back: " + "; ".join(failed))
        self._close()

    def _close(self) -> None:
        self.path.unlink(missing_ok=True)
        self.done_path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            sync_folder(self.folder)
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if not any(folder.iterdir()):
            folder.rmdir()


def pending_imports(folder: Path) -> list[Path]:
    """The journals of imports into `folder` that have not ended (running, or left by a crash)."""
    if not folder.is_dir():
        return []
    return sorted([*folder.glob(JOURNAL_PATTERN), *folder.glob(DONE_PATTERN)])


def recover_imports(folder: Path, committed: Callable[[str], bool] | None = None) -> list[str]:
    """Settle every journal a crashed import left in `folder`: `finish` one marked done, or
    decided by the database when `committed(id)` says its transaction committed; `roll_back`
    any other. Without `committed` (a writer with no database) a journal the database decides
    raises `TrainerError`, as does any journal while another import into the folder is running
    (then, with `committed`, everything is left alone: the running import ends its own journal
    and the others are settled next time). Returns the ids settled. Raises OSError if a file
    cannot be put back (its journal stays, to be settled next time)."""
    unwritten = sorted(folder.glob(UNWRITTEN_JOURNAL_PATTERN)) if folder.is_dir() else []
    if not pending_imports(folder) and not unwritten:
        return []
    settled = []
    with _folder_lock(folder, exclusive=True) as alone:
        if not alone:
            if committed is None:
                raise TrainerError(f"another import into {folder} is running; try again when it has ended")
            return []
        for path in unwritten:  # an import killed while writing its journal changed nothing else
            path.unlink(missing_ok=True)
        for path in pending_imports(folder):
            journal, done = ImportJournal.read(path), path.suffix == ".done"
            if not done and journal.decided_by_database and committed is None:
                raise TrainerError(
                    f"an import into {folder} was cut short; sync that folder (`trainer sync --decks "
                    f"{folder}`) with the collection it went to, to finish or undo it first"
                )
            if done or (journal.decided_by_database and committed is not None and committed(journal.id)):
                journal.finish()
            else:
                journal.roll_back()
            settled.append(journal.id)
    return settled
