"""``readiness contracts ...`` against a remote broker (``--broker-url``/``--broker-token``, or
``PACT_BROKER_BASE_URL``/``PACT_BROKER_TOKEN``) served by a real uvicorn, and on the local
database, on the same data: the same output and exit codes; an unreachable broker, a refused
token and a server error exit 2 in one line, and the token is never printed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.console import CliState
from readiness.contracts.cli_pact import register
from readiness.contracts.pact.service import PactService
from readiness.server.app import create_app
from readiness.storage import open_stores
from tests._live import free_port, live_server

PACT = {"consumer": {"name": "web"}, "provider": {"name": "users"}, "interactions": []}
CAN = ("can-i-deploy", "--pacticipant", "web", "--version", "c1", "--to-environment", "prod")


@pytest.fixture(autouse=True)
def _no_broker_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PACT_BROKER_BASE_URL", raising=False)
    monkeypatch.delenv("PACT_BROKER_TOKEN", raising=False)


def _run(settings: Settings, clock: FrozenClock, *args: str) -> tuple[int, str]:
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, list(args), obj=CliState(settings.root, clock=clock))
    return result.exit_code, result.output


@pytest.fixture
def remote(settings: Settings, clock: FrozenClock) -> Iterator[tuple[str, str]]:
    """The broker's base URL on a live server over the project's own database, and a token."""
    stores = open_stores(settings, create=True)
    token = TokenService(stores=stores, clock=clock, actor="setup").create(
        name="ci", role="writer"
    )[0]
    try:
        with live_server(create_app(settings, stores=stores, clock=clock)) as url:
            yield f"{url}/pact", token
    finally:
        stores.dispose()


def test_local_and_remote_print_the_same_and_exit_the_same(
    settings: Settings, clock: FrozenClock, tmp_path: Path, remote: tuple[str, str]
) -> None:
    url, token = remote
    over = ("--broker-url", url, "--broker-token", token)
    pact_file = tmp_path / "web-users.json"
    pact_file.write_text(json.dumps(PACT))
    publish = ("publish", str(pact_file), "--consumer-version", "c1", "--branch", "main")
    assert _run(settings, clock, *publish) == (0, "published the pact web (c1) -> users\n")
    assert _run(settings, clock, "create-environment", "prod", *over) == (
        0,
        "created the environment prod\n",
    )

    for args in (publish, CAN, (*CAN, "--format", "json")):
        local = _run(settings, clock, *args)
        assert _run(settings, clock, *args, *over) == local
    assert _run(settings, clock, *CAN)[0] == 1

    stores = open_stores(settings)
    try:
        service = PactService(stores, clock, settings.project)
        service.verify(service.pact("users", "web", "c1")[0], "p1", True, {})
    finally:
        stores.dispose()
    deploy = ("--pacticipant", "users", "--version", "p1", "--environment", "prod")
    code, out = _run(settings, clock, "record-deployment", *deploy, "--format", "json", *over)
    assert code == 0
    assert {k: v for k, v in json.loads(out).items() if k != "uuid"} == {
        "kind": "deployment",
        "pacticipant": "users",
        "version": "p1",
        "environment": "prod",
    }
    for args in (CAN, (*CAN, "--format", "json")):
        assert _run(settings, clock, *args, *over) == _run(settings, clock, *args)
    assert _run(settings, clock, *CAN)[0] == 0
    assert _run(settings, clock, "record-undeployment", *deploy, *over) == (
        0,
        "users p1 is no longer deployed to prod\n",
    )
    assert _run(settings, clock, "record-undeployment", *deploy) == (
        0,
        "users p1 is no longer deployed to prod (it was not)\n",
    )


def test_input_errors_exit_2_with_the_same_line_either_way(
    settings: Settings, clock: FrozenClock, remote: tuple[str, str]
) -> None:
    url, token = remote
    args = ("record-release", "--pacticipant", "web", "--version", "c1", "--environment", "qa")

    local = _run(settings, clock, *args)
    far = _run(settings, clock, *args, "--broker-url", url, "--broker-token", token)

    assert local == far
    assert local == (
        2,
        "error: no environment 'qa'; create it first "
        "(`readiness contracts create-environment qa`)\n",
    )


def test_the_environment_variables_name_the_broker_as_pact_broker_client_does(
    settings: Settings,
    clock: FrozenClock,
    remote: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, token = remote
    monkeypatch.setenv("PACT_BROKER_BASE_URL", url)
    monkeypatch.setenv("PACT_BROKER_TOKEN", token)

    assert _run(settings, clock, "create-environment", "stage") == (
        0,
        "created the environment stage\n",
    )
    monkeypatch.delenv("PACT_BROKER_BASE_URL")
    assert _run(settings, clock, "create-environment", "stage")[0] == 2  # local: it exists


def test_a_refused_token_exits_2_in_one_line_without_printing_it(
    settings: Settings, clock: FrozenClock, remote: tuple[str, str]
) -> None:
    url, _token = remote
    wrong = "rdn_not-a-real-token-0123456789"

    code, out = _run(settings, clock, *CAN, "--broker-url", url, "--broker-token", wrong)

    assert code == 2
    assert out.count("\n") == 1
    assert out.startswith("error: the Pact broker at ")
    assert out.endswith(
        "refused the token (401); check --broker-token (PACT_BROKER_TOKEN) and its role\n"
    )
    assert wrong not in out


def test_an_unreachable_broker_exits_2_in_one_line(settings: Settings, clock: FrozenClock) -> None:
    url = f"http://127.0.0.1:{free_port()}/pact"

    code, out = _run(settings, clock, *CAN, "--broker-url", url, "--broker-token", "t")

    assert code == 2
    assert out.count("\n") == 1
    assert out.endswith("cannot be reached (ConnectError); check --broker-url\n")


class _Failing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


def test_a_server_error_exits_2_in_one_line(settings: Settings, clock: FrozenClock) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/pact"
        code, out = _run(settings, clock, *CAN, "--broker-url", url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    assert code == 2
    assert out.count("\n") == 1
    assert out.endswith("answered 503 to GET /can-i-deploy; try again or ask its operator\n")


def test_a_broker_url_that_is_not_http_exits_2(settings: Settings, clock: FrozenClock) -> None:
    code, out = _run(settings, clock, *CAN, "--broker-url", "ftp://broker")

    assert (code, out) == (
        2,
        "error: --broker-url must be an http:// or https:// URL (got 'ftp://broker')\n",
    )
