"""Where the trainer keeps its files by default."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "ml-interview-trainer"


def data_dir() -> Path:
    """The trainer's data folder ($TRAINER_HOME, else the platform's user data folder)."""
    override = os.environ.get("TRAINER_HOME")
    return Path(override).expanduser() if override else user_data_path(APP_NAME)


def default_database_url() -> str:
    """The default database: a SQLite file in the data folder."""
    return f"sqlite:///{data_dir() / 'trainer.db'}"


def bundled_decks() -> Path:
    """The decks that ship with the trainer: `decks/` at the top of the source tree."""
    return Path(__file__).resolve().parents[2] / "decks"
