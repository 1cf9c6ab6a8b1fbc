"""What the learner is told after an answer, in words: "Good: back in 10 minutes."."""

from __future__ import annotations

from datetime import datetime

from trainer.model import Memory, Rating

DAY = 86400.0
UNITS = (
    ("year", 365 * 86400.0),
    ("month", 30 * 86400.0),
    ("day", 86400.0),
    ("hour", 3600.0),
    ("minute", 60.0),
)


def spoken_interval(seconds: float) -> str:
    """An interval as words, rounded to its largest unit: "1 minute", "10 minutes", "3 hours",
    "4 days", "2.5 months", "1.2 years"; under a minute is "under a minute"."""
    for name, size in UNITS:
        if seconds >= size:
            amount = seconds / size
            text = f"{amount:.1f}".rstrip("0").rstrip(".") if size > DAY else str(round(amount))
            return f"{text} {name}" + ("" if text == "1" else "s")
    return "under a minute"


SUSPENDED = "Suspended: this card stays out of your reviews until you unsuspend it."
UNSUSPENDED = "Unsuspended: this card is back in your reviews."


def answer_feedback(rating: Rating, after: Memory, moment: datetime) -> str:
    """One sentence on what an answer did: the rating and when the card comes back."""
    if after.due is None:
        return f"{rating.name}: recorded."
    wait = (after.due - moment).total_seconds()
    return f"{rating.name}: back in {spoken_interval(wait)}."
