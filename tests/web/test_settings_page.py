"""The Settings page in groups, its errors beside their fields, the reset of the FSRS parameters,
and the prompt that offers the browser's time zone until the learner answers it."""

from __future__ import annotations

import re
from dataclasses import fields
from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.web.support import collection_of, csrf_token
from trainer import Collection, Settings
from web.preferences import form_values

GROUPS = [
    (
        "Your interview and daily limits",
        ["interview_date", "new_per_day", "reviews_per_day", "new_drill_every"],
    ),
    (
        "Scheduling",
        [
            "desired_retention",
            "learning_steps",
            "relearning_steps",
            "maximum_interval",
            "enable_fuzzing",
            "leech_threshold",
            "leech_action",
        ],
    ),
    ("Your day", ["timezone", "rollover_hour"]),
    ("FSRS parameters", ["parameters"]),
]
PROMPT = "data-timezone-prompt"


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


class _Outline(HTMLParser):
    """The settings form's fieldsets in order: each legend with the ids of its fields, whether it
    sits in a closed <details>, and every field's attributes by id."""

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[tuple[str, list[str], bool]] = []
        self.attrs: dict[str, dict[str, str]] = {}
        self.labels: dict[str, str] = {}
        self._details_open: bool | None = None
        self._legend: list[str] | None = None
        self._label: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "details":
            self._details_open = "open" in named
        elif tag == "fieldset":
            self.groups.append(("", [], self._details_open is False))
        elif tag == "legend":
            self._legend = []
        elif tag == "label":
            self._label = (named.get("for", ""), [])
        elif tag in ("input", "select", "textarea") and named.get("type") != "hidden" and self.groups:
            self.groups[-1][1].append(named["id"])
            self.attrs[named["id"]] = named

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self._details_open = None
        elif tag == "legend" and self._legend is not None:
            _, ids, closed = self.groups[-1]
            self.groups[-1] = ("".join(self._legend).strip(), ids, closed)
            self._legend = None
        elif tag == "label" and self._label is not None:
            self.labels[self._label[0]] = "".join(self._label[1]).strip()
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._legend is not None:
            self._legend.append(data)
        if self._label is not None:
            self._label[1].append(data)


def outline(html: str) -> _Outline:
    form = re.search(r'<form[^>]*id="settings-form".*?</form>', html, re.DOTALL)
    assert form, "no settings form"
    parsed = _Outline()
    parsed.feed(form.group(0))
    return parsed


def test_the_form_groups_the_settings_interview_first_and_fsrs_under_a_closed_advanced(
    client: FlaskClient,
) -> None:
    page = outline(text_of(client.get("/settings")))
    assert [(legend, ids) for legend, ids, _ in page.groups] == GROUPS
    assert [closed for _, _, closed in page.groups] == [False, False, False, True]
    shown = {name for _, names in GROUPS for name in names}
    assert shown == {f.name for f in fields(Settings)} - {"timezone_confirmed"}
    assert all(page.labels.get(name) for name in shown), "a field without a label"
    for name in shown:
        assert f"{name}-hint" in page.attrs[name]["aria-describedby"].split(), name
    assert page.attrs["interview_date"]["type"] == "date"
    for name in ("new_per_day", "reviews_per_day", "new_drill_every", "maximum_interval", "rollover_hour"):
        assert page.attrs[name]["inputmode"] == "numeric", name
    assert page.attrs["desired_retention"]["inputmode"] == "decimal"
    assert page.attrs["timezone"]["list"] == "zone-names"
    assert page.attrs["enable_fuzzing"]["type"] == "checkbox"


def test_every_problem_is_beside_its_field_and_a_bad_parameter_opens_advanced(
    app: Flask, client: FlaskClient
) -> None:
    form = {**form_values(Settings()), "enable_fuzzing": "on", "csrf_token": csrf_token(client)}
    bad = dict(form, new_per_day="many", parameters="1 2 3", timezone="Mars/Base")
    response = client.post("/settings", data=bad)
    html = text_of(response)
    assert response.status_code == 400
    page = outline(html)
    assert [closed for _, _, closed in page.groups] == [False, False, False, False]
    summary = re.search(r"<div class=\"error-summary\".*?</div>", html, re.DOTALL)
    assert summary, "no error summary"
    assert re.findall(r'href="#(\w+)"', summary.group(0)) == ["new_per_day", "timezone", "parameters"]
    for name in ("new_per_day", "timezone", "parameters"):
        assert page.attrs[name]["aria-invalid"] == "true", name
        assert f"{name}-error" in page.attrs[name]["aria-describedby"].split(), name
        assert re.search(rf'<p class="field-error" id="{name}-error">', html), name
    assert "aria-invalid" not in page.attrs["reviews_per_day"]
    assert page.attrs["new_per_day"]["value"] == "many"
    assert collection_of(app).settings == Settings()


def test_reset_puts_the_default_parameters_back(app: Flask, client: FlaskClient) -> None:
    col = collection_of(app)
    fitted = [round(value * 1.01, 4) for value in Settings().parameters]
    col.configure(parameters=fitted, desired_retention=0.85)
    response = client.post("/settings/parameters/reset", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303 and response.headers["Location"] == "/settings"
    assert col.settings.parameters == Settings().parameters
    assert col.settings.desired_retention == 0.85
    assert "back to their defaults" in text_of(client.get("/settings"))


def _stored(db_url: str) -> Settings:
    """The settings as saved in the database, read by a collection of its own."""
    with Collection.open(db_url) as fresh:
        return fresh.settings


def test_the_prompt_is_on_every_page_until_the_browser_zone_is_used(
    app: Flask, client: FlaskClient, db_url: str
) -> None:
    for path in ("/", "/review", "/stats", "/settings", "/browse"):
        html = text_of(client.get(path))
        assert re.search(rf'<aside class="notice" {PROMPT} data-current="UTC"[^>]*hidden>', html), path
        assert f'name="next" value="{path}"' in html, path
    token = csrf_token(client)
    response = client.post(
        "/settings/timezone",
        data={"csrf_token": token, "choice": "use", "timezone": "America/Chicago", "next": "/stats"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/stats"
    assert "Your time zone is now America/Chicago." in text_of(client.get("/stats"))
    saved = _stored(db_url)
    assert saved.timezone == "America/Chicago" and saved.timezone_confirmed
    assert collection_of(app).settings == saved
    for path in ("/", "/settings"):
        assert PROMPT not in text_of(client.get(path)), path


def test_keeping_utc_answers_the_prompt_for_good(app: Flask, client: FlaskClient, db_url: str) -> None:
    response = client.post(
        "/settings/timezone",
        data={"csrf_token": csrf_token(client), "choice": "keep", "next": "//evil.example"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"
    saved = _stored(db_url)
    assert saved.timezone == "UTC" and saved.timezone_confirmed
    assert PROMPT not in text_of(client.get("/"))


def test_an_unknown_browser_zone_is_refused_beside_the_field(
    app: Flask, client: FlaskClient, db_url: str
) -> None:
    token = csrf_token(client)
    response = client.post(
        "/settings/timezone", data={"csrf_token": token, "choice": "use", "timezone": "Mars/Base"}
    )
    html = text_of(response)
    assert response.status_code == 400
    assert re.search(r'<p class="field-error" id="timezone-error">unknown time zone', html)
    assert 'value="Mars/Base"' in html
    assert PROMPT not in html, "the refused zone offered again"
    for data in ({"choice": "maybe"}, {"choice": "use"}):
        response = client.post("/settings/timezone", data={"csrf_token": token, **data})
        assert response.status_code == 400, data
    assert _stored(db_url) == Settings() and collection_of(app).settings == Settings()
    assert PROMPT in text_of(client.get("/"))
    refused = text_of(
        client.post("/settings", data={**form_values(Settings()), "csrf_token": token, "new_per_day": "x"})
    )
    assert re.search(rf'<aside class="notice" {PROMPT}', refused)
    assert 'name="next" value="/"' in refused, "a page shown after a POST sends the answer back to Today"


def test_saving_the_settings_form_answers_the_prompt(app: Flask, client: FlaskClient, db_url: str) -> None:
    form = {**form_values(Settings()), "enable_fuzzing": "on", "csrf_token": csrf_token(client)}
    assert client.post("/settings", data=form).status_code == 303
    saved = _stored(db_url)
    assert saved.timezone == "UTC" and saved.timezone_confirmed
    assert PROMPT not in text_of(client.get("/"))
