"""How the Settings page shows each setting: its group, label, help text and kind of input."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from zoneinfo import available_timezones

from trainer import Settings


@dataclass(frozen=True)
class Field:
    """One setting's form field. `kind` picks the input: date, whole (a whole number), decimal,
    steps (numbers separated by spaces), check, leech, zone or weights."""

    name: str
    label: str
    hint: str
    kind: str


@dataclass(frozen=True)
class Group:
    """A fieldset of the Settings page."""

    key: str
    legend: str
    fields: tuple[Field, ...]


LIMITS = Group(
    "limits",
    "Your interview and daily limits",
    (
        Field(
            "interview_date",
            "Interview date",
            "Optional. Today counts down to it; in the last seven days Interview mode brings forward"
            " the cards you would likely forget by then.",
            "date",
        ),
        Field(
            "new_per_day",
            "New cards per day",
            "Cards you meet for the first time each day (0 to 9999). Each one brings reviews on later days.",
            "whole",
        ),
        Field(
            "reviews_per_day",
            "Reviews per day",
            "The most reviews shown each day (0 to 99999); the rest wait for tomorrow.",
            "whole",
        ),
        Field(
            "new_drill_every",
            "A drill in every N new cards",
            "Mix drills into each domain's new cards: the second, then at least every Nth (0: file order).",
            "whole",
        ),
    ),
)
SCHEDULING = Group(
    "scheduling",
    "Scheduling",
    (
        Field(
            "desired_retention",
            "Desired retention",
            "The chance you still remember a card when it comes back: 0.90 means about 9 in 10 recalled."
            " Higher means shorter gaps and more reviews a day; lower means fewer reviews and more"
            " forgetting. From 0.70 to 0.99; Stats charts the reviews a day each choice costs.",
            "decimal",
        ),
        Field(
            "learning_steps",
            "Learning steps (minutes)",
            "The waits before a new card graduates, separated by spaces: 1 10 shows it again after"
            " 1 minute, then after 10.",
            "steps",
        ),
        Field(
            "relearning_steps",
            "Relearning steps (minutes)",
            "The waits after you forget a card, such as 10.",
            "steps",
        ),
        Field(
            "maximum_interval",
            "Maximum interval (days)",
            "The longest gap between two reviews of a card (1 to 36500).",
            "whole",
        ),
        Field(
            "enable_fuzzing",
            "Fuzz intervals",
            "Spread due dates a little so cards learned together do not all come back on one day.",
            "check",
        ),
        Field(
            "leech_threshold",
            "Leech threshold (lapses)",
            "A card forgotten this many times (1 to 99) is a leech: a card to rewrite or split.",
            "whole",
        ),
        Field(
            "leech_action",
            "Leech action",
            "Tag keeps a leech in your reviews, marked; suspend takes it out until you unsuspend it.",
            "leech",
        ),
    ),
)
DAY = Group(
    "day",
    "Your day",
    (
        Field(
            "timezone",
            "Time zone",
            "A name such as Europe/Berlin. Your day, its limits and your statistics follow it.",
            "zone",
        ),
        Field(
            "rollover_hour",
            "Day starts at hour",
            "The local hour (0 to 23) at which a new day begins: with 4, a review at 1 a.m. counts"
            " for the day before.",
            "whole",
        ),
    ),
)
ADVANCED = Group(
    "advanced",
    "FSRS parameters",
    (
        Field(
            "parameters",
            "FSRS parameters",
            "The 21 weights of the memory model that predicts when you will forget, separated by spaces."
            " Fit to my history sets them from your own reviews; reset brings back the defaults.",
            "weights",
        ),
    ),
)
GROUPS = (LIMITS, SCHEDULING, DAY)
FORM_FIELDS = tuple(field for group in (*GROUPS, ADVANCED) for field in group.fields)
FORM_NAMES = tuple(field.name for field in FORM_FIELDS)
# What the learner answers through the time zone prompt, not through the form.
NOT_IN_FORM = frozenset(f.name for f in fields(Settings)) - set(FORM_NAMES)


def _number(value: float) -> str:
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def form_values(settings: Settings) -> dict[str, str]:
    """Each setting as the text its form field shows."""
    out: dict[str, str] = {}
    for name, value in settings.to_dict().items():
        if isinstance(value, list):
            out[name] = " ".join(_number(v) for v in value)
        elif isinstance(value, bool):
            out[name] = "on" if value else ""
        else:
            out[name] = "" if value is None else str(value)
    return out


@cache
def zone_names() -> tuple[str, ...]:
    """Every time zone name Python knows, sorted, for the time zone field's suggestions."""
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))
