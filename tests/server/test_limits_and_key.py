"""Body cap while streaming, and the session key file."""

from __future__ import annotations

import stat
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from starlette.exceptions import StarletteDeprecationWarning

from readiness.errors import ConfigError
from readiness.server.app import load_session_key
from readiness.web.errors import install_error_handlers
from readiness.web.limits import BodyLimitMiddleware

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)  # httpx2 is not a dependency
    from starlette.testclient import TestClient


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, default=10, prefixes={"/api/big": 100})

    @app.post("/api/small")
    async def small(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.post("/api/big")
    async def big(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    return app


def _chunks(n: int) -> Iterator[bytes]:
    for _ in range(n):
        yield b"12345"


def test_a_chunked_body_over_the_limit_is_refused_while_streaming() -> None:
    response = TestClient(_app()).post("/api/small", content=_chunks(3))
    assert response.status_code == 413
    assert response.json()["error"]["details"] == {"limit": 10}


def test_the_longest_matching_prefix_sets_the_limit() -> None:
    client = TestClient(_app())
    assert client.post("/api/big", content=_chunks(3)).json() == {"bytes": 15}
    assert client.post("/api/small", content=b"1234567890").json() == {"bytes": 10}


def test_a_missing_session_key_is_created_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "session.key"
    key = load_session_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_session_key(path) == key


def test_a_short_session_key_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "session.key"
    path.write_bytes(b"short")
    with pytest.raises(ConfigError, match="holds 5 bytes, expected at least 32"):
        load_session_key(path)
