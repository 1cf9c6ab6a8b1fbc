"""The web pages through Flask's test client: every page, the review flow, bad input."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.support import Clock, collection_of, csrf_token, hidden, web_app
from trainer import CardState, Rating


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    ["/", "/review", "/review?domain=beta", "/browse", "/decks", "/settings", "/cards/a-drill"],
)
def test_every_page_renders_with_security_headers(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in text_of(response)


def test_today_shows_counts_per_domain_and_minutes(client: FlaskClient) -> None:
    page = text_of(client.get("/"))
    assert '<span id="due-total">6</span> cards waiting' in page
    assert "6 new, 0 learning, 0 review." in page
    rows = re.findall(r'<th scope="row">(\w+)</th>\s*<td>(\d+)</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>', page)
    assert rows == [("Alpha", "3", "0", "0"), ("Beta", "3", "0", "0")]
    # Six new cards, each answered once as new (30 s) and once per learning step (2 x 15 s).
    assert '<strong id="minutes">6</strong> minutes' in page
    assert 'href="/review?domain=alpha"' in page and 'href="/review?domain=beta"' in page


def test_today_rows_add_up_to_the_header_under_the_daily_limit(app: Flask, client: FlaskClient) -> None:
    collection_of(app).configure(new_per_day=4)
    page = text_of(client.get("/"))
    assert "4 new, 0 learning, 0 review." in page
    rows = re.findall(r'<th scope="row">(\w+)</th>\s*<td>(\d+)</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>', page)
    assert rows == [("Alpha", "2", "0", "0"), ("Beta", "2", "0", "0")]


def _reveal(client: FlaskClient, domain: str | None = None) -> tuple[str, str]:
    front = text_of(client.get("/review" + (f"?domain={domain}" if domain else "")))
    card_id = hidden(front, "card_id")
    query = {
        "card_id": card_id,
        "request_id": hidden(front, "request_id"),
        "shown_at": hidden(front, "shown_at"),
    }
    if domain:
        query["domain"] = domain
    back = client.get("/review/reveal", query_string=query)
    assert back.status_code == 200
    return card_id, text_of(back)


def _answer_form(page: str, rating: str, **extra: object) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf_token": hidden(page, "csrf_token"),
        "card_id": hidden(page, "card_id"),
        "request_id": hidden(page, "request_id"),
        "expected_reps": hidden(page, "expected_reps"),
        "shown_at": hidden(page, "shown_at"),
        "rating": rating,
    }
    form.update(extra)
    return form


def test_review_reveals_answer_why_and_intervals_then_answers(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    card_id, page = _reveal(client)
    assert card_id == "a-fact"
    assert "Well under 1% of transactions." in page and "Accuracy misleads at that skew." in page
    intervals = re.findall(
        r'data-key="(\d)">\s*<kbd>\d</kbd> (\w+) <span class="interval">([^<]+)</span>', page
    )
    assert [(k, name) for k, name, _ in intervals] == [
        ("1", "Again"),
        ("2", "Hard"),
        ("3", "Good"),
        ("4", "Easy"),
    ]
    assert intervals[0][2] == "1m" and intervals[2][2] == "10m"
    clock.advance(seconds=7)
    response = client.post("/review/answer", data=_answer_form(page, "3"))
    assert response.status_code == 303 and response.headers["Location"] == "/review"
    history = collection_of(app).history("a-fact")
    assert [(e.rating, e.duration_ms) for e in history] == [(Rating.Good, 7000)]
    assert collection_of(app).card("a-fact").memory.state == CardState.LEARNING
    follow = text_of(client.get("/review"))
    assert "Good: back in 10 minutes." in follow


def test_double_submit_is_applied_once_and_stale_answer_is_refused(app: Flask, client: FlaskClient) -> None:
    _, page = _reveal(client)
    form = _answer_form(page, "3")
    assert client.post("/review/answer", data=form).status_code == 303
    assert client.post("/review/answer", data=form).status_code == 303
    assert len(collection_of(app).history()) == 1
    stale = dict(form, request_id="another-request")
    response = client.post("/review/answer", data=stale)
    assert response.status_code == 409
    assert "answered elsewhere" in text_of(response)
    assert len(collection_of(app).history()) == 1


def test_drill_rubric_suggests_and_stores_points(app: Flask, client: FlaskClient) -> None:
    col = collection_of(app)
    for card_id in ("a-fact", "a-cloze"):
        col.suspend(card_id)
    card_id, page = _reveal(client, domain="alpha")
    assert card_id == "a-drill"
    assert "Again: 0 of 4 core points" in page
    for point in ("Prices both errors", "States a latency budget", "Names a baseline", "Plans monitoring"):
        assert point in page
    assert "Answer time:" in page
    form = _answer_form(page, "suggested", drill="1", points=["0", "2", "3"], domain="alpha")
    assert client.post("/review/answer", data=form).status_code == 303
    [entry] = col.history("a-drill")
    assert entry.rating == Rating.Good
    assert entry.points_ticked == (0, 2, 3)


def test_drill_rating_can_be_overridden(app: Flask, client: FlaskClient) -> None:
    col = collection_of(app)
    for card_id in ("a-fact", "a-cloze"):
        col.suspend(card_id)
    _, page = _reveal(client, domain="alpha")
    client.post("/review/answer", data=_answer_form(page, "1", drill="1", points=["0", "1", "2", "3"]))
    [entry] = col.history("a-drill")
    assert entry.rating == Rating.Again and entry.points_ticked == (0, 1, 2, 3)


def test_undo_suspend_and_bury(app: Flask, client: FlaskClient) -> None:
    col = collection_of(app)
    _, page = _reveal(client)
    client.post("/review/answer", data=_answer_form(page, "4"))
    token = csrf_token(client)
    assert client.post("/review/undo", data={"csrf_token": token}).status_code == 303
    assert col.history() == []
    assert col.card("a-fact").memory.reps == 0
    assert "There is nothing to undo" in text_of(
        client.post("/review/undo", data={"csrf_token": token}, follow_redirects=True)
    )
    client.post("/review/suspend", data={"csrf_token": token, "card_id": "a-fact"})
    assert col.card("a-fact").memory.suspended
    client.post("/review/bury", data={"csrf_token": token, "card_id": "b-one"})
    assert col.card("b-one").memory.buried_until is not None
    assert hidden(text_of(client.get("/review")), "card_id") == "a-cloze"


def test_undo_shows_the_undone_card_at_once(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client)
    for _ in range(4):
        _, page = _reveal(client)
        client.post("/review/answer", data=_answer_form(page, "4"))
    assert [e.card_id for e in collection_of(app).history()] == ["a-fact", "b-one", "a-drill", "b-two"]
    page = text_of(client.post("/review/undo", data={"csrf_token": token}, follow_redirects=True))
    assert "Undid your last answer." in page
    assert hidden(page, "card_id") == "b-two"


def test_undo_after_suspend_restores_the_card_not_an_older_answer(app: Flask, client: FlaskClient) -> None:
    col = collection_of(app)
    col.answer("b-two", Rating.Good, col.day().now)
    token = csrf_token(client)
    suspended = client.post("/review/suspend", data={"csrf_token": token, "card_id": "a-fact"})
    page = text_of(client.get(suspended.headers["Location"]))
    assert "Suspended: this card stays out of your reviews until you unsuspend it." in page
    page = text_of(client.post("/review/undo", data={"csrf_token": token}, follow_redirects=True))
    assert "Undid the suspend: the card is back in your reviews." in page
    assert hidden(page, "card_id") == "a-fact"
    assert [e.card_id for e in col.history()] == ["b-two"]
    assert not col.card("a-fact").memory.suspended


def test_undo_leaves_an_earlier_days_answers_alone(app: Flask, client: FlaskClient) -> None:
    # Yesterday's session (in the terminal, say) answered a card; today's first `u` on a study
    # page reverts nothing of it, through the form and through the JSON API alike.
    col = collection_of(app)
    today = app.config["CLOCK"].now
    col.answer("b-two", Rating.Good, today - timedelta(days=1))
    token = csrf_token(client)
    page = text_of(client.post("/review/undo", data={"csrf_token": token}, follow_redirects=True))
    assert "There is nothing to undo today." in page
    assert "<dd>Undo your last answer, suspend or bury of today</dd>" in page  # the keys help
    response = client.post("/api/undo", headers={"X-CSRFToken": token})
    assert response.status_code == 409 and "nothing to undo today" in response.get_data(as_text=True)
    assert [e.card_id for e in col.history()] == ["b-two"]
    # Today's own actions are undone as before, newest first.
    col.answer("a-fact", Rating.Good, today)
    client.post("/review/suspend", data={"csrf_token": token, "card_id": "b-one"})
    assert client.post("/api/undo", headers={"X-CSRFToken": token}).get_json()["action"] == "suspend"
    assert client.post("/api/undo", headers={"X-CSRFToken": token}).get_json()["card_id"] == "a-fact"
    assert client.post("/api/undo", headers={"X-CSRFToken": token}).status_code == 409
    assert [e.card_id for e in col.history()] == ["b-two"]


def test_undo_names_the_card_for_another_server_process(app: Flask, client: FlaskClient) -> None:
    # Another process took the undo: the redirect's `undone` still brings the card first.
    collection_of(app).answer("b-three", Rating.Good, collection_of(app).day().now)
    collection_of(app).undo()
    collection_of(app).serve_first("zzz-unknown")
    assert hidden(text_of(client.get("/review?undone=b-three")), "card_id") == "b-three"


def test_bad_review_input_is_a_clear_error_and_changes_nothing(app: Flask, client: FlaskClient) -> None:
    col = collection_of(app)
    token = csrf_token(client)
    assert client.get("/review/reveal?card_id=no-such-card").status_code == 404
    assert client.get("/cards/no-such-card").status_code == 404
    assert client.get("/review?domain=no-such-deck").status_code == 404
    unknown = client.post("/review/answer", data={"csrf_token": token, "card_id": "nope", "rating": "3"})
    assert unknown.status_code == 404 and "no card" in text_of(unknown)
    for rating in ("0", "5", "great", ""):
        bad = client.post("/review/answer", data={"csrf_token": token, "card_id": "a-fact", "rating": rating})
        assert bad.status_code == 400, rating
        assert "rating must be 1 to 4" in text_of(bad)
    no_token = client.post("/review/answer", data={"card_id": "a-fact", "rating": "3"})
    assert no_token.status_code == 400 and "CSRF" in text_of(no_token)
    forged = client.post("/review/answer", data={"csrf_token": "forged", "card_id": "a-fact", "rating": "3"})
    assert forged.status_code == 400
    assert col.history() == [] and col.card("a-fact").memory.reps == 0


def test_settings_are_saved_and_errors_shown_beside_each_field(app: Flask, client: FlaskClient) -> None:
    col = collection_of(app)
    page = text_of(client.get("/settings"))
    for name in ("desired_retention", "learning_steps", "parameters", "leech_action", "interview_date"):
        assert f'<label for="{name}">' in page
    form = {
        "csrf_token": hidden(page, "csrf_token"),
        "desired_retention": "0.85",
        "learning_steps": "2, 15",
        "relearning_steps": "10",
        "maximum_interval": "365",
        "new_per_day": "7",
        "new_drill_every": "3",
        "reviews_per_day": "150",
        "timezone": "Europe/Berlin",
        "rollover_hour": "5",
        "leech_threshold": "6",
        "leech_action": "suspend",
        "parameters": re.search(r'<textarea id="parameters"[^>]*>([^<]*)<', page).group(1),  # type: ignore[union-attr]
        "interview_date": "2026-05-01",
    }
    assert client.post("/settings", data=form).status_code == 303
    saved = col.settings
    assert saved.desired_retention == 0.85 and saved.learning_steps == (2.0, 15.0)
    assert saved.enable_fuzzing is False and saved.leech_action == "suspend" and saved.new_per_day == 7
    assert saved.new_drill_every == 3
    assert "Settings saved." in text_of(client.get("/settings"))
    bad = dict(form, desired_retention="2", rollover_hour="25", timezone="Mars/Base", enable_fuzzing="on")
    response = client.post("/settings", data=bad)
    page = text_of(response)
    assert response.status_code == 400
    for name, message in (
        ("desired_retention", "must be between 0.70 and 0.99"),
        ("rollover_hour", "must be an hour from 0 to 23"),
        ("timezone", "unknown time zone"),
    ):
        assert re.search(rf'<p class="field-error" id="{name}-error">[^<]*{message}', page), name
    assert 'value="Mars/Base"' in page
    assert col.settings == saved
    mixed = dict(form, maximum_interval="a year", learning_steps="1 x", rollover_hour="25", new_per_day="-5")
    response = client.post("/settings", data=mixed)
    page = text_of(response)
    assert response.status_code == 400
    for name in ("maximum_interval", "learning_steps", "rollover_hour", "new_per_day"):
        assert re.search(rf'<p class="field-error" id="{name}-error">', page), name
    assert col.settings == saved


DUPLICATE_WITH_UNKNOWN_KIND = """\
  - id: b-one
    kind: riddle
    prompt: Duplicate?
    answer: Yes.
    concepts: [class-imbalance]
"""


def test_decks_page_syncs_and_shows_every_problem(app: Flask, client: FlaskClient, decks_dir: Path) -> None:
    page = text_of(client.get("/decks"))
    assert "Alpha" in page and "Beta" in page
    token = hidden(page, "csrf_token")
    (decks_dir / "alpha.yaml").write_text(
        (decks_dir / "alpha.yaml").read_text().replace("How rare is fraud?", "How rare is card fraud?")
    )
    synced = client.post("/decks/sync", data={"csrf_token": token})
    assert synced.status_code == 200 and "1 updated" in text_of(synced)
    (decks_dir / "beta.yaml").write_text(
        (decks_dir / "beta.yaml")
        .read_text()
        .replace("kind: cloze\n    text: The third {{c1::beta}} card.", "kind: cloze\n    text: No gap here.")
        + DUPLICATE_WITH_UNKNOWN_KIND
    )
    broken = client.post("/decks/sync", data={"csrf_token": token})
    html = text_of(broken)
    assert broken.status_code == 400
    assert html.count("beta.yaml:") >= 2 and "nothing" in html.lower()
    assert collection_of(app).card("b-three").card.text == "The third {{c1::beta}} card."


def test_browse_filters_and_card_page(app: Flask, client: FlaskClient) -> None:
    def ids(query: str) -> list[str]:
        return re.findall(r'<a href="/cards/([a-z0-9-]+)">', text_of(client.get("/browse?" + query)))

    assert ids("") == ["a-fact", "a-cloze", "a-drill", "b-one", "b-two", "b-three"]
    listing = text_of(client.get("/browse"))
    assert "Scoring must answer within [tens of milliseconds]." in listing
    assert "{{c1::" not in listing
    assert sorted(ids("q=FRAUD")) == ["a-drill", "a-fact"]
    assert ids("deck=beta") == ["b-one", "b-two", "b-three"]
    assert ids("concept=latency-budget") == ["a-cloze", "a-drill"]
    assert ids("state=new&deck=alpha&concept=class-imbalance") == ["a-fact"]
    col = collection_of(app)
    col.suspend("b-two")
    assert ids("suspended=yes") == ["b-two"]
    assert ids("state=new&suspended=no&deck=beta") == ["b-one", "b-three"]
    assert ids("state=review") == []
    assert client.get("/browse?state=bogus").status_code == 400
    assert client.get("/browse?state=suspended").status_code == 400
    _, page = _reveal(client)
    client.post("/review/answer", data=_answer_form(page, "3"))
    card = text_of(client.get("/cards/a-fact"))
    memory = col.card("a-fact").memory
    assert f"{memory.stability:.2f} days" in card and f"{memory.difficulty:.2f}" in card
    assert "Retrievability now" in card and "2026-03-02 12:10 UTC" in card
    assert "<td>Good</td>" in card and "new → learning" in card


def test_request_size_is_limited(client: FlaskClient, app: Flask) -> None:
    token = csrf_token(client)
    response = client.post(
        "/review/answer", data={"csrf_token": token, "card_id": "x" * 300_000, "rating": "3"}
    )
    assert response.status_code == 413
    assert collection_of(app).history() == []


def test_secret_key_is_generated_once_and_kept(db_url: str, decks_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "keep"
    with web_app(db_url, decks_dir, data) as first:
        key = first.config["SECRET_KEY"]
    key_file = data / "web-secret-key"
    assert key_file.read_text().strip() == key and len(key) == 64
    assert key_file.stat().st_mode & 0o077 == 0
    with web_app(db_url, decks_dir, data) as second:
        assert second.config["SECRET_KEY"] == key
    with web_app(db_url, decks_dir, tmp_path / "other") as third:
        assert third.config["SECRET_KEY"] != key


def test_decks_page_names_files_and_decks_shortly(client: FlaskClient, decks_dir: Path) -> None:
    """The Decks table names a deck file without its folder (the whole path on hover), and the
    export menu lists decks by their short names, their subtitles on hover."""
    alpha = decks_dir / "alpha.yaml"
    alpha.write_text(alpha.read_text().replace("title: Alpha", "title: 'Alpha: fraud, credit and risk'"))
    page = client.get("/decks").get_data(as_text=True)
    token = hidden(page, "csrf_token")
    page = client.post("/decks/sync", data={"csrf_token": token}).get_data(as_text=True)
    assert f'<code title="{alpha}">alpha.yaml</code>' in page
    assert f"<code>{alpha}</code>" not in page
    assert '<label for="export-alpha" title="Alpha: fraud, credit and risk">Alpha</label>' in page


def _flashes(page: str) -> list[str]:
    return re.findall(r"<li>([^<]*)</li>", page.split('<ul class="flash"', 1)[1].split("</ul>", 1)[0])


def test_suspend_bury_and_unsuspend_are_told_in_words(app: Flask, client: FlaskClient) -> None:
    """What a suspend, bury or unsuspend did, without the card's id: the learner sees the card."""
    token = csrf_token(client)
    told = []
    for action, card_id in (("/review/bury", "b-one"), ("/review/suspend", "a-fact")):
        done = client.post(action, data={"csrf_token": token, "card_id": card_id})
        told.append(_flashes(client.get(done.headers["Location"]).text))
    done = client.post("/cards/a-fact/suspend", data={"csrf_token": token, "suspended": "0"})
    told.append(_flashes(client.get(done.headers["Location"]).text))
    assert told == [
        ["Buried until tomorrow."],
        ["Suspended: this card stays out of your reviews until you unsuspend it."],
        ["Unsuspended: this card is back in your reviews."],
    ]


def test_review_card_and_browse_name_the_deck_shortly(client: FlaskClient, decks_dir: Path) -> None:
    """Where a card shows its deck, the deck's short name stands there, not its file's slug."""
    alpha = decks_dir / "alpha.yaml"
    alpha.write_text(alpha.read_text().replace("title: Alpha", "title: 'Fraud school: rare events'"))
    client.post("/decks/sync", data={"csrf_token": hidden(text_of(client.get("/decks")), "csrf_token")})
    review = client.get("/review?domain=alpha").get_data(as_text=True)
    assert re.search(r'<h1 id="card-title" class="meta">Fraud school · ', review)
    card = client.get("/cards/a-fact").get_data(as_text=True)
    assert '<p class="meta">Fraud school · fact · ' in card
    found = client.get("/browse?q=fraud").get_data(as_text=True)
    assert '<td data-label="Deck">Fraud school</td>' in found
    assert '<td data-label="Deck">alpha</td>' not in found


def test_pages_name_an_icon_every_browser_can_show_and_a_manifest(client: FlaskClient) -> None:
    """Every page links the SVG icon, a PNG one for browsers without SVG icons, the home-screen
    icon and the manifest; the manifest's icons are served at the sizes it declares, and none is
    offered to be masked (its corners and dot sit outside a mask's safe zone)."""
    import json
    import struct

    page = client.get("/").get_data(as_text=True)
    links = dict(re.findall(r'<link rel="([a-z-]+)" href="([^"]+)" type="image/png"', page))
    assert links.get("icon") == "/static/icon-192.png"
    assert '<link rel="icon" href="/static/icon.svg" type="image/svg+xml">' in page
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in page
    with client.get("/static/manifest.webmanifest") as served:
        manifest = json.loads(served.get_data())
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as served:
            assert served.status_code == 200 and served.mimetype == icon["type"]
            data = served.get_data()
        assert "maskable" not in icon.get("purpose", "any").split()
        if icon["type"] == "image/png":
            width, height = struct.unpack(">II", data[16:24])
            assert icon["sizes"] == f"{width}x{height}"
