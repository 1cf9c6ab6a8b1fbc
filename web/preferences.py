"""Settings: every setting in one validated form, in groups, with errors beside each field; the
prompt that offers the browser's time zone until the learner has answered it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from trainer import Collection, Settings, SettingsError

from .apispec import validate
from .auth import safe_next
from .context import EXTENSION, LEARNER_COLLECTION, accounts_on, collection, now
from .schemas import TimezoneChoiceForm
from .settings_form import ADVANCED, FORM_NAMES, GROUPS, form_values, zone_names

bp = Blueprint("preferences", __name__)

__all__ = ["bp", "form_values"]


def _page(values: dict[str, str], errors: dict[str, list[str]], status: int = 200, **extra: Any) -> Any:
    return render_template(
        "settings.html",
        groups=GROUPS,
        advanced=ADVANCED,
        values=values,
        errors=errors,
        zones=zone_names(),
        **extra,
    ), status


def _errors_of(exc: SettingsError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in exc.problems:
        errors.setdefault(problem.field or "", []).append(problem.message)
    return errors


@bp.get("/settings")
def settings() -> Any:
    """The settings form, filled with the current values."""
    return _page(form_values(collection().settings), {})


@bp.post("/settings")
def save_settings() -> Any:
    """Validate and save every setting, or show each problem beside its field (nothing saved)."""
    submitted = {name: request.form.get(name, "") for name in FORM_NAMES}
    submitted["enable_fuzzing"] = "true" if request.form.get("enable_fuzzing") else "false"
    try:
        collection().configure(now=now(), **submitted)
    except SettingsError as exc:
        values = dict(submitted, enable_fuzzing="on" if request.form.get("enable_fuzzing") else "")
        return _page(values, _errors_of(exc), 400)
    flash("Settings saved.")
    return redirect(url_for("preferences.settings"), code=303)


@bp.post("/settings/parameters/reset")
def reset_parameters() -> Any:
    """Put the FSRS parameters back to the defaults the fsrs package ships."""
    collection().configure(now=now(), parameters=Settings().parameters)
    flash("The FSRS parameters are back to their defaults.")
    return redirect(url_for("preferences.settings"), code=303)


@bp.post("/settings/timezone")
def choose_timezone() -> Any:
    """Answer the time zone prompt: use the browser's zone or keep the current one. Either way
    the prompt is not shown again. A zone the server does not know opens Settings with the
    problem beside the time zone field, nothing saved."""
    answer = validate(TimezoneChoiceForm, request.form.to_dict(), strict=False)
    col = collection()
    try:
        if answer.choice == "use":
            chosen = col.configure(now=now(), timezone=answer.timezone)
            flash(f"Your time zone is now {chosen.timezone}.")
        else:
            chosen = col.configure(now=now(), timezone_confirmed=True)
            flash(f"Kept {chosen.timezone} as your time zone; change it in Settings at any time.")
    except SettingsError as exc:
        values = dict(form_values(col.settings), timezone=answer.timezone or "")
        # The browser's zone was just refused: offering it again would only repeat the refusal.
        return _page(values, _errors_of(exc), 400, timezone_prompt=None)
    return redirect(safe_next(answer.next), code=303)


def _learner_collection() -> Collection | None:
    """The requesting learner's collection, or None where there is none (logged out)."""
    learner = g.get(LEARNER_COLLECTION)
    if learner is not None:
        return learner  # type: ignore[no-any-return]
    if accounts_on():
        return None
    return current_app.extensions.get(EXTENSION)


@bp.app_context_processor
def timezone_prompt() -> dict[str, Any]:
    """`timezone_prompt`: the learner's current time zone while they have not answered the
    prompt that offers the browser's, else None."""
    col = _learner_collection()
    try:
        if col is None or col.settings.timezone_confirmed:
            return {"timezone_prompt": None}
    except SettingsError:
        # Saved settings that no longer validate: the error page naming them is shown instead.
        return {"timezone_prompt": None}
    return {"timezone_prompt": col.settings.timezone}
