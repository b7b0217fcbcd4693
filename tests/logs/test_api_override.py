"""POST /api/v1/logs/debug-grants: admin only, audited, and the grant works in DebugOverride."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from readiness import logs
from readiness._common.clock import FrozenClock
from readiness.audit.service import list_events
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.logcheck.api_override import router
from readiness.logs import override
from readiness.server.app import create_app
from readiness.storage import Stores, open_stores
from tests.logs.conftest import Configure
from tests.server.conftest import empty_plugin_manager

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)  # as tests/server/conftest.py
    from starlette.testclient import TestClient

URL = "/api/v1/logs/debug-grants"


@dataclass
class Api:
    client: TestClient
    app: Any
    stores: Stores
    tokens: dict[str, str]

    def post(self, role: str | None, body: dict[str, Any]) -> Any:  # the test client's Response
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return self.client.post(URL, json=body, headers=headers)


@pytest.fixture
def api(settings: Settings, clock: FrozenClock) -> Iterator[Api]:
    stores = open_stores(settings)
    service = TokenService(stores=stores, clock=clock, actor="setup")
    tokens = {r: service.create(name=f"{r}-bot", role=r)[0] for r in ("writer", "admin")}
    app = create_app(
        settings, stores=stores, clock=clock, pm=empty_plugin_manager(), extra_routers=[router]
    )
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Api(client, app, stores, tokens)
    finally:
        stores.dispose()


def test_an_admin_gets_a_grant_signed_with_the_servers_derived_key(
    api: Api, clock: FrozenClock
) -> None:
    response = api.post("admin", {"level": "trace", "ttl_seconds": 600})
    assert response.status_code == 200, response.text
    answer = response.json()
    now = int(clock.now().timestamp())
    key = override.derive_key(api.app.state.session_key)
    grant = override.verify_grant(key, answer["grant"], now=now, level="trace")
    assert grant is not None
    assert {k: v for k, v in answer.items() if k not in ("grant", "grant_id", "headers")} == {
        "level": "trace",
        "subject": "admin-bot#2",
        "expires_at": "2026-03-10T09:40:00.000Z",
    }
    assert (grant.grant_id, grant.expires) == (answer["grant_id"], now + 600)
    assert answer["headers"] == {"X-Log-Level": "trace", "X-Debug-Grant": answer["grant"]}
    assert override.verify_grant(key, answer["grant"], now=now + 600, level="trace") is None


def test_issuing_a_grant_is_recorded_in_the_audit_trail_without_the_grant(
    api: Api, clock: FrozenClock
) -> None:
    answer = api.post("admin", {}).json()
    [event] = list_events(api.stores, action_prefix="logs.", clock=clock)
    assert (event.action, event.actor_id, event.target) == (
        "logs.debug_grant",
        "token:2",
        f"debug_grant:{answer['grant_id']}",
    )
    assert event.details == {
        "level": "debug",
        "ttl_seconds": 3600,
        "expires_at": "2026-03-10T10:30:00.000Z",
    }
    assert answer["grant"] not in repr(event)


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("writer", 403)])
def test_only_an_admin_may_ask(api: Api, role: str | None, status: int) -> None:
    response = api.post(role, {"level": "debug"})
    assert response.status_code == status
    assert set(response.json()["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize(
    "body",
    [{"ttl_seconds": 0}, {"ttl_seconds": 3601}, {"level": "info"}, {"ttl_seconds": "soon"}],
)
def test_a_bad_level_or_ttl_is_422_in_the_one_error_shape(
    api: Api, body: dict[str, Any], clock: FrozenClock
) -> None:
    response = api.post("admin", body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert list_events(api.stores, action_prefix="logs.", clock=clock) == []


def test_the_grant_switches_a_service_request_to_its_level(
    api: Api, configure: Configure, clock: FrozenClock
) -> None:
    answer = api.post("admin", {"level": "debug", "ttl_seconds": 60}).json()
    out = configure()
    service = FastAPI()

    @service.get("/orders")
    def orders() -> dict[str, str]:
        logs.get_logger().debug("cache miss")
        return {}

    at = datetime(2026, 3, 10, 9, 30, 59, tzinfo=UTC).timestamp()  # one second before expiry
    key = override.derive_key(api.app.state.session_key)
    service.add_middleware(override.DebugOverride, key=key, clock=lambda: at)

    async def call() -> None:
        transport = httpx.ASGITransport(app=service)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/orders", headers=answer["headers"])

    asyncio.run(call())
    messages = [r["message"] for r in out.records() if not r.get("logger", "").startswith("httpx")]
    assert messages == ["log.override", "cache miss"]
    assert out.records()[0]["grant_id"] == answer["grant_id"]
