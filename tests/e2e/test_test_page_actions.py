"""The test page's actions in a real headless Chromium, at 390 px (a phone) and at 1400 px.

Each action end to end: quarantine (a dismissed confirmation sends nothing, an accepted one
runs), release, set the owner, link an issue; the page never scrolls sideways; the action
buttons show a focus ring to keyboard users; a reader sees no action; without JavaScript the
confirmation page stands in for the dialog. History cells are links to their runs.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.site import ARGS, CHROMIUM, Site, live_site

pytestmark = pytest.mark.e2e

CREATE = "tests/test_orders.py::test_create"
FIT = "() => document.documentElement.scrollWidth <= window.innerWidth"
FOCUS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return [el.tagName, el.matches(':focus-visible'), style.outlineStyle,
          parseFloat(style.outlineWidth)];
}"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with live_site(tmp_path) as running:
        yield running


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI must provide Chromium", pytrace=False)
        pytest.skip(f"{CHROMIUM} is missing")
    return CHROMIUM


def _sign_in(browser: Any, site: Site, token: str, width: int, **options: Any) -> Any:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": width, "height": 900}, **options)
    page = context.new_page()
    page.goto(f"{site.url}/login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Overview")
    return page


def _act(page: Any, key: str, accept: bool = True, **fields: str) -> None:
    for name, value in fields.items():
        page.fill(f"#{key}-{name}", value)
    page.once("dialog", lambda dialog: dialog.accept() if accept else dialog.dismiss())
    page.click(f"#action-{key} button[type=submit]")


@pytest.mark.parametrize("width", [390, 1400])
def test_each_action_end_to_end_fits_the_width_and_shows_focus(
    site: Site, chromium_path: str, width: int
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = _sign_in(browser, site, site.admin_token, width)
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.goto(f"{site.url}/tests/t/{quote(CREATE)}")
            expect(page.locator("h1")).to_have_text(CREATE)
            assert page.evaluate(FIT)

            # Dismissed: nothing is sent, nothing changes.
            _act(page, "quarantine", accept=False, reason="stub times out", expires="90d")
            expect(page.locator("#quarantine-heading + p.empty")).to_have_text(
                "Not quarantined: its failures block merges."
            )
            expect(page.locator("main .notice")).to_have_count(0)

            _act(page, "quarantine", reason="stub times out", expires="90d")
            notice = page.locator("main .notice")
            expect(notice).to_have_text(re.compile(rf"^Quarantined {re.escape(CREATE)} until "))
            expect(page.locator("dl.details dd").nth(1)).to_have_text("stub times out")
            assert page.evaluate(FIT)

            _act(page, "release", reason="fixed in #12")
            expect(notice).to_have_text(f"Released {CREATE} from quarantine.")
            expect(page.locator("#action-quarantine")).to_have_count(1)

            _act(page, "owner", owner="@payments")
            expect(notice).to_have_text(f"Owner of {CREATE} set to @payments.")

            _act(page, "issue", issue="https://tracker.example/PAY-9")
            expect(notice).to_have_text(f"Linked https://tracker.example/PAY-9 to {CREATE}.")
            expect(page.locator('a[href="https://tracker.example/PAY-9"]')).to_have_count(1)
            assert page.evaluate(FIT)

            # Keyboard: Tab from the owner field lands on its button, with a visible ring.
            page.focus("#owner-owner")
            page.keyboard.press("Tab")
            tag, visible, style, outline = page.evaluate(FOCUS)
            assert (tag, visible, style) == ("BUTTON", True, "solid")
            assert outline >= 2
            assert [m for m in console if "Content Security Policy" in m] == []

            # Every history cell is a link to its run.
            first = page.locator(".strip a.run").first
            assert re.fullmatch(
                r"run \d{4}-\d\d-\d\d \d\d:\d\d main c0ffee\d: passed",
                first.get_attribute("aria-label") or "",
            )
            first.click()
            expect(page.locator("h1")).to_have_text(re.compile(r"^Run "))
        finally:
            browser.close()


@pytest.mark.parametrize("width", [390, 1400])
def test_a_reader_sees_the_test_page_without_actions(
    site: Site, chromium_path: str, width: int
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with httpx.Client(base_url=site.url) as client:
        made = client.post(
            "/api/v1/tokens",
            json={"name": "e2e-reader", "role": "reader"},
            headers={"Authorization": f"Bearer {site.admin_token}"},
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = _sign_in(browser, site, made.json()["token"], width)
            page.goto(f"{site.url}/tests/t/{quote(CREATE)}")
            expect(page.locator("h1")).to_have_text(CREATE)
            expect(page.locator("form.action")).to_have_count(0)
            expect(page.locator("#owner-heading + dl dd").first).to_have_text("none set")
            assert page.evaluate(FIT)
        finally:
            browser.close()


def test_without_javascript_a_confirmation_page_stands_in_for_the_dialog(
    site: Site, chromium_path: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = _sign_in(browser, site, site.admin_token, 390, java_script_enabled=False)
            page.goto(f"{site.url}/tests/t/{quote(CREATE)}")
            page.fill("#owner-owner", "@shop")
            page.click("#action-owner button[type=submit]")
            expect(page.locator("h1")).to_have_text("Confirm: Set owner")
            expect(page.locator(".confirm dd")).to_have_text("@shop")
            assert page.evaluate(FIT)
            page.click(".confirm button[type=submit]")
            expect(page.locator("main .notice")).to_have_text(f"Owner of {CREATE} set to @shop.")
        finally:
            browser.close()
