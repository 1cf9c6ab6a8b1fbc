"""Browse and /api/cards over HTTP: words in any order, filters, their links and their errors."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.support import collection_of
from tests.web.test_web import text_of

CARD_LINK = re.compile(r'<a href="/cards/([a-z0-9-]+)">')


def ids(client: FlaskClient, query: str) -> list[str]:
    response = client.get("/browse?" + query)
    assert response.status_code == 200, text_of(response)
    return CARD_LINK.findall(text_of(response))


def test_words_in_any_order_with_filters(app: Flask, client: FlaskClient) -> None:
    assert ids(client, "q=milliseconds+scoring") == ["a-cloze"]
    assert ids(client, "q=question+beta&kind=fact") == ["b-one", "b-two"]
    assert ids(client, "q=beta&kind=cloze") == ["b-three"]
    collection_of(app).suspend("b-two")
    assert ids(client, "q=question+beta&suspended=no") == ["b-one"]
    assert ids(client, "q=question+beta&suspended=yes&state=new") == ["b-two"]
    assert ids(client, "leech=yes") == []
    assert ids(client, "due=today") == []
    page = text_of(client.get("/browse?q=question+beta&suspended=no"))
    assert "1 card found." in page
    assert "2 cards found, best matches first." in text_of(client.get("/browse?q=question+beta"))
    assert '<option value="no" selected>Not suspended</option>' in page and 'value="question beta"' in page


@pytest.mark.parametrize(
    "typed",
    ['"', "*", "-recall", "a:b", "AND OR NOT", "NEAR(", "ünï 😀", "'; DROP TABLE cards; --", "x" * 3000],
)
def test_any_typed_text_is_a_page(client: FlaskClient, typed: str) -> None:
    assert client.get("/browse", query_string={"q": typed}).status_code == 200
    assert client.get("/api/cards", query_string={"q": typed}).status_code == 200


def test_a_bad_filter_is_a_clear_400(client: FlaskClient) -> None:
    response = client.get("/browse?kind=note&due=soon")
    assert response.status_code == 400
    assert "kind must be one of fact, cloze, drill" in text_of(response)
    assert "due must be one of today, overdue" in text_of(response)
    assert client.get("/api/cards?leech=maybe").status_code == 400


def test_page_links_keep_the_words_and_filters(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.library.PAGE_SIZE", 1)
    page = text_of(client.get("/browse?q=beta&kind=fact&deck=beta&suspended=no&page=1"))
    assert "Page 1 of 2" in page
    [link] = re.findall(r'<a href="(/browse\?[^"]+)">Next</a>', page)
    following = text_of(client.get(html.unescape(link)))
    assert "Page 2 of 2" in following and CARD_LINK.findall(following) == ["b-two"]
    assert all(part in html.unescape(link) for part in ("q=beta", "kind=fact", "deck=beta", "suspended=no"))


def test_the_api_searches_the_same_way(app: Flask, client: FlaskClient) -> None:
    found = client.get("/api/cards?q=fraud+design&kind=drill").get_json()
    assert found["total"] == 1 and [c["id"] for c in found["cards"]] == ["a-drill"]
    collection_of(app).suspend("a-fact")
    found = client.get("/api/cards?q=fraud&suspended=true").get_json()
    assert [c["id"] for c in found["cards"]] == ["a-fact"]
