"""Errors the trainer raises; front ends turn them into clean messages."""

from __future__ import annotations

from dataclasses import dataclass


class TrainerError(Exception):
    """Base class for every error a user can cause and a front end should report plainly."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        elif self.field:
            where = f"{self.field}: "
        return where + self.message


class ProblemsError(TrainerError):
    """An input failed validation; `problems` lists every problem found, not just the first."""

    def __init__(self, summary: str, problems: list[Problem]):
        self.summary = summary
        self.problems = list(problems)
        super().__init__(summary + "\n" + "\n".join(f"  {p}" for p in self.problems))


class DeckError(ProblemsError):
    """One or more deck files are invalid; nothing from them was applied."""


class SettingsError(ProblemsError):
    """One or more settings are invalid; nothing was saved."""


class NotFound(TrainerError):
    """The card, learner or review asked for does not exist (for this learner)."""


class Forbidden(TrainerError):
    """The learner may not make this change (in a study group, shared decks are the admins')."""


class Conflict(TrainerError):
    """The request no longer matches the stored state (a stale answer, a double submit)."""


class NothingToUndo(TrainerError):
    """There is no answer left to undo."""


class NeedsConfirmation(TrainerError):
    """The change would discard more than a few things, so nothing was done; `count` says how
    many. Front ends ask the learner and repeat the call with the limit lifted."""

    def __init__(self, message: str, count: int):
        self.count = count
        super().__init__(message)
