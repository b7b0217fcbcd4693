"""A broker app with a writer and a reader token (the default project), for the HAL tests."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.contracts.api_broker import api_router
from readiness.server.app import create_app
from readiness.storage import Stores, open_stores
from tests.server.conftest import empty_plugin_manager

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

__all__ = ["Broker", "TestClient"]


@dataclass
class Broker:
    app: FastAPI
    stores: Stores
    writer: str
    reader: str

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def broker(settings: Settings, clock: FrozenClock) -> Iterator[Broker]:
    stores = open_stores(settings)
    tokens = TokenService(stores=stores, clock=clock, actor="setup")
    writer = tokens.create(name="ci-writer", role="writer")[0]
    reader = tokens.create(name="ci-reader", role="reader")[0]
    app = create_app(
        settings, stores=stores, clock=clock, pm=empty_plugin_manager(),
        extra_routers=[api_router()],
    )  # fmt: skip
    try:
        yield Broker(app, stores, writer, reader)
    finally:
        stores.dispose()


@pytest.fixture
def http(broker: Broker) -> Iterator[TestClient]:
    with TestClient(broker.app, raise_server_exceptions=False) as client:
        yield client
