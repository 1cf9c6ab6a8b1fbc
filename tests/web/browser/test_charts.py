"""The Stats charts as a learner of every bundled deck sees them in Chromium, on a phone and a
desktop: the concept heatmap's labels do not overlap, and the retention chart gives every domain
a colour of its own and its whole name in the legend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page

from tests.conftest import NOW
from tests.web.browser.conftest import shot
from tests.web.support import collection_of, web_app

pytestmark = pytest.mark.browser

BUNDLED_DECKS = Path(__file__).resolve().parents[3] / "decks"
DRAWN = "figure => figure.dataset.drawn === 'true' && figure.querySelector('svg') !== null"
# Neighbouring labels of one axis that overlap: their anchors closer across the direction the
# text runs (rotated or not) than a line of that text is high.
OVERLAPPING_LABELS = """figure => {
  const overlaps = [];
  for (const axis of figure.querySelectorAll("g.role-axis")) {
    const labels = [...axis.querySelectorAll("g.role-axis-label text")].map((text) => {
      const m = text.transform.baseVal.consolidate().matrix;
      return { text: text.textContent, x: m.e, y: m.f, angle: Math.atan2(m.b, m.a),
               size: parseFloat(getComputedStyle(text).fontSize) };
    });
    const [first, second] = labels;
    const across = second !== undefined && Math.abs(second.x - first.x) > Math.abs(second.y - first.y);
    labels.sort((p, q) => (across ? p.x - q.x : p.y - q.y));
    for (let i = 1; i < labels.length; i++) {
      const [p, q] = [labels[i - 1], labels[i]];
      const gap = Math.abs(-(q.x - p.x) * Math.sin(p.angle) + (q.y - p.y) * Math.cos(p.angle));
      if (gap < p.size - 1) overlaps.push(p.text + " / " + q.text);
    }
  }
  return overlaps.slice(0, 5);
}"""
LEGEND = """figure => {
  const colours = [...figure.querySelectorAll("g.role-legend-symbol path")]
    .map((path) => path.getAttribute("fill"));
  return [...figure.querySelectorAll("g.role-legend-label text")]
    .map((text, i) => [text.textContent, colours[i]]);
}"""


@pytest.fixture
def app(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    """Every bundled deck, two cards of each studied a month ago and reviewed ten days ago."""
    with web_app(sqlite_url, BUNDLED_DECKS, tmp_path / "data") as built:
        col = collection_of(built)
        chosen: dict[str, list[str]] = {}
        for study in col.cards():
            if not study.card.points and len(chosen.setdefault(study.card.deck, [])) < 2:
                chosen[study.card.deck].append(study.id)
        for number, card_id in enumerate(card for cards in chosen.values() for card in cards):
            col.answer(card_id, 4, now=NOW - timedelta(days=30))
            col.answer(card_id, 1 if number % 3 == 0 else 3, now=NOW - timedelta(days=10))
        yield built


def test_charts_stay_readable_with_every_deck(app: Flask, base_url: str, page: Page) -> None:
    domains = len(collection_of(app).decks())
    assert domains > 10
    page.goto(base_url + "/stats")
    concepts = page.locator("figure[data-chart='concepts']")
    retention = page.locator("figure[data-chart='retention']")
    for figure in (concepts, retention):
        figure.scroll_into_view_if_needed()
        page.wait_for_function(DRAWN, arg=figure.element_handle())
    assert concepts.evaluate(OVERLAPPING_LABELS) == []
    legend = retention.evaluate(LEGEND)
    assert len(legend) == domains
    assert not [label for label, _colour in legend if label.endswith("…")]
    assert len({colour for _label, colour in legend}) == domains
    concepts.scroll_into_view_if_needed()
    shot(page, "stats-concepts")
