"""The run page in a real headless Chromium: reached from the runs list, its assertion diff
keeps its line breaks as the browser renders it, and the CSP is never violated."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.test_dashboard import ARGS, Live, chromium_path, live  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e

DIFF = "assert [1, 2, 3] == [1, 2, 4]\n  \n  At index 2 diff: 3 != 4"
REPORT = (
    '<testsuite name="shop" tests="1"><testcase classname="tests.test_cart" name="test_total" '
    'file="tests/test_cart.py" time="0.1"><failure message="'
    + DIFF.replace("\n", "&#10;")
    + '">trace</failure></testcase></testsuite>'
).encode()


@pytest.mark.parametrize("width", [1400, 390])
def test_a_reader_opens_a_run_from_the_runs_list_and_reads_its_diff(
    live: Live,  # noqa: F811 - the imported fixture
    chromium_path: str,  # noqa: F811 - the imported fixture
    width: int,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with httpx.Client(base_url=live.url) as client:
        response = client.post(
            "/api/v1/tests/runs?commit=feed42&branch=main&run_id=99",
            content=REPORT,
            headers={
                "Authorization": f"Bearer {live.writer_token}",
                "Content-Type": "application/xml",
            },
        )
        assert response.status_code == 200, response.text
        run_key = response.json()[0]["run_key"]

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.goto(f"{live.url}/login")
            page.fill("#token", live.writer_token)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Overview")

            page.goto(f"{live.url}/tests/runs")
            page.click(f'a[href="/tests/runs/{run_key}"]')

            expect(page.locator("h1")).to_have_text(f"Run {run_key[:12]}")
            expect(page.locator("article.failure h3")).to_have_text(
                "tests/test_cart.py::test_total"
            )
            assert page.locator("pre.message").inner_text() == DIFF
            expect(page.locator("tr.current td").first).to_have_text("this run")
            assert [m for m in console if "Content Security Policy" in m] == []
        finally:
            browser.close()
