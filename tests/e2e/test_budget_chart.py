"""The suite-health page's time-budget chart in a real Chromium, at 390 px and at 1400 px."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.site import ARGS, CHROMIUM, Site, live_site

pytestmark = pytest.mark.e2e

# Widths of the page, the Time budget card and its chart, as the browser lays them out.
MEASURE = """() => {
  const card = [...document.querySelectorAll('section.card')]
    .find((s) => s.querySelector('h2')?.textContent === 'Time budget');
  const canvas = card.querySelector('div.chart canvas');
  return {
    page: document.documentElement.scrollWidth,
    window: window.innerWidth,
    card: card.clientWidth,
    chart: canvas.getBoundingClientRect().width,
    title: card.querySelector('figcaption')?.textContent ?? '',
    legend: card.querySelector('p.legend')?.textContent ?? '',
  };
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with live_site(tmp_path_factory.mktemp("site")) as running:
        yield running


@pytest.mark.parametrize("width", [390, 1400])
def test_the_budget_chart_fits_its_card_and_names_the_budget(site: Site, width: int) -> None:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
            page.goto(f"{site.url}/login")
            page.fill("#token", site.admin_token)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Overview")
            page.goto(f"{site.url}/tests/health")
            expect(page.locator("h1")).to_have_text("Suite health")
            expect(page.locator("section.card div.chart canvas").first).to_be_visible()
            measured = page.evaluate(MEASURE)
        finally:
            browser.close()

    assert measured["page"] <= measured["window"]
    assert 0 < measured["chart"] <= measured["card"]
    assert measured["title"] == "Suite runtime per day against its time budget"
    assert measured["legend"] == "Budget 300 s (time_budget_s); census runs left out."
