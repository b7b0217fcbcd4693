"""The table block in a real headless Chromium, at 1400 px and 390 px: a header click sorts
and puts the view in the URL, the next-page link works, the back button restores the view,
header links show their keyboard focus, and the table scrolls inside its card on a phone."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.site import ARGS, CHROMIUM, FLAKY, Site, live_site

pytestmark = pytest.mark.e2e

CHECKOUT = (
    "tests/integration/test_checkout_end_to_end.py::"
    "test_checkout_with_every_payment_provider_and_a_slow_network[eu-west-1-sandbox]"
)
CREATE = "tests/test_orders.py::test_create"
SIGNUP = "tests/test_users.py::test_signup"
START = "/tests/flaky?status=all&per_page=2"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with live_site(tmp_path_factory.mktemp("tables")) as running:
        yield running


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI must provide Chromium", pytrace=False)
        pytest.skip(f"{CHROMIUM} is missing")
    return CHROMIUM


def _rows(page: Any) -> list[str]:
    return [str(t) for t in page.locator("#flaky-table td.test a").all_inner_texts()]


@pytest.mark.parametrize("width", [390, 1400])
def test_sorting_paging_and_the_back_button_keep_the_view_in_the_url(
    site: Site, chromium_path: str, width: int
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
            page.goto(f"{site.url}/login?next={START}")
            page.fill("#token", site.admin_token)
            page.click("button[type=submit]")
            page.goto(site.url + START)
            expect(page.locator("h1")).to_have_text("Flaky tests")
            first_view = _rows(page)
            assert len(first_view) == 2
            expect(page.locator(".pager-rows")).to_have_text("rows 1–2 of 4 · page 1 of 2")

            header = page.locator("th", has=page.locator("a.sort", has_text="Test"))
            expect(header).to_have_attribute("aria-sort", "none")
            header.locator("a").click()
            expect(page).to_have_url(
                f"{site.url}/tests/flaky?status=all&sort=test&dir=asc&per_page=2"
            )
            expect(header).to_have_attribute("aria-sort", "ascending")
            assert _rows(page) == [CHECKOUT, CREATE]

            page.locator("a.pager-link[rel=next]").click()
            expect(page).to_have_url(re.compile(r"sort=test&dir=asc&per_page=2&page=2$"))
            expect(page.locator(".pager-rows")).to_have_text("rows 3–4 of 4 · page 2 of 2")
            assert _rows(page) == [FLAKY, SIGNUP]

            page.go_back()
            expect(page).to_have_url(
                f"{site.url}/tests/flaky?status=all&sort=test&dir=asc&per_page=2"
            )
            expect(page.locator("#flaky-table td.test a").first).to_have_text(CHECKOUT)
            assert _rows(page) == [CHECKOUT, CREATE]
            page.go_back()
            expect(page).to_have_url(site.url + START)
            expect(page.locator("#flaky-table td.test a").first).to_have_text(first_view[0])
            assert _rows(page) == first_view

            page.reload()  # the URL alone gives the view
            assert _rows(page) == first_view

            page.select_option("#owner", "@payments")
            expect(page).to_have_url(re.compile(r"status=all&owner=%40payments&per_page=2$"))
            expect(page.locator(".pager-rows")).to_have_text("1 row")
            assert _rows(page) == [FLAKY]
            page.go_back()
            expect(page).to_have_url(site.url + START)
            expect(page.locator(".pager-rows")).to_have_text("rows 1–2 of 4 · page 1 of 2")
            measured = page.evaluate(
                """() => {
                  const box = document.querySelector('#flaky-table');
                  return {page: document.documentElement.scrollWidth, window: window.innerWidth,
                          overflow: getComputedStyle(box).overflowX};
                }"""
            )
            assert measured == {"page": width, "window": width, "overflow": "auto"}
        finally:
            browser.close()


def test_header_sort_links_show_a_visible_keyboard_focus(site: Site, chromium_path: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.goto(f"{site.url}/login")
            page.fill("#token", site.admin_token)
            page.click("button[type=submit]")
            page.goto(site.url + START)
            page.locator("form.filters button[type=submit]").focus()
            page.keyboard.press("Tab")
            link = page.locator("a.sort").first
            expect(link).to_be_focused()
            focus = link.evaluate(
                """el => [el.matches(':focus-visible'), getComputedStyle(el).outlineStyle,
                          parseFloat(getComputedStyle(el).outlineWidth)]"""
            )
            assert focus == [True, "solid", 3.0]
            page.keyboard.press("Enter")
            expect(page).to_have_url(re.compile(r"sort=test&dir=asc"))
        finally:
            browser.close()
