"""The chart block in a real headless Chromium: drawn, fitting its card, labelled, readable.

On the suite-health and gates pages at 1400 px and 390 px: every chart container gets a drawn
canvas no wider than its card, the legend names the series, hovering the plot shows the value
as the data table spells it (``50%``, ``2 s``, never ``0.411s``), and the table is there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.site import ARGS, Site, live_site
from tests.e2e.test_responsive import chromium_path

__all__ = ["chromium_path"]  # a re-exported fixture: pytest finds it by name here

pytestmark = pytest.mark.e2e

# Per chart: its drawn size, its card's, whether its canvas has ink, legend names, table rows.
MEASURE = """(el) => {
  const chart = el.readinessChart;
  const canvas = el.querySelector('canvas');
  const ctx = canvas.getContext('2d');
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) ink++;
  const figure = el.closest('figure');
  const card = el.closest('.card');
  return {
    width: el.querySelector('.uplot').getBoundingClientRect().width,
    figure: figure.clientWidth,
    cardFits: card.scrollWidth <= card.clientWidth,
    ink: ink,
    legend: [...el.querySelectorAll('.u-legend .u-series .u-label')].map(e => e.textContent),
    rows: [...figure.querySelectorAll('details.chart-data tbody tr')].map(
      tr => [...tr.children].map(c => c.textContent)),
    yMax: chart.scales.y.max,
  };
}"""

EXPECTED_LEGENDS = {
    "/tests/health": [
        ["Day", "p50", "p95"],
        ["Day", "suite", "budget"],
        ["Day", "quarantined"],
        ["Share of runs"],  # bars: the legend names the series, the tooltip the bar
        ["Mean duration"],
        ["Tests"],
    ],
    "/gates": [["Day", "pass rate"], ["Day", "median"]],
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with live_site(tmp_path_factory.mktemp("site")) as running:
        yield running


def _hover_text(page: Any, index: int) -> str:
    """Hover the middle of chart ``index``'s plot; the tooltip's text."""
    over = page.locator("div.chart .u-over").nth(index)
    over.scroll_into_view_if_needed()
    box = over.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    tip = page.locator("div.chart .chart-tooltip").nth(index)
    tip.wait_for(state="visible")
    return str(tip.inner_text())


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize("path", ["/tests/health", "/gates"])
def test_every_chart_is_drawn_fits_its_card_and_reads_like_its_table(
    site: Site, chromium_path: str, width: int, path: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            # A Content-Security-Policy violation or a script error is logged as an error.
            errors: list[str] = []
            # (The browser's own /favicon.ico request is a 404 we do not count; assets are.)
            page.on(
                "console",
                lambda m: (
                    errors.append(m.text)
                    if m.type == "error" and not m.text.startswith("Failed to load resource")
                    else None
                ),
            )
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "response",
                lambda r: errors.append(r.url) if "/static/" in r.url and r.status >= 400 else None,
            )
            page.goto(f"{site.url}/login")
            page.fill("#token", site.admin_token)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Overview")
            page.goto(site.url + path)
            containers = page.locator("div.chart[data-chart]")
            expect(containers).to_have_count(len(EXPECTED_LEGENDS[path]))
            expect(page.locator("div.chart[data-chart] canvas")).to_have_count(
                len(EXPECTED_LEGENDS[path])
            )
            measured = [containers.nth(i).evaluate(MEASURE) for i in range(containers.count())]
            hovered = [_hover_text(page, i) for i in range(containers.count())]
            fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            roles = containers.evaluate_all("els => els.map(e => [e.role, e.ariaLabel !== ''])")
            summary = page.locator("details.chart-data > summary").first
            summary.focus()
            page.keyboard.press("Enter")
            table_shown = page.locator("details.chart-data table").first.is_visible()
        finally:
            browser.close()

    assert errors == []
    assert fits is True
    assert roles == [["img", True]] * len(measured)
    assert [m["legend"] for m in measured] == EXPECTED_LEGENDS[path]
    for m in measured:
        assert m["ink"] > 0
        assert 0 < m["width"] <= m["figure"]
        assert m["cardFits"] is True
        assert m["rows"]
    # The hovered point (the right-most) reads as its row of the table does.
    for m, text in zip(measured, hovered, strict=True):
        last = m["rows"][-1] if "Day" in m["legend"] else None
        if last is not None:
            assert text.splitlines() == [
                last[0],
                *(
                    f"{name}: {value}"
                    for name, value in zip(m["legend"][1:], last[1:], strict=True)
                ),
            ]
    assert table_shown is True
    if path == "/gates":
        assert [m["rows"] for m in measured] == [
            [[m["rows"][0][0], "50%"]],
            [[m["rows"][0][0], "2 s"]],
        ]
        assert measured[0]["yMax"] == 100
    else:
        assert measured[3]["yMax"] == 100  # the rates chart: a share of runs, 0–100%
