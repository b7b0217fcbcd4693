"""POST /api/v1/tests/runs and the remote CLI: several reports stored together or not at all."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pluggy
import pytest

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings, load_settings
from readiness.errors import InputError, JUnitReportsError
from readiness.plugins import hookspecs
from readiness.server.app import create_app
from readiness.storage import Stores, open_stores
from readiness.testhealth.api import api_router
from readiness.testhealth.client import RemoteTestHealth
from readiness.testhealth.model import RunMeta
from tests.testhealth.ingest._reports import TRUNCATED, node_ids, pytest_report

with warnings.catch_warnings():
    # Starlette deprecates plain httpx for its TestClient; the client itself works unchanged.
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

GOOD = pytest_report(node_ids("test_orders", 0, 3))


@dataclass
class Api:
    client: TestClient
    stores: Stores
    writer: dict[str, str]
    token: str

    def runs(self) -> list[dict[str, object]]:
        response = self.client.get("/api/v1/tests/runs", headers=self.writer)
        assert response.status_code == 200, response.text
        runs: list[dict[str, object]] = response.json()
        return runs


@pytest.fixture
def api(settings: Settings, clock: FrozenClock) -> Iterator[Api]:
    stores = open_stores(settings)
    token = TokenService(stores=stores, clock=clock, actor="setup").create(
        name="ci-bot", role="writer"
    )[0]
    pm = pluggy.PluginManager("readiness")
    pm.add_hookspecs(hookspecs)
    app = create_app(settings, stores=stores, clock=clock, pm=pm, extra_routers=[api_router()])
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, stores, {"Authorization": f"Bearer {token}"}, token)
    stores.dispose()


def test_a_multipart_upload_with_one_bad_part_stores_nothing_and_names_it(api: Api) -> None:
    response = api.client.post(
        "/api/v1/tests/runs?run_id=7",
        files=[("file", ("a.xml", GOOD)), ("file", ("b.xml", TRUNCATED))],
        headers=api.writer,
    )

    assert (response.status_code, response.json()) == (
        400,
        {
            "error": {
                "code": "junit_invalid",
                "message": "1 of 2 JUnit XML files is invalid, so none of the 2 was ingested: "
                "b.xml line 2: no element found. Fix or leave out the invalid files and run the "
                "ingest again",
                "details": {
                    "files": [{"source": "b.xml", "line": 2, "problem": "no element found"}],
                    "total": 2,
                },
            }
        },
    )
    assert api.runs() == []


def test_ci_metadata_sent_as_query_parameters_is_stored_with_the_run(api: Api) -> None:
    response = api.client.post(
        "/api/v1/tests/runs?commit=abc123&branch=main&pr=53&provider=github"
        "&url=https://github.com/octocat/Hello-World/actions/runs/1658821493",
        content=GOOD,
        headers={**api.writer, "Content-Type": "application/xml"},
    )

    assert response.status_code == 200, response.text
    (run,) = api.runs()
    assert (run["commit"], run["branch"], run["pr"], run["provider"], run["url"]) == (
        "abc123",
        "main",
        "53",
        "github",
        "https://github.com/octocat/Hello-World/actions/runs/1658821493",
    )


class _Counting(httpx.BaseTransport):
    """Counts the requests that reach the wrapped transport."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)


def _remote(api: Api, root: Path) -> tuple[RemoteTestHealth, _Counting]:
    settings = load_settings(
        root, environ={"READINESS_URL": "http://testserver", "READINESS_TOKEN": api.token}
    )
    transport = _Counting(api.client._transport)
    return RemoteTestHealth(settings, transport=transport), transport


def test_the_remote_cli_sends_every_file_in_one_request_and_the_server_stores_all(
    api: Api, project_dir: Path
) -> None:
    (project_dir / "a.xml").write_bytes(GOOD)
    (project_dir / "b.xml").write_bytes(pytest_report(node_ids("test_users", 0, 2)))
    remote, transport = _remote(api, project_dir)

    results = remote.ingest([project_dir / "a.xml", project_dir / "b.xml"], RunMeta(pr="53"))

    assert [(r["source"], r["results"]) for r in results] == [("a.xml", 3), ("b.xml", 2)]
    assert [(r.method, r.url.path) for r in transport.requests] == [("POST", "/api/v1/tests/runs")]
    assert [run["pr"] for run in api.runs()] == ["53", "53"]


def test_the_remote_cli_with_a_bad_file_stores_nothing_on_the_server(
    api: Api, project_dir: Path
) -> None:
    (project_dir / "a.xml").write_bytes(GOOD)
    (project_dir / "b.xml").write_bytes(TRUNCATED)
    remote, transport = _remote(api, project_dir)

    with pytest.raises(InputError) as caught:
        remote.ingest([project_dir / "a.xml", project_dir / "b.xml"], RunMeta())

    assert str(caught.value) == (
        "server http://testserver: 1 of 2 JUnit XML files is invalid, so none of the 2 was "
        "ingested: b.xml line 2: no element found. Fix or leave out the invalid files and run "
        "the ingest again"
    )
    assert len(transport.requests) == 1
    assert api.runs() == []


def test_the_remote_cli_names_unreadable_and_malformed_files_without_sending_anything(
    api: Api, project_dir: Path
) -> None:
    (project_dir / "bad.xml").write_bytes(TRUNCATED)
    missing = project_dir / "missing.xml"
    remote, transport = _remote(api, project_dir)

    with pytest.raises(JUnitReportsError) as caught:
        remote.ingest([missing, project_dir / "bad.xml"], RunMeta())

    assert caught.value.details["files"] == [
        {
            "source": str(missing),
            "line": None,
            "problem": "cannot be read (No such file or directory)",
        },
        {"source": str(project_dir / "bad.xml"), "line": 2, "problem": "no element found"},
    ]
    assert transport.requests == []


def test_the_remote_cli_cuts_long_ci_metadata_to_what_a_local_ingest_stores(
    api: Api, project_dir: Path
) -> None:
    # The server refuses values longer than their column (422); a CI environment can hold them.
    (project_dir / "a.xml").write_bytes(GOOD)
    remote, _ = _remote(api, project_dir)

    remote.ingest([project_dir / "a.xml"], RunMeta(branch="b" * 300, commit="c" * 80))

    (run,) = api.runs()
    assert (run["branch"], run["commit"]) == ("b" * 255, "c" * 64)
