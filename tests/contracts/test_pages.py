"""The contracts dashboard pages (``readiness.contracts.pages``), served by a real app with a
reader token: the catalog and its searches, a subject's versions, examples and diff, and the
Pact section; nothing but names, versions and schemas on them."""

from __future__ import annotations

import html as html_text
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import load_settings
from readiness.contracts import pages
from readiness.contracts.pact.service import PactService
from readiness.contracts.schemas.governance.service import SchemaGovernance
from readiness.contracts.schemas.service import SchemaRegistry
from readiness.contracts.schemas.store.registry import Reference
from readiness.projects.service import ProjectService
from readiness.server.app import create_app
from readiness.storage import open_stores
from tests.contracts.pact.conftest import TestClient

ORDER_V1: dict[str, Any] = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "amount": {"type": "number", "minimum": 0}},
    "required": ["id"],
    "examples": [{"id": 7, "amount": 12.5}, {"id": 8}],
}
ORDER_V2: dict[str, Any] = {
    **ORDER_V1,
    "properties": {**ORDER_V1["properties"], "currency": {"type": "string", "minLength": 3}},
    "required": ["id", "currency"],
    "examples": [{"id": 9, "currency": "EUR"}],
}
NO_CURRENCY = "(root): 'currency' is a required property"
PAYMENT = {
    "type": "record",
    "name": "Payment",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "status", "type": {"type": "enum", "name": "S", "symbols": ["OK", "KO"]}},
    ],
}
PACT = {
    "consumer": {"name": "web"},
    "provider": {"name": "orders-api"},
    "interactions": [{"description": "x", "request": {"method": "GET", "path": "/o"}}],
    "metadata": {"pactSpecification": {"version": "3.0.0"}},
}


@dataclass
class Site:
    client: Any
    reader: str

    def get(self, path: str) -> Any:
        return self.client.get(path, headers={"Authorization": f"Bearer {self.reader}"})


@pytest.fixture
def site(tmp_path: Path, clock: FrozenClock) -> Iterator[Site]:
    settings = load_settings(tmp_path, environ={})
    stores = open_stores(settings)
    ProjectService(stores=stores, clock=clock, actor="t").ensure(settings.project)
    reader, _ = TokenService(stores=stores, clock=clock, actor="t").create(name="r", role="reader")
    registry = SchemaRegistry(stores, clock, settings.project, actor="orders-service")
    registry.set_compatibility("NONE", "orders-value")
    registry.register("orders-value", json.dumps(ORDER_V1), "JSON")
    registry.register("orders-value", json.dumps(ORDER_V2), "JSON")
    SchemaRegistry(stores, clock, settings.project, actor="payments-ci").register(
        "payments-value", json.dumps(PAYMENT), "AVRO"
    )
    registry.register(
        "shipment-value",
        json.dumps({"type": "object", "properties": {"order": {"$ref": "order.json"}}}),
        "JSON",
        [Reference("order.json", "orders-value", 2)],
    )
    governance = SchemaGovernance(registry, settings.contracts)
    governance.register_consumer("orders-value", "billing", fields=["amount"])
    governance.report_processed("orders-value", "billing", version=2, count=120)
    yesterday = clock.now() - timedelta(days=1)
    governance.add_samples("orders-value", '{"order_id": "o1", "coupon": "X"}\n', at=yesterday)
    governance.add_samples("orders-value", '{"order_id": "o2"}\n')
    pact = PactService(stores, clock, settings.project)
    pact.publish("web", "orders-api", "1.0.0", PACT, branch="main")
    pact.create_environment("production", production=True)
    app = create_app(settings, stores=stores, clock=clock, extra_pages=pages.dashboard_pages())
    try:
        yield Site(TestClient(app), reader)
    finally:
        stores.dispose()


def _rows(html: str) -> list[str]:
    """The body rows of every table, as their text."""
    bodies = "".join(re.findall(r"<tbody>(.*?)</tbody>", html, re.S))
    return [
        html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip())
        for row in re.findall(r"<tr>(.*?)</tr>", bodies, re.S)
    ]


def test_the_catalog_lists_and_searches_subjects(site: Site) -> None:
    assert site.client.get("/contracts").status_code in (303, 401)
    page = site.get("/contracts")
    assert page.status_code == 200
    assert _rows(page.text) == [
        "orders-value JSON 2 2 orders-service billing 3",
        "payments-value AVRO 1 1 payments-ci — 2",
        "shipment-value JSON 1 1 orders-service — 4",
    ]
    by_field = site.get("/contracts?q=currency&by=field").text
    assert _rows(by_field) == [
        "orders-value fields: currency JSON 2 2 orders-service billing 3",
        "shipment-value fields: order.currency JSON 1 1 orders-service — 4",
    ]
    assert [r.split()[0] for r in _rows(site.get("/contracts?q=payments-ci&by=producer").text)] == [
        "payments-value"
    ]
    assert _rows(site.get("/contracts?q=web&by=consumer").text) == []  # a pacticipant, no reader
    by_consumer = _rows(site.get("/contracts?q=billing&by=consumer").text)
    assert [r.split()[0] for r in by_consumer] == ["orders-value"]
    assert "No subject matches “zzz” (any)." in site.get("/contracts?q=zzz").text
    assert site.get("/contracts?by=%3Cscript%3E").status_code == 200  # unknown facet: any


def test_a_subject_shows_versions_examples_and_the_diff(site: Site) -> None:
    page = site.get("/contracts/subjects/orders-value")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert rows[:2] == [
        "1 1 JSON 2026-03-10 09:30 UTC orders-service — live",
        "2 2 JSON 2026-03-10 09:30 UTC orders-service — live",
    ]
    # What consumers processed, per version; then each example against v1 and v2 (v2 requires
    # a currency of 3+ characters).
    assert rows[2:4] == ["1 0 —", "2 120 billing (120, 2026-03-10)"]
    assert rows[4:] == [
        f'v1 example 1 payload {{"amount": 12.5, "id": 7}} valid invalid {NO_CURRENCY}',
        f'v1 example 2 payload {{"id": 8}} valid invalid {NO_CURRENCY}',
        f'v1 minimal payload {{"id": 0}} valid invalid {NO_CURRENCY}',
        'v2 example 1 payload {"currency": "EUR", "id": 9} valid valid',
        'v2 minimal payload {"currency": "xxx", "id": 0} valid valid',
    ]
    assert (
        "+ /properties/currency: {&#34;minLength&#34;: 3, &#34;type&#34;: &#34;string&#34;}"
        in page.text
    )
    assert "! breaks BACKWARD: property_became_required at #/properties/currency" in page.text
    same = site.get("/contracts/subjects/orders-value?from=2&to=2").text
    assert "(no changes)" in same
    avro = site.get("/contracts/subjects/payments-value")
    assert _rows(avro.text)[2:] == ['v1 minimal payload {"id": "", "status": "OK"} valid']
    shipment = site.get("/contracts/subjects/shipment-value").text
    assert "order.json</a> (orders-value v2)" in shipment
    missing = site.get("/contracts/subjects/nope")
    assert missing.status_code == 404


def test_the_pact_page(site: Site) -> None:
    page = site.get("/contracts/pact")
    assert page.status_code == 200
    assert _rows(page.text) == [
        "orders-api — 0 —",
        "web main 1 1.0.0",
        "web 1.0.0 orders-api — unverified 2026-03-10 09:30 UTC",
        "web 1.0.0 production no " + _rows(page.text)[-1].split(" no ", 1)[1],
    ]
    assert "Bearer" not in page.text and site.reader not in page.text


def test_a_subject_shows_what_consumers_processed_and_the_fields_that_stopped_arriving(
    site: Site,
) -> None:
    page = site.get("/contracts/subjects/orders-value").text
    text = html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
    assert "No consumer processed version 1 in the last 30 days." in text
    assert "2 120 billing (120, 2026-03-10)" in text
    assert "Sample events: 1 the day before, 1 on 2026-03-10." in text
    assert "coupon: present in 100% of events, then 0%" in text
