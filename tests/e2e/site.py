"""A live dashboard with history on every page, and the list of its pages.

Shared by the responsive-layout e2e test and ``tools/screenshots.py``: both visit the same
pages of the same data. The history is ingested through the HTTP API like CI sends it; test ids
are long (parametrised pytest ids) so that the layout meets what real suites produce.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from readiness._common.clock import SystemClock
from readiness.auth.service import TokenService
from readiness.config import Settings, load_settings
from readiness.server.app import create_app
from readiness.storage import Stores, open_stores
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
WIDTHS = (390, 1400)
FLAKY = "tests/test_orders.py::test_pay_with_a_card_that_needs_a_challenge[visa-3ds-declined-once]"
HEAD = "3f2a9c1d5e7b8a0f4c6d2e1b9a8f7c6d5e4b3a2f1e0d9c8b7a6f5e4d3c2b1a09"


@dataclass(frozen=True)
class Page:
    name: str  # also the screenshot's file name
    path: str
    heading: str
    signed_in: bool = True
    menu: bool = True  # whether the page shows the navigation (error pages show none)


PAGES = (
    Page("overview", "/", "Overview"),
    Page("flaky", "/tests/flaky", "Flaky tests"),
    Page("test", f"/tests/t/{quote(FLAKY)}", FLAKY),
    Page("suite-health", "/tests/health", "Suite health"),
    Page("quarantine", "/tests/quarantine", "Quarantine"),
    Page("runs", "/tests/runs", "Runs"),
    Page("run", "/tests/runs/{failing_run}", "Run {failing_run_short}"),
    Page("gates", "/gates", "Gates"),
    Page("audit", "/audit", "Audit trail"),
    Page("audit-privacy", "/audit/privacy", "Privacy of the audit trail"),
    Page("migrations", "/migrations", "Migrations"),
    Page("contracts", "/contracts", "Contracts"),
    Page("contracts-pact", "/contracts/pact", "Pacts"),
    Page("logs", "/logs", "Logs"),
    Page("sessions", "/admin/sessions", "Sessions"),
    Page("webhooks", "/admin/webhooks", "Webhooks"),
    Page("not-found", "/no/such/page", "404 · not_found", menu=False),
    Page("login", "/login", "Sign in", signed_in=False, menu=False),
)


@dataclass(frozen=True)
class Site:
    url: str
    admin_token: str
    failing_run: str  # the run key of a run in which the flaky test failed

    def href(self, page: Page) -> str:
        """The page's URL on this site (a run page names one of the site's runs)."""
        return self.url + page.path.format(failing_run=self.failing_run)

    def heading(self, page: Page) -> str:
        """The page's expected heading on this site."""
        return page.heading.format(failing_run_short=self.failing_run[:12])


def _report(n: int) -> bytes:
    """Run ``n`` of a small suite: the flaky test fails on odd runs, the slow one always passes."""
    failure = '<failure message="assert 502 == 200">AssertionError: assert 502 == 200</failure>'
    cases = [
        ("tests.test_orders", FLAKY.split("::")[1], "tests/test_orders.py", 1.4, n % 2 == 1),
        ("tests.test_orders", "test_create", "tests/test_orders.py", 0.2, False),
        ("tests.test_users", "test_signup", "tests/test_users.py", 0.6, False),
        (
            "tests.integration.test_checkout_end_to_end",
            "test_checkout_with_every_payment_provider_and_a_slow_network[eu-west-1-sandbox]",
            "tests/integration/test_checkout_end_to_end.py",
            12.5 + n,
            False,
        ),
    ]
    body = "".join(
        f'<testcase classname="{c}" name="{name}" file="{f}" time="{t}">'
        f"{failure if failed else ''}</testcase>"
        for c, name, f, t, failed in cases
    )
    return f'<?xml version="1.0"?><testsuite name="shop" tests="4">{body}</testsuite>'.encode()


def _seed(client: httpx.Client) -> str:
    """Ingest the history; the run key of the first run (its flaky test failed)."""
    keys: list[str] = []
    for n in range(1, 7):
        response = client.post(
            f"/api/v1/tests/runs?commit=c0ffee{(n + 1) // 2}&branch=main&run_id={n}",
            content=_report(n),
            headers={"Content-Type": "application/xml"},
        )
        assert response.status_code == 200, response.text
        keys.append(str(response.json()[0]["run_key"]))
    response = client.post(
        "/api/v1/tests/quarantine",
        json={"test_id": FLAKY, "reason": "the payment stub times out", "owner": "@payments"},
    )
    assert response.status_code == 201, response.text
    for field, value in (("owner", "@payments"), ("issue", "https://tracker.example/PAY-9")):
        response = client.put(f"/api/v1/tests/tests/{quote(FLAKY)}/{field}", json={field: value})
        assert response.status_code == 200, response.text
    checks = [
        {"id": "tests.passed", "status": "fail", "summary": "1 of 4 tests failed: " + FLAKY},
        {"id": "tests.no_new_flaky", "status": "pass", "summary": "No test became flaky"},
    ]
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
    return keys[0]


def _seed_audit(client: httpx.Client, settings: Settings, stores: Stores) -> None:
    """Application events, two checkpoints, a verification run that failed and two that did."""
    from datetime import timedelta

    from readiness.audit.verification import store
    from readiness.audit.verification.service import verify_and_record

    for batch in (40, 25):
        events = [
            {
                "actor_id": f"usr_{n % 7:04d}",
                "actor_type": "user",
                "action": "invoice.update",
                "target_type": "invoice",
                "target_id": f"inv_{n}",
                "result": "success",
                "occurred_at": "2026-04-10T14:23:01Z",
            }
            for n in range(batch)
        ]
        assert client.post("/api/v1/audit/trail/events", json=events).status_code == 200
        assert client.post("/api/v1/audit/checkpoints").status_code == 200
    now = SystemClock().now()
    store.insert_run(
        stores.audit,
        settings.audit_origin,
        now - timedelta(days=2, minutes=3),
        now - timedelta(days=2, minutes=2),
        40,
        3,
        [
            "checkpoint file 40-3f2a9c1d5e7b8a0f.note (size 40): the audit log holds only 38 "
            "entries: it was truncated or rolled back"
        ],
        "schedule",
    )
    store.insert_run(
        stores.audit,
        settings.audit_origin,
        now - timedelta(days=1),
        now - timedelta(days=1) + timedelta(seconds=1),
        40,
        3,
        [],
        "schedule",
    )
    verify_and_record(settings, stores.audit, SystemClock(), trigger="schedule")


@contextmanager
def live_site(directory: Path) -> Iterator[Site]:
    """A server on a fresh project in ``directory``, its history ingested; yields its URL."""
    settings = load_settings(directory, environ={})
    stores = open_stores(settings)
    clock = SystemClock()
    admin, _ = TokenService(stores=stores, clock=clock, actor="e2e").create(
        name="dashboard-admin", role="admin"
    )
    app = create_app(settings, stores=stores, clock=clock)
    try:
        with live_server(app) as url:
            headers = {"Authorization": f"Bearer {admin}"}
            # Seeding uploads reports and relays their audit events: on a loaded CI machine a
            # request can take longer than httpx's 5 s default.
            with httpx.Client(base_url=url, headers=headers, timeout=60.0) as client:
                failing_run = _seed(client)
                _seed_audit(client, settings, stores)
            yield Site(url, admin, failing_run)
    finally:
        stores.dispose()
