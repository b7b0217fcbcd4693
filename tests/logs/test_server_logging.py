"""The platform's own server logs through readiness.logs: one http.request line per request
(never /healthz, never a header), uvicorn's lines in the same JSON, secrets never written."""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from readiness import logs
from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.cli.logsetup import cli_logging
from readiness.config import Settings, load_settings
from readiness.logs.override import derive_key
from readiness.plugins.manager import builtin_plugin_manager
from readiness.server.app import create_app
from readiness.server.logsetup import (
    ServerRequestLogging,
    configure_server_logging,
    renderer_for,
)
from readiness.storage import open_stores
from tests._live import free_port, wait_until
from tests.logs.conftest import fixed_clock

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)  # as tests/server/conftest.py
    from starlette.testclient import TestClient

READINESS = Path(sys.executable).with_name("readiness")
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
HEADERS = {"traceparent": f"00-{TRACE}-{PARENT}-01", "X-Request-ID": "req-7"}


def _ticks() -> Callable[[], float]:
    values = itertools.count(start=10.0, step=0.0125)
    return lambda: next(values)


def _ids() -> Callable[[int], str]:
    counter = itertools.count(1)
    return lambda n: f"{next(counter):0{2 * n}x}"


@pytest.fixture
def logged(settings: Settings, clock: FrozenClock) -> Iterator[tuple[TestClient, io.StringIO, str]]:
    """The server app as ``readiness serve`` wraps it, logging to a buffer; a reader token."""
    out = io.StringIO()
    configure_server_logging("json", stream=out, clock=fixed_clock)
    stores = open_stores(settings)
    token = TokenService(stores=stores, clock=clock, actor="setup").create(
        name="reader-bot", role="reader"
    )[0]
    app = create_app(settings, stores=stores, clock=clock, pm=builtin_plugin_manager())
    key = derive_key(app.state.session_key)
    wrapped = ServerRequestLogging(
        app,
        debug_key=key,
        grant_clock=lambda: clock.now().timestamp(),
        clock=_ticks(),
        token_hex=_ids(),
    )
    try:
        with TestClient(wrapped, raise_server_exceptions=False) as client:
            yield client, out, token
    finally:
        stores.dispose()
        logs.reset()


def _request_lines(text: str) -> list[dict[str, Any]]:
    return [r for r in map(json.loads, text.splitlines()) if r.get("action") == "http.request"]


def test_each_request_writes_one_exact_line_and_healthz_none(
    logged: tuple[TestClient, io.StringIO, str],
) -> None:
    client, out, token = logged
    assert client.get("/healthz").status_code == 200
    answer = client.get("/api/v1/projects", headers={**HEADERS, "Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert (
        client.get("/api/v1/projects", headers={"Authorization": "Bearer rdy_wrong"}).status_code
        == 401
    )

    assert _request_lines(out.getvalue()) == [
        {
            "timestamp": "2025-03-15T14:23:01.123Z",
            "level": "info",
            "service": "readiness",
            "environment": "production",
            "version": "0.1.0",
            "trace_id": TRACE,
            "span_id": "0000000000000001",
            "request_id": "req-7",
            "parent_span_id": PARENT,
            "action": "http.request",
            "message": "http.request",
            "duration_ms": 12.5,
            "http_method": "GET",
            "http_route": "/api/v1/projects",
            "http_status": 200,
        },
        {
            "timestamp": "2025-03-15T14:23:01.123Z",
            "level": "warn",
            "service": "readiness",
            "environment": "production",
            "version": "0.1.0",
            "trace_id": "00000000000000000000000000000002",
            "span_id": "0000000000000004",
            "request_id": "0000000000000003",
            "action": "http.request",
            "message": "http.request",
            "duration_ms": 12.5,
            "http_method": "GET",
            "http_route": "/api/v1/projects",
            "http_status": 401,
        },
    ]
    assert token not in out.getvalue()
    assert "rdy_wrong" not in out.getvalue()
    assert "authorization" not in out.getvalue().lower()


def test_a_debug_grant_the_server_issued_switches_on_debug_for_that_request_only(
    logged: tuple[TestClient, io.StringIO, str], settings: Settings, clock: FrozenClock
) -> None:
    client, out, _reader = logged
    stores = open_stores(settings)
    try:
        admin = TokenService(stores=stores, clock=clock, actor="setup").create(
            name="admin-bot", role="admin"
        )[0]
    finally:
        stores.dispose()
    issued = client.post(
        "/api/v1/logs/debug-grants",
        json={"level": "debug", "ttl_seconds": 600},
        headers={"Authorization": f"Bearer {admin}"},
    ).json()
    granted = {"X-Log-Level": "debug", "X-Debug-Grant": issued["grant"]}
    assert client.get("/version", headers=granted).status_code == 200
    forged = {**granted, "X-Debug-Grant": "rdg1.x.y"}
    assert client.get("/version", headers=forged).status_code == 200
    overrides = [
        r for r in map(json.loads, out.getvalue().splitlines()) if r["message"] == "log.override"
    ]
    assert [(r["grant_id"], r["log_level"]) for r in overrides] == [(issued["grant_id"], "debug")]
    assert issued["grant"] not in out.getvalue()


def test_a_dsn_password_in_a_platform_warning_is_masked() -> None:
    out = io.StringIO()
    configure_server_logging("json", stream=out, clock=fixed_clock)
    try:
        logging.getLogger("readiness.storage").warning(
            "cannot reach %s", "postgresql://app:s3cret-pw@db:5432/state"
        )
    finally:
        logs.reset()
    assert out.getvalue() == (
        '{"timestamp":"2025-03-15T14:23:01.123Z","level":"warn","service":"readiness",'
        '"environment":"production","version":"0.1.0",'
        '"message":"cannot reach postgresql://app:***@db:5432/state",'
        '"logger":"readiness.storage"}\n'
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_picks_the_console_renderer_on_a_terminal() -> None:
    assert renderer_for("auto", _Terminal()) == "console"
    assert renderer_for("auto", io.StringIO()) == "json"
    assert renderer_for("console", io.StringIO()) == "console"
    out = _Terminal()
    # As an in-process uvicorn leaves them: its own handler, not propagating.
    logging.getLogger("uvicorn").propagate = False
    logging.getLogger("uvicorn").addHandler(logging.NullHandler())
    configure_server_logging("auto", stream=out, clock=fixed_clock)
    try:
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    finally:
        logs.reset()
    assert out.getvalue() == (
        "2025-03-15T14:23:01.123Z info  Started server process [42] service=readiness "
        "environment=production version=0.1.0 logger=uvicorn.error\n"
    )


def test_readiness_serve_writes_json_lines_and_no_access_log(project_dir: Path) -> None:
    settings = load_settings(project_dir, environ={})
    stores = open_stores(settings)
    token = TokenService(
        stores=stores, clock=FrozenClock(datetime(2026, 3, 10, 9, 30, tzinfo=UTC)), actor="setup"
    ).create(name="reader-bot", role="reader")[0]
    stores.dispose()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
    proc = subprocess.Popen(
        [str(READINESS), "serve", "--port", str(port), "--log-format", "json"],
        cwd=project_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/healthz").status_code == 200
        except httpx.HTTPError:
            return proc.poll() is not None

    try:
        wait_until(healthy, "readiness serve to answer /healthz")
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/version", headers=HEADERS).status_code == 200
        assert httpx.get(f"{base}/api/v1/projects", headers=auth).status_code == 200
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()

    records = [json.loads(line) for line in err.splitlines()]
    assert {(r["service"], r["environment"], r["version"]) for r in records} == {
        ("readiness", "production", "0.1.0")
    }
    assert "uvicorn.access" not in {r.get("logger") for r in records}
    assert "Application startup complete." in [r["message"] for r in records]
    lines = _request_lines(err)
    for line in lines:
        assert line.pop("timestamp").endswith("Z")
        assert isinstance(line.pop("duration_ms"), float)
        assert len(line.pop("span_id")) == 16
    version_line, projects_line = lines
    assert version_line == {
        "level": "info",
        "service": "readiness",
        "environment": "production",
        "version": "0.1.0",
        "trace_id": TRACE,
        "request_id": "req-7",
        "parent_span_id": PARENT,
        "action": "http.request",
        "message": "http.request",
        "http_method": "GET",
        "http_route": "/version",
        "http_status": 200,
    }
    assert len(projects_line.pop("trace_id")) == 32
    assert len(projects_line.pop("request_id")) == 16
    assert projects_line == {
        "level": "info",
        "service": "readiness",
        "environment": "production",
        "version": "0.1.0",
        "action": "http.request",
        "message": "http.request",
        "http_method": "GET",
        "http_route": "/api/v1/projects",
        "http_status": 200,
    }
    assert token not in err
    assert "authorization" not in err.lower()


def test_the_cli_s_own_warnings_go_through_the_console_renderer_and_redaction(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with cli_logging(clock=fixed_clock):
        logging.getLogger("readiness.storage").warning("moved history for %s", "bob@example.com")
        logging.getLogger("readiness.storage").info("below the root's WARNING")
    logging.getLogger("readiness.storage").warning("after the command: not ours")
    assert capsys.readouterr().err.splitlines()[0] == (
        "2025-03-15T14:23:01.123Z warn  moved history for [EMAIL] service=readiness "
        "environment=cli version=0.1.0 logger=readiness.storage"
    )
