"""An adaptive spaced-repetition trainer for machine-learning interviews.

from trainer import Collection, Rating
col = Collection.open()            # the default SQLite file, the local learner
col.sync_decks(["decks"])
card = col.next_card()
col.answer(card.id, Rating.Good)
"""

from trainer.collection import Collection, DeckInfo, ReviewEntry
from trainer.decks.cardform import CardDraft
from trainer.errors import (
    Conflict,
    DeckError,
    Forbidden,
    NotFound,
    NothingToUndo,
    SettingsError,
    TrainerError,
)
from trainer.model import Card, CardKind, CardState, Memory, Preview, Rating, StudyCard, SyncReport
from trainer.settings import Settings
from trainer.study.drills import DrillAnswer, DrillAnswerError

__all__ = [
    "Card",
    "CardDraft",
    "CardKind",
    "CardState",
    "Collection",
    "Conflict",
    "DeckError",
    "DeckInfo",
    "DrillAnswer",
    "DrillAnswerError",
    "Forbidden",
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
