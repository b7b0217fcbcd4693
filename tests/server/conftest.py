"""A real app on SQLite with one token per role and a little ingested history."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pluggy
import pytest
import sqlalchemy as sa
from starlette.exceptions import StarletteDeprecationWarning

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.plugins import hookspecs
from readiness.plugins.manager import builtin_plugin_manager
from readiness.server.app import create_app
from readiness.storage import Stores, open_stores
from readiness.testhealth.api import api_router
from readiness.testhealth.pages import dashboard_pages

with warnings.catch_warnings():
    # Starlette 1.0 deprecates plain httpx for its TestClient in favour of httpx2, which is
    # not a dependency here; the client itself works unchanged.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

JUNIT = b"""<?xml version="1.0"?>
<testsuite name="shop" tests="2">
  <testcase classname="tests.test_orders" name="test_create" time="0.25"/>
  <testcase classname="tests.test_orders" name="test_pay" time="1.5">
    <failure message="assert 500 == 200">AssertionError</failure>
  </testcase>
</testsuite>
"""


@dataclass
class Server:
    client: TestClient
    app: Any
    tokens: dict[str, str]
    stores: Stores
    clock: FrozenClock
    junit: bytes = JUNIT

    def auth(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}

    def login_csrf(self) -> str:
        """Open the sign-in form (which sets its nonce cookie) and return its CSRF token."""
        page = self.client.get("/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match is not None, page.text
        return match.group(1)

    def sign_in(self, token: str, next: str = "/") -> Any:
        """Submit the sign-in form as a browser does; returns the (unfollowed) response."""
        return self.client.post(
            "/login",
            data={"token": token, "next": next, "csrf_token": self.login_csrf()},
            follow_redirects=False,
        )


# A token's first request records its use (``last_used_at``): the one write a refused or reading
# call makes. No route answers one token according to another token's last use.
USE_RECORDS = {"rd_tokens": {"last_used_at"}}


def database_contents(stores: Stores) -> list[tuple[str, list[str]]]:
    """Every row of every table of both databases (but USE_RECORDS' columns), to tell whether a
    request changed what later requests see."""
    found: list[tuple[str, list[str]]] = []
    urls: set[str] = set()
    for engine in (stores.state, stores.audit):
        url = engine.url.render_as_string(hide_password=False)
        if url in urls:  # one database for both (PostgreSQL)
            continue
        urls.add(url)
        with engine.connect() as conn:
            for table in sorted(sa.inspect(conn).get_table_names()):
                ignored = USE_RECORDS.get(table, set())
                rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).mappings()
                found.append(
                    (
                        table,
                        sorted(
                            repr(sorted((k, v) for k, v in row.items() if k not in ignored))
                            for row in rows
                        ),
                    )
                )
    return found


def empty_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("readiness")
    pm.add_hookspecs(hookspecs)
    return pm


@contextmanager
def reader_client(
    settings: Settings, clock: FrozenClock
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The testhealth server on ``settings``' databases, and a new reader token's headers."""
    stores = open_stores(settings)
    token = TokenService(stores=stores, clock=clock, actor="setup").create(
        name="reader-bot", role="reader"
    )[0]
    app = create_app(
        settings,
        stores=stores,
        clock=clock,
        pm=empty_plugin_manager(),
        extra_routers=[api_router()],
        extra_pages=dashboard_pages(),
    )
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, {"Authorization": f"Bearer {token}"}
    finally:
        stores.dispose()


@contextmanager
def open_server(settings: Settings, clock: FrozenClock) -> Iterator[Server]:
    """A real app on ``settings``' (new) databases: one token per role, one ingested run."""
    stores = open_stores(settings)
    svc = TokenService(stores=stores, clock=clock, actor="setup")
    tokens = {
        role: svc.create(name=f"{role}-bot", role=role)[0]
        for role in ("reader", "writer", "admin", "auditor")
    }
    app = create_app(settings, stores=stores, clock=clock, pm=builtin_plugin_manager())
    with TestClient(app, raise_server_exceptions=False) as client:
        server = Server(client, app, tokens, stores, clock)
        response = client.post(
            "/api/v1/tests/runs?commit=abc123&branch=main&run_id=1",
            content=JUNIT,
            headers={**server.auth("writer"), "Content-Type": "application/xml"},
        )
        assert response.status_code == 200, response.text
        yield server
    stores.dispose()


@pytest.fixture
def server(settings: Settings, clock: FrozenClock) -> Iterator[Server]:
    with open_server(settings, clock) as server:
        yield server
