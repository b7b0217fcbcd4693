"""Every dashboard page in a real headless Chromium at 390 px (a phone) and at 1400 px.

On each page: no horizontal page scroll, exactly (the document is never wider than the window);
the navigation collapses behind a "Menu" disclosure on the phone and opens with the keyboard;
the first Tab shows a visible focus ring. Tables scroll inside their card, charts shrink.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.site import ARGS, CHROMIUM, PAGES, Site, live_site

pytestmark = pytest.mark.e2e

NAV = [
    "Overview",
    "Flaky tests",
    "Suite health",
    "Quarantine",
    "Runs",
    "Gates",
    "Audit",
    "Migrations",
    "Contracts",
    "Logs",
]

# What the browser says about the page: widths, and the element focused with its outline.
MEASURE = """() => {
  const el = document.activeElement;
  const style = el ? getComputedStyle(el) : null;
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    focusVisible: el ? el.matches(':focus-visible') : false,
    outline: style ? [style.outlineStyle, parseFloat(style.outlineWidth)] : null,
  };
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with live_site(tmp_path_factory.mktemp("site")) as running:
        yield running


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI must provide Chromium", pytrace=False)
        pytest.skip(f"{CHROMIUM} is missing")
    return CHROMIUM


@pytest.mark.parametrize("width", [390, 1400])
def test_every_page_fits_the_width_has_a_working_menu_and_a_visible_focus(
    site: Site, chromium_path: str, width: int
) -> None:
    from playwright.sync_api import expect, sync_playwright

    measured: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            signed_in = browser.new_context(viewport={"width": width, "height": 900})
            page = signed_in.new_page()
            page.goto(f"{site.url}/login")
            page.fill("#token", site.admin_token)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Overview")
            signed_out = browser.new_context(viewport={"width": width, "height": 900})
            for spec in PAGES:
                tab = (signed_in if spec.signed_in else signed_out).new_page()
                tab.goto(site.href(spec))
                expect(tab.locator("h1")).to_have_text(site.heading(spec))
                # The first Tab lands on the skip link, with its focus ring.
                tab.keyboard.press("Tab")
                measured[spec.name] = tab.evaluate(MEASURE)
                expect(tab.locator(":focus")).to_have_text("Skip to content")
                links = tab.locator("nav[aria-label=Main] a")
                summary = tab.locator(".menu > summary")
                if spec.menu and width == 390:
                    # Collapsed: the links are hidden until the menu opens, by keyboard.
                    expect(links.first).to_be_hidden()
                    tab.keyboard.press("Tab")  # the brand
                    tab.keyboard.press("Tab")
                    expect(summary).to_be_focused()
                    expect(summary).to_be_visible()
                    tab.keyboard.press("Enter")
                    expect(links).to_have_text(NAV)
                    for i in range(len(NAV)):
                        expect(links.nth(i)).to_be_visible()
                    tab.keyboard.press("Tab")
                    expect(links.first).to_be_focused()
                    assert tab.evaluate(MEASURE)["focusVisible"] is True
                    assert tab.evaluate(MEASURE)["scrollWidth"] <= width  # open, it fits too
                    summary.focus()
                    tab.keyboard.press("Enter")
                    expect(links.first).to_be_hidden()
                elif spec.menu:
                    expect(summary).to_be_hidden()
                    expect(links).to_have_text(NAV)
                    expect(links.last).to_be_visible()
                else:
                    expect(summary).to_have_count(0)
                tab.close()
        finally:
            browser.close()
    overflowing = {
        name: (m["scrollWidth"], m["innerWidth"])
        for name, m in measured.items()
        if m["scrollWidth"] > m["innerWidth"]
    }
    assert overflowing == {}
    assert {name: m["innerWidth"] for name, m in measured.items()} == {
        spec.name: width for spec in PAGES
    }
    unfocused = {
        name: m["outline"]
        for name, m in measured.items()
        if not (m["focusVisible"] and m["outline"][0] == "solid" and m["outline"][1] >= 2)
    }
    assert unfocused == {}
