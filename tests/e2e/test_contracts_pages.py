"""The contracts pages (catalog, subject, Pact) in a real headless Chromium at 390 px (a phone)
and at 1400 px: each renders its heading and content and never scrolls the page sideways, with
long subject names, wide schemas and long pact versions."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from readiness._common.clock import SystemClock
from readiness.auth.service import TokenService
from readiness.config import load_settings
from readiness.contracts.pact.service import PactService
from readiness.contracts.pages import dashboard_pages
from readiness.contracts.schemas.service import SchemaRegistry
from readiness.projects.service import ProjectService
from readiness.server.app import create_app
from readiness.storage import open_stores
from tests._live import live_server
from tests.e2e.site import ARGS, CHROMIUM

pytestmark = pytest.mark.e2e

SUBJECT = "com.example.checkout.payments.PaymentAuthorisationRequestedWithThreeDSChallenge-value"
LONG_VERSION = "3f2a9c1d5e7b8a0f4c6d2e1b9a8f7c6d5e4b3a2f1e0d9c8b7a6f5e4d3c2b1a09"


def _schema(extra: int) -> str:
    props = {
        f"a_rather_long_field_name_number_{i}_of_the_event": {"type": "string"}
        for i in range(12 + extra)
    }
    return json.dumps(
        {
            "type": "object",
            "properties": props,
            "examples": [dict.fromkeys(props, "an example value that is quite long as well")],
        }
    )


@dataclass
class Site:
    url: str
    token: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("contracts-site")
    settings = load_settings(directory, environ={})
    stores = open_stores(settings)
    clock = SystemClock()
    ProjectService(stores=stores, clock=clock, actor="e2e").ensure(settings.project)
    token, _ = TokenService(stores=stores, clock=clock, actor="e2e").create(
        name="reader", role="reader"
    )
    registry = SchemaRegistry(stores, clock, settings.project, actor="checkout-service-ci-token")
    registry.set_compatibility("NONE", SUBJECT)
    registry.register(SUBJECT, _schema(0), "JSON")
    registry.register(SUBJECT, _schema(1), "JSON")
    pact = PactService(stores, clock, settings.project)
    content = {
        "consumer": {"name": "checkout-web-frontend-application"},
        "provider": {"name": "payments-authorisation-service-api"},
        "interactions": [{"description": "d", "request": {"method": "GET", "path": "/p"}}],
        "metadata": {"pactSpecification": {"version": "3.0.0"}},
    }
    pact.publish(
        "checkout-web-frontend-application",
        "payments-authorisation-service-api",
        LONG_VERSION,
        content,
        branch="main",
    )
    pact.create_environment("production", production=True)
    app = create_app(settings, stores=stores, clock=clock, extra_pages=dashboard_pages())
    try:
        with live_server(app) as url:
            yield Site(url, token)
    finally:
        stores.dispose()


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is missing")
    return CHROMIUM


PAGES = (
    ("/contracts", "Contracts"),
    ("/contracts?q=long_field_name_number_12&by=field", "Contracts"),
    (f"/contracts/subjects/{quote(SUBJECT)}", SUBJECT),
    (f"/contracts/subjects/{quote(SUBJECT)}?from=1&to=2", SUBJECT),
    ("/contracts/pact", "Pacts"),
)


@pytest.mark.parametrize("width", [390, 1400])
def test_the_contracts_pages_fit_the_width(
    site: Site, chromium_path: str, width: int, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    measured: dict[str, tuple[int, int]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(f"{site.url}/login")
            page.fill("#token", site.token)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Overview")
            for path, heading in PAGES:
                page.goto(site.url + path)
                expect(page.locator("h1")).to_have_text(heading)
                measured[path] = page.evaluate(
                    "[document.documentElement.scrollWidth, window.innerWidth]"
                )
                shot = tmp_path / f"contracts-{len(measured)}-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
            page.goto(f"{site.url}/contracts")
            expect(page.locator("table.data tbody tr")).to_have_count(1)
            page.goto(f"{site.url}/contracts/subjects/{quote(SUBJECT)}")
            expect(page.locator(".badge", has_text="invalid")).to_have_count(0)
            expect(page.locator("pre.changelog")).to_contain_text(
                "+ /properties/a_rather_long_field_name_number_12_of_the_event"
            )
            page.goto(f"{site.url}/contracts/pact")
            expect(page.locator(".badge", has_text="unverified")).to_have_count(1)
        finally:
            browser.close()
    overflowing = {k: v for k, v in measured.items() if v[0] > v[1]}
    assert overflowing == {}
