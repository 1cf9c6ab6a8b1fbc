"""Settings: every scheduling setting in one validated form, errors beside each field."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from trainer import Settings, SettingsError
from trainer.settings import LEECH_ACTIONS

from .context import collection, now

bp = Blueprint("preferences", __name__)

LABELS = {
    "desired_retention": ("Desired retention", "The recall probability to schedule for, 0.70 to 0.99."),
    "learning_steps": ("Learning steps (minutes)", "Separated by spaces or commas, e.g. 1 10."),
    "relearning_steps": ("Relearning steps (minutes)", "Steps after a lapse, e.g. 10."),
    "maximum_interval": ("Maximum interval (days)", "The longest gap between reviews."),
    "enable_fuzzing": ("Fuzz intervals", "Spread due dates a little so cards do not bunch up."),
    "new_per_day": ("New cards per day", "How many cards to introduce each day."),
    "new_drill_every": (
        "A drill in every N new cards",
        "Mix drills into each domain's new cards: the second, then at least every Nth (0: file order).",
    ),
    "reviews_per_day": ("Reviews per day", "The most reviews to show each day."),
    "timezone": ("Time zone", "Your time zone name, such as Europe/Berlin."),
    "rollover_hour": ("Day starts at hour", "The local hour (0 to 23) at which a new day begins."),
    "leech_threshold": ("Leech threshold (lapses)", "Lapses after which a card is a leech."),
    "leech_action": ("Leech action", "What happens to a leech."),
    "parameters": ("FSRS parameters", "The 21 model weights, separated by spaces or commas."),
    "interview_date": ("Interview date", "Optional: the day of your interview."),
}


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


def _page(values: dict[str, str], errors: dict[str, list[str]], status: int = 200) -> Any:
    return render_template(
        "settings.html",
        names=[f.name for f in fields(Settings)],
        labels=LABELS,
        values=values,
        errors=errors,
        leech_actions=LEECH_ACTIONS,
    ), status


@bp.get("/settings")
def settings() -> Any:
    """The settings form, filled with the current values."""
    return _page(form_values(collection().settings), {})


@bp.post("/settings")
def save_settings() -> Any:
    """Validate and save every setting, or show each problem beside its field (nothing saved)."""
    names = [f.name for f in fields(Settings)]
    submitted = {name: request.form.get(name, "") for name in names}
    submitted["enable_fuzzing"] = "true" if request.form.get("enable_fuzzing") else "false"
    try:
        collection().configure(now=now(), **submitted)
    except SettingsError as exc:
        errors: dict[str, list[str]] = {}
        for problem in exc.problems:
            errors.setdefault(problem.field or "", []).append(problem.message)
        values = dict(submitted, enable_fuzzing="on" if request.form.get("enable_fuzzing") else "")
        return _page(values, errors, 400)
    flash("Settings saved.")
    return redirect(url_for("preferences.settings"), code=303)
