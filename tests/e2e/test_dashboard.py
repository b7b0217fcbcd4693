"""The dashboard in a real headless Chromium against the real app, service and SQLite.

History is ingested through the HTTP API; the browser signs in with a token, walks from the
overview to the flaky-tests table and a test page, and quarantines a test through the htmx form.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from readiness._common.clock import SystemClock
from readiness.auth.service import TokenService
from readiness.config import load_settings
from readiness.server.app import create_app
from readiness.storage import open_stores
from tests._live import live_server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PAY = "tests/test_orders.py::test_pay"

pytestmark = pytest.mark.e2e


def _report(pay_outcome: str) -> bytes:
    failure = '<failure message="assert 502 == 200">AssertionError</failure>'
    return f"""<?xml version="1.0"?>
<testsuite name="shop" tests="3">
  <testcase classname="tests.test_orders" name="test_create" file="tests/test_orders.py"
            time="0.2"/>
  <testcase classname="tests.test_orders" name="test_pay" file="tests/test_orders.py" time="1.4">
    {failure if pay_outcome == "failed" else ""}
  </testcase>
  <testcase classname="tests.test_users" name="test_signup" file="tests/test_users.py" time="0.6"/>
</testsuite>""".encode()


@dataclass
class Live:
    url: str
    writer_token: str


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    settings = load_settings(tmp_path, environ={})
    stores = open_stores(settings)
    clock = SystemClock()
    writer, _ = TokenService(stores=stores, clock=clock, actor="e2e").create(
        name="dashboard-e2e", role="writer"
    )
    app = create_app(settings, stores=stores, clock=clock)
    try:
        with live_server(app) as url:
            headers = {"Authorization": f"Bearer {writer}"}
            with httpx.Client(base_url=url, headers=headers) as client:
                # Same commit failing then passing: the textbook flaky signal.
                for n, outcome in enumerate(["failed", "passed", "failed", "passed"], start=1):
                    response = client.post(
                        f"/api/v1/tests/runs?commit=c0ffee{(n + 1) // 2}&branch=main&run_id={n}",
                        content=_report(outcome),
                        headers={"Content-Type": "application/xml"},
                    )
                    assert response.status_code == 200, response.text
            yield Live(url, writer)
    finally:
        stores.dispose()


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI must provide Chromium", pytrace=False)
        pytest.skip(f"{CHROMIUM} is missing")
    return CHROMIUM


def test_a_writer_signs_in_finds_the_flaky_test_and_quarantines_it(
    live: Live, chromium_path: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{live.url}/")
            expect(page.locator("h1")).to_have_text("Sign in")
            page.fill("#token", live.writer_token)
            page.click("button[type=submit]")

            expect(page.locator("h1")).to_have_text("Overview")
            expect(page.locator(".who span")).to_have_text("dashboard-e2e (writer)")
            expect(page.locator(".tile").first).to_have_text("3tests")
            page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

            page.click("nav >> text=Flaky tests")
            expect(page.locator("h1")).to_have_text("Flaky tests")
            row = page.locator("table.data tbody tr").first
            expect(row.locator("td").first).to_have_text(PAY)
            expect(row.locator(".badge")).to_have_text("flaky")
            page.fill("#q", "signup")
            expect(page.locator("#flaky-table")).to_have_text("No tests match this filter.")
            page.fill("#q", "pay")
            expect(page.locator("table.data tbody tr")).to_have_count(1)

            page.click(f"text={PAY}")
            expect(page.locator("h1")).to_have_text(PAY)
            expect(page.locator(".strip .run")).to_have_count(4)
            expect(page.locator(".strip .cell.failed")).to_have_count(2)
            page.screenshot(path=str(tmp_path / "test.png"), full_page=True)

            page.click("nav >> text=Quarantine")
            expect(page.locator("#quarantine-list")).to_have_text(
                "Nothing is quarantined. Quarantine a flaky test with the form below, or with "
                "readiness tests quarantine add TEST_ID --reason WHY; see docs/testhealth.md."
            )
            page.fill("#add-test_id", PAY)
            page.fill("#add-reason", "fails when the payment stub times out")
            page.fill("#add-owner", "@payments")
            page.once("dialog", lambda dialog: dialog.accept())  # the action's confirmation
            page.click("#action-add button[type=submit]")
            expect(page.locator("main .notice")).to_contain_text(f"Quarantined {PAY} until")
            cells = page.locator("#quarantine-list tbody tr td")
            expect(cells.nth(0)).to_have_text(PAY)
            expect(cells.nth(1)).to_have_text("@payments")
            expect(cells.nth(2)).to_have_text("fails when the payment stub times out")
            expect(cells.nth(5)).to_have_text("dashboard-e2e#1")
            expect(page.locator("#add-test_id")).to_have_value("")
            page.screenshot(path=str(tmp_path / "quarantine.png"), full_page=True)
        finally:
            browser.close()
    with httpx.Client(base_url=live.url) as client:
        listed = client.get(
            "/api/v1/tests/quarantine", headers={"Authorization": f"Bearer {live.writer_token}"}
        ).json()
    assert [(e["test_id"], e["owner"]) for e in listed] == [(PAY, "@payments")]


def test_sign_out_in_chromium_kills_a_copied_cookie_and_the_csp_is_never_violated(
    live: Live, chromium_path: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.goto(f"{live.url}/login")
            page.fill("#token", live.writer_token)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Overview")
            headers = page.request.get(f"{live.url}/").headers
            assert headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in headers["content-security-policy"]
            # htmx drives the quarantine form (and app.js resets it) under the policy.
            page.click("nav >> text=Quarantine")
            page.fill("#add-test_id", PAY)
            page.fill("#add-reason", "times out")
            page.once("dialog", lambda dialog: dialog.accept())
            page.click("#action-add button[type=submit]")
            expect(page.locator("main .notice")).to_contain_text("Quarantined")
            expect(page.locator("#add-test_id")).to_have_value("")
            copied = [c for c in context.cookies() if c["name"] == "readiness_session"]
            assert len(copied) == 1

            page.click(".who button")
            expect(page.locator("h1")).to_have_text("Sign in")

            thief = browser.new_context()
            thief.add_cookies(copied)  # type: ignore[arg-type]
            stolen = thief.new_page()
            stolen.goto(f"{live.url}/tests/quarantine")
            expect(stolen.locator("h1")).to_have_text("Sign in")
            thief.close()
            assert [m for m in console if "Content Security Policy" in m] == []
        finally:
            browser.close()
