"""An adaptive spaced-repetition trainer for machine-learning interviews.

from trainer import Collection, Rating
col = Collection.open()            # the default SQLite file, the local learner
col.sync_decks(["decks"])
card = col.next_card()
col.answer(card.id, Rating.Good)
"""

from .collection import Collection, DeckInfo, ReviewEntry
from .errors import Conflict, DeckError, NotFound, NothingToUndo, SettingsError, TrainerError
from .model import Card, CardKind, CardState, Memory, Preview, Rating, StudyCard, SyncReport
from .settings import Settings

__all__ = [
    "Card",
    "CardKind",
    "CardState",
    "Collection",
    "Conflict",
    "DeckError",
    "DeckInfo",
    "Memory",
    "NotFound",
    "NothingToUndo",
    "Preview",
    "Rating",
    "ReviewEntry",
    "Settings",
    "SettingsError",
    "StudyCard",
    "SyncReport",
    "TrainerError",
]
