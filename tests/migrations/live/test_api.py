"""``/api/v1/migrations/plan`` and ``/applied``: reader tokens, the one error shape."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.migrations.api_live import api_router
from readiness.server.app import create_app
from readiness.storage import open_stores
from tests.server.conftest import empty_plugin_manager

with warnings.catch_warnings():
    # As in tests/server/conftest.py: Starlette deprecates plain httpx for its TestClient.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient


@pytest.fixture
def client(settings: Settings, clock: FrozenClock) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with _client(settings, clock) as pair:
        yield pair


@contextmanager
def _client(settings: Settings, clock: FrozenClock) -> Iterator[tuple[TestClient, dict[str, str]]]:
    stores = open_stores(settings)
    token = TokenService(stores=stores, clock=clock, actor="setup").create(
        name="reader-bot", role="reader"
    )[0]
    app = create_app(
        settings, stores=stores, clock=clock, pm=empty_plugin_manager(),
        extra_routers=[api_router()],
    )  # fmt: skip
    try:
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield test_client, {"Authorization": f"Bearer {token}"}
    finally:
        stores.dispose()


def test_plan_returns_the_six_steps(client: tuple[TestClient, dict[str, str]]) -> None:
    http, auth = client
    body = {
        "kind": "rename-column",
        "target": "users.name",
        "new": "full_name",
        "column_type": "text",
    }

    response = http.post("/api/v1/migrations/plan", json=body, headers=auth)

    assert response.status_code == 200
    steps = response.json()["steps"]
    assert [s["slug"] for s in steps] == [
        "expand_add_full_name", "dual_write_trigger", "backfill_full_name",
        "switch_reads", "stop_writing_name", "contract_drop_name",
    ]  # fmt: skip
    assert steps[0]["sql"] == (
        "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN IF NOT EXISTS full_name text;\n"
    )


def test_plan_without_a_token_is_refused(client: tuple[TestClient, dict[str, str]]) -> None:
    http, _ = client

    response = http.post("/api/v1/migrations/plan", json={"kind": "set-not-null", "target": "a.b"})

    assert response.status_code == 401


def test_a_missing_field_is_an_input_error(client: tuple[TestClient, dict[str, str]]) -> None:
    http, auth = client

    response = http.post(
        "/api/v1/migrations/plan", json={"kind": "set-not-null", "target": "users.country"},
        headers=auth,
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "set-not-null needs 'default' in the request body"


def test_applied_is_unknown_without_a_database_url(settings: Settings, clock: FrozenClock) -> None:
    configured = settings.model_copy(
        update={"migrations": settings.migrations.model_copy(update={"expected_head": "7"})}
    )
    with _client(configured, clock) as (http, auth):
        response = http.get("/api/v1/migrations/applied", headers=auth)

    assert response.json() == {"expected": "7", "applied": None, "tool": None}
