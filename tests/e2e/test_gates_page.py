"""The gates page in a real headless Chromium, at 1400 px and at 390 px (a phone)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

# The live server with ingested history and the browser path are test_dashboard's fixtures.
from tests.e2e.test_dashboard import ARGS, Live, chromium_path, live

__all__ = ["chromium_path", "live"]  # re-exported fixtures: pytest finds them by name here

pytestmark = pytest.mark.e2e

HEAD = "3f2a9c1d5e7b8a0f4c6d2e1b9a8f7c6d5e4b3a2f1e0d9c8b7a6f5e4d3c2b1a09"


def _record_gate_runs(live: Live) -> None:
    checks = [
        {"id": "tests.passed", "status": "fail", "summary": "1 of 3 tests failed: " + "x" * 80},
        {"id": "tests.no_new_flaky", "status": "pass", "summary": "No test became flaky"},
    ]
    headers = {"Authorization": f"Bearer {live.writer_token}"}
    with httpx.Client(base_url=live.url, headers=headers) as client:
        for verdict, duration in (("pass", 1.5), ("fail", 2.5)):
            body = {
                "gate": "merge",
                "commit": HEAD,
                "verdict": verdict,
                "checks": checks if verdict == "fail" else checks[1:],
                "duration_s": duration,
            }
            response = client.post("/api/v1/gates/runs", json=body)
            assert response.status_code == 201, response.text


@pytest.mark.parametrize("width", [1400, 390])
def test_the_gates_page_shows_runs_and_trends_and_its_content_fits_the_width(
    live: Live, chromium_path: str, tmp_path: Path, width: int
) -> None:
    from playwright.sync_api import expect, sync_playwright

    _record_gate_runs(live)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(f"{live.url}/gates")
            page.fill("#token", live.writer_token)
            page.click("button[type=submit]")
            page.goto(f"{live.url}/gates")

            expect(page.locator("h1")).to_have_text("Gates")
            badges = page.locator("table.data .badge")
            expect(badges).to_have_text(["fail", "pass"])
            expect(page.locator("table.data code").first).to_have_text(HEAD[:12])
            expect(page.locator("div.chart[data-chart] canvas")).to_have_count(2)
            # No horizontal page scroll: the tables scroll inside their card, the menu folds.
            fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.screenshot(path=str(tmp_path / f"gates-{width}.png"), full_page=True)
        finally:
            browser.close()
    assert fits is True
