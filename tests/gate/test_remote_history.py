"""Sending a gate run to the server: the body the API takes, and its errors in one line each."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from readiness.config import Settings
from readiness.errors import AuthError, ConfigError, RemoteError
from readiness.gate.history import CheckLine, GateRun
from readiness.gate.remote import post_gate_run

RUN = GateRun(
    project="shop",
    gate="merge",
    commit="c0ffee",
    base=None,
    verdict="pass",
    checks=(CheckLine("tests.passed", "pass", "All 3 tests passed"),),
    duration_s=0.25,
    at=datetime(2026, 3, 10, tzinfo=UTC),
    by="ci-bot",
)


def remote(
    tmp_path: Path, token: str | None = "secret", url: str = "https://ci:pw@readiness.example"
) -> Settings:
    return Settings(root=tmp_path, project="shop", url=url, token=token)


def test_the_run_is_posted_for_its_project_without_the_fields_the_server_sets(
    tmp_path: Path,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": 7})

    settings = remote(tmp_path, url="https://readiness.example")
    stored = post_gate_run(settings, RUN, transport=httpx.MockTransport(handler))

    (request,) = seen
    assert stored == {"id": 7}
    assert (request.method, request.url.path, request.url.params["project"]) == (
        "POST",
        "/api/v1/gates/runs",
        "shop",
    )
    assert request.headers["Authorization"] == "Bearer secret"
    assert json.loads(request.content) == {
        "gate": "merge",
        "commit": "c0ffee",
        "base": None,
        "verdict": "pass",
        "checks": [{"id": "tests.passed", "status": "pass", "summary": "All 3 tests passed"}],
        "duration_s": 0.25,
    }


def test_a_refusal_is_an_auth_error_with_the_server_s_message(tmp_path: Path) -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403,
            json={
                "error": {"message": "role 'reader' may not do this; it needs the 'writer' role"}
            },
        )

    with pytest.raises(AuthError) as caught:
        post_gate_run(remote(tmp_path), RUN, transport=httpx.MockTransport(handler))

    assert caught.value.message == (
        "server https://ci:***@readiness.example: storing the gate run: role 'reader' may not do "
        "this; it needs the 'writer' role"
    )


def test_an_unreachable_server_is_a_remote_error_naming_it_masked(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(RemoteError) as caught:
        post_gate_run(remote(tmp_path), RUN, transport=httpx.MockTransport(handler))

    assert caught.value.message == (
        "Readiness server https://ci:***@readiness.example unreachable while storing the gate "
        "run: connection refused; check READINESS_URL and that the server is up"
    )


def test_a_server_without_a_token_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        post_gate_run(remote(tmp_path, token=None), RUN)

    assert caught.value.message.startswith(
        "READINESS_URL is set (https://ci:***@readiness.example) but no token"
    )
