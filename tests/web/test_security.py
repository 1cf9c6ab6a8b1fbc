"""Security of the web app: CSRF on every POST route, inert deck text, headers on every response."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import FIXTURE_DECKS, NOW
from tests.web.support import collection_of, csrf_token, hidden, web_app

PATH_VALUES = {"card_id": "a-fact"}
OWN_SCRIPTS = {
    "/static/app.js",
    "/static/charts.js",
    "/static/vendor/vega.min.js",
    "/static/vendor/vega-lite.min.js",
    "/static/vendor/vega-embed.min.js",
}


@pytest.fixture
def app(sqlite_url: str, decks_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    with web_app(sqlite_url, decks_dir, tmp_path / "data") as built:
        yield built


def _post_routes(app: Flask) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or set()):
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<{name}>", PATH_VALUES[name])
        urls.append(url)
    return sorted(urls)


def _snapshot(app: Flask) -> str:
    col = collection_of(app)
    state = {
        "cards": [(s.id, s.memory.to_dict(), s.card.to_dict()) for s in col.cards(include_retired=True)],
        "history": [(e.id, e.card_id, int(e.rating)) for e in col.history()],
        "settings": col.settings.to_dict(),
    }
    return json.dumps(state, sort_keys=True, default=str)


def test_every_post_route_rejects_a_request_without_a_valid_csrf_token(app: Flask) -> None:
    client = app.test_client()
    collection_of(app).answer("b-one", 3, now=NOW)
    routes = _post_routes(app)
    assert {"/review/answer", "/review/undo", "/settings", "/decks/sync", "/api/answer", "/api/undo"} <= set(
        routes
    )
    before = _snapshot(app)
    token = csrf_token(client)
    other = app.test_client()
    stolen_elsewhere = csrf_token(other)
    form = {"card_id": "a-fact", "rating": "3", "desired_retention": "0.8", "suspended": "1"}
    body = {"card_id": "a-fact", "rating": 3}
    for url in routes:
        attempts = [
            client.post(url, data=form),
            client.post(url, data=dict(form, csrf_token="not-a-token")),
            client.post(url, data=dict(form, csrf_token=stolen_elsewhere)),
            client.post(url, json=body),
            client.post(url, json=body, headers={"X-CSRFToken": token[:-2] + "xx"}),
        ]
        for response in attempts:
            assert response.status_code == 400, url
            assert "CSRF" in response.get_data(as_text=True), url
    assert _snapshot(app) == before
    accepted = client.post("/api/undo", headers={"X-CSRFToken": token})
    assert accepted.status_code == 200 and _snapshot(app) != before


PAYLOADS = {
    "prompt": 'Which metric? <script>alert("p")</script><img src=x onerror=alert(1)>',
    "answer": '[click](javascript:alert(1)) <iframe src="https://evil.example"></iframe> **bold**',
    "why": '<svg onload=alert(2)></svg> <a href="javascript:alert(3)">x</a>',
}


def _hostile_decks(tmp_path: Path) -> Path:
    target = tmp_path / "hostile"
    shutil.copytree(FIXTURE_DECKS, target)
    (target / "alpha.yaml").write_text(
        "deck: alpha\ntitle: '<script>alert(\"title\")</script>Alpha'\n"
        "description: '<img src=x onerror=alert(4)>'\ncards:\n"
        "  - id: a-evil\n    kind: fact\n"
        f"    prompt: {json.dumps(PAYLOADS['prompt'])}\n"
        f"    answer: {json.dumps(PAYLOADS['answer'])}\n"
        f"    why: {json.dumps(PAYLOADS['why'])}\n"
        "    concepts: [class-imbalance]\n"
        "  - id: a-evil-cloze\n    kind: cloze\n"
        "    text: 'Gap {{c1::<script>alert(5)</script>}} and <b onmouseover=alert(6)>x</b>'\n"
        "    concepts: [class-imbalance]\n"
        "  - id: a-evil-drill\n    kind: drill\n    prompt: Drill <script>alert(7)</script>\n"
        "    answer: ok\n    points: ['<img src=x onerror=alert(8)>', 'plain', 'third']\n"
        "    concepts: [class-imbalance]\n"
    )
    return target


class _Elements(HTMLParser):
    """Every start tag and its attributes, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def _assert_inert(html: str) -> None:
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in ("img", "iframe", "svg", "object", "embed", "b"), tag
        if tag == "script":
            # The app's own scripts, and chart specs: JSON data that is never run.
            own = set(attrs) == {"src", "defer"} and attrs["src"] in OWN_SCRIPTS
            assert own or attrs == {"type": "application/json"}, attrs
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("href", "src", "action"):
            assert not attrs.get(name, "").strip().lower().startswith("javascript:"), (tag, attrs)


def test_deck_text_cannot_inject_script(tmp_path: Path) -> None:
    decks = _hostile_decks(tmp_path)
    with web_app(f"sqlite:///{tmp_path / 'x.db'}", decks, tmp_path / "data") as app:
        client = app.test_client()
        pages = [
            "/",
            "/review?domain=alpha",
            "/browse",
            "/browse?q=script",
            "/decks",
            "/cards/a-evil",
            "/cards/a-evil-cloze",
            "/cards/a-evil-drill",
        ]
        for card_id in ("a-evil", "a-evil-cloze", "a-evil-drill"):
            pages.append(f"/review/reveal?card_id={card_id}&typed=%3Cscript%3Ealert(9)%3C/script%3E")
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            _assert_inert(response.get_data(as_text=True))
        reveal = client.get("/review/reveal?card_id=a-evil").get_data(as_text=True)
        assert '&lt;script&gt;alert("p")&lt;/script&gt;' in reveal
        assert "<strong>bold</strong>" in reveal
        drill = client.get("/review/reveal?card_id=a-evil-drill").get_data(as_text=True)
        assert "&lt;img src=x onerror=alert(8)&gt;" in drill
        card = client.get("/api/next?domain=alpha").get_json()["card"]
        for key in ("front_html", "back_html", "why_html"):
            _assert_inert(card[key])


def test_security_headers_on_errors_and_api(app: Flask) -> None:
    client: FlaskClient = app.test_client()
    for url in ("/no-such-page", "/api/next", "/static/app.js"):
        with client.get(url) as response:
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    page = client.get("/settings").get_data(as_text=True)
    assert hidden(page, "csrf_token")
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', page)
    assert "style=" not in page and "onclick" not in page


def test_the_local_server_answers_only_to_loopback_host_names(app: Flask) -> None:
    """DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 sends
    `Host: evil.example`, and must neither read a CSRF token nor answer."""
    client = app.test_client()
    for host in ("localhost", "localhost:8000", "127.0.0.1:8000", "127.9.9.9", "[::1]:8000", "LOCALHOST"):
        assert client.get("/api/csrf", headers={"Host": host}).status_code == 200, host
    token = csrf_token(client)
    before = _snapshot(app)
    for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", "10.0.0.5", "[::2]"):
        stolen = client.get("/api/csrf", headers={"Host": host})
        assert stolen.status_code == 400 and b"csrf_token" not in stolen.data, host
        headers = {"Host": host, "X-CSRFToken": token}
        answer = client.post("/api/answer", json={"card_id": "a-fact", "rating": 3}, headers=headers)
        assert answer.status_code == 400, host
        assert client.get("/export/reviews.csv", headers={"Host": host}).status_code == 400, host
    assert _snapshot(app) == before


def test_a_cloze_gap_inside_a_link_cannot_break_its_tag(tmp_path: Path) -> None:
    decks = tmp_path / "gaps"
    shutil.copytree(FIXTURE_DECKS, decks)
    text = 'See [the guide](https://example.org/{{c1::path}} "{{c2::a title}}") and {{c1::the answer}}.'
    (decks / "beta.yaml").write_text(
        "deck: beta\ntitle: Beta\ndescription: Gaps.\ncards:\n"
        f"  - id: b-link-cloze\n    kind: cloze\n    text: {json.dumps(text)}\n"
        "    concepts: [class-imbalance]\n"
    )
    with web_app(f"sqlite:///{tmp_path / 'x.db'}", decks, tmp_path / "data") as app:
        client = app.test_client()
        card = client.get("/api/next?domain=beta").get_json()["card"]
        shown = [card["front_html"], card["back_html"]]
        shown.append(client.get("/review/reveal?card_id=b-link-cloze").get_data(as_text=True))
        shown.append(client.get("/cards/b-link-cloze").get_data(as_text=True))
    for html in shown:
        parser = _Elements()
        parser.feed(html)
        for tag, attrs in parser.tags:
            assert all(re.fullmatch(r"[a-z-]+", name) for name in attrs), (tag, attrs)
        links = [attrs for tag, attrs in parser.tags if tag == "a" and "example.org" in attrs.get("href", "")]
        assert links and all(set(link) == {"href", "title", "rel"} for link in links), links
        assert not any("<" in value or "cloze" in value for link in links for value in link.values())
    # The card of c1 hides the address's gap and shows the title's (c2 is a card of its own).
    assert 'href="https://example.org/[...]"' in shown[0] and 'title="a title"' in shown[0]
    assert 'href="https://example.org/path"' in shown[1]
