"""``prepare_routes``: the routes' request handling is built before the first request, so the
first client of ``readiness serve`` does not wait for it (FastAPI builds it lazily)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import fastapi.routing
import httpx
import pytest

from readiness.config import load_settings
from readiness.server.app import create_app, prepare_routes
from readiness.storage import open_stores


def _first_request_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, prepared: bool
) -> tuple[int, int]:
    """(status of the first ``GET /``, route dependencies FastAPI resolved while answering it)."""
    settings = load_settings(tmp_path, environ={})
    stores = open_stores(settings)
    try:
        app = create_app(settings, stores=stores)
        if prepared:
            prepare_routes(app)
        resolved: list[str] = []
        real = getattr(fastapi.routing, "get_dependant")  # noqa: B009 - not re-exported

        def counting(**kwargs: Any) -> Any:
            resolved.append(str(kwargs.get("path")))
            return real(**kwargs)

        monkeypatch.setattr(fastapi.routing, "get_dependant", counting)

        async def first() -> int:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return (await client.get("/")).status_code

        return asyncio.run(first()), len(resolved)
    finally:
        stores.dispose()


def test_a_prepared_app_answers_its_first_request_without_building_routes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _first_request_builds(tmp_path, monkeypatch, prepared=True) == (401, 0)


def test_an_unprepared_app_builds_routes_on_its_first_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cost ``prepare_routes`` moves: if FastAPI stops building lazily, this says so."""
    status, built = _first_request_builds(tmp_path, monkeypatch, prepared=False)
    assert status == 401
    assert built > 100
