"""The admin's webhooks page in a real headless Chromium, at 1400 px and at 390 px (a phone):
add a webhook pointing at a real local receiver, send a test event, see it delivered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from readiness._common.clock import SystemClock
from readiness.auth.service import TokenService
from readiness.config import load_settings
from readiness.notify.worker import DeliveryWorker
from readiness.server.app import create_app
from readiness.storage import open_stores
from tests._live import live_server, wait_until
from tests.e2e.test_dashboard import ARGS, chromium_path
from tests.notify.receiver import Receiver, running_receiver

__all__ = ["chromium_path"]  # a re-exported fixture: pytest finds it by name here

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A server and a delivery worker (polling often), as `readiness serve` runs them (the live
    server runs without lifespan); yields the URL and an admin token."""
    settings = load_settings(tmp_path, environ={}, overrides={"notify": {"poll_s": 0.1}})
    stores = open_stores(settings)
    admin, _ = TokenService(stores=stores, clock=SystemClock(), actor="e2e").create(
        name="webhooks-admin", role="admin"
    )
    app = create_app(settings, stores=stores)
    worker = DeliveryWorker(stores, settings=settings.notify, clock=SystemClock())
    worker.start()
    try:
        with live_server(app) as url:
            yield url, admin
    finally:
        worker.stop()
        stores.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


def _delivered(url: str, token: str) -> bool:
    response = httpx.get(
        f"{url}/api/v1/notify/deliveries?status=delivered",
        headers={"Authorization": f"Bearer {token}"},
    )
    return bool(response.json())


@pytest.mark.parametrize("width", [1400, 390])
def test_an_admin_adds_a_webhook_sends_a_test_event_and_sees_it_delivered(
    site: tuple[str, str],
    receiver: Receiver,
    chromium_path: str,
    tmp_path: Path,
    width: int,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, admin = site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(f"{url}/admin/webhooks")
            page.fill("#token", admin)
            page.click("button[type=submit]")
            page.goto(f"{url}/admin/webhooks")
            expect(page.locator("h1")).to_have_text("Webhooks")
            expect(page.locator("p.empty").first).to_contain_text("No webhooks yet")

            page.fill("#webhook-url", receiver.url)
            page.select_option("#webhook-kind", "slack")
            page.click("#add-webhook button[type=submit]")
            expect(page.locator("[data-testid=webhook-secret]")).to_contain_text("whsec_")
            expect(page.locator("#webhooks tbody tr")).to_have_count(1)

            page.click("text=Send test event")
            expect(page.locator("p.notice")).to_contain_text("Test event queued")
            wait_until(lambda: _delivered(url, admin), "the worker to deliver the test event")
            page.goto(f"{url}/admin/webhooks")
            row = page.locator("#deliveries tbody tr").first
            expect(row).to_contain_text("readiness.test")
            expect(row.locator(".badge")).to_have_text("delivered")
            expect(row).to_contain_text("204")
            fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.screenshot(path=str(tmp_path / f"webhooks-{width}.png"), full_page=True)
        finally:
            browser.close()
    assert fits is True
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["X-Readiness-Event"] == "readiness.test"
