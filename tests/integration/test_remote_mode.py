"""Every ``readiness tests`` command and the merge gate against a live shared server.

The server (real uvicorn, real app, SQLite) runs in a thread; the client is the real CLI with
READINESS_URL and READINESS_TOKEN set, and the pytest plugin uploads to it and reads its
quarantine list — the way CI uses a central Readiness.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from readiness._common.clock import SystemClock
from readiness.auth.service import TokenService
from readiness.cli.main import main
from readiness.config import load_settings
from readiness.projects.service import ProjectService
from readiness.server.app import create_app
from readiness.storage import open_stores
from readiness.testing import junit_xml
from tests._live import live_server

pytest_plugins = ["pytester"]

WEBHOOK = "tests/test_pay.py::test_webhook"
REFUND = "tests/test_pay.py::test_refund"


@dataclass
class Server:
    url: str
    writer: str
    reader: str


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    settings = load_settings(tmp_path / "server", environ={})
    stores = open_stores(settings)
    clock = SystemClock()
    tokens = TokenService(stores=stores, clock=clock, actor="admin")
    writer, _ = tokens.create(name="ci", role="writer")
    reader, _ = tokens.create(name="dev", role="reader")
    # An admin creates each repository's project; the checkout below is named after it.
    ProjectService(stores=stores, clock=clock, actor="admin").create("checkout")
    try:
        with live_server(create_app(settings, stores=stores, clock=clock)) as url:
            yield Server(url, writer, reader)
    finally:
        stores.dispose()


@pytest.fixture
def client_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: Server) -> Path:
    root = tmp_path / "checkout"
    root.mkdir()
    monkeypatch.setenv("READINESS_URL", server.url)
    monkeypatch.setenv("READINESS_TOKEN", server.writer)
    monkeypatch.setenv("READINESS_PROJECT", "checkout")  # pytester's rootdir has another name
    monkeypatch.delenv("READINESS_ACTOR", raising=False)
    return root


def cli(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def ingest(
    capsys: pytest.CaptureFixture[str], root: Path, n: int, commit: str, webhook: str
) -> int:
    path = root / f"run{n}.xml"
    path.write_bytes(junit_xml({WEBHOOK: webhook, REFUND: "passed"}))
    return cli(
        capsys,
        root,
        "tests",
        "ingest",
        str(path),
        "--commit",
        commit,
        "--branch",
        "main",
        "--run-id",
        f"r{n}",
        "--tag",
        "python=3.12",
    )[0]


def test_ingest_flaky_quarantine_and_gate_all_go_through_the_server(
    capsys: pytest.CaptureFixture[str], client_dir: Path
) -> None:
    codes = [
        ingest(capsys, client_dir, 1, "c1", "failed"),
        ingest(capsys, client_dir, 2, "c1", "passed"),
        ingest(capsys, client_dir, 3, "c2", "failed"),
    ]
    _, flaky_out, _ = cli(capsys, client_dir, "tests", "flaky", "-f", "json")
    add_code, _, _ = cli(
        capsys, client_dir, "tests", "quarantine", "add", WEBHOOK, "--reason", "races the worker"
    )
    _, listed, _ = cli(capsys, client_dir, "tests", "quarantine", "list", "-f", "json")
    gate_code, gate_out, _ = cli(
        capsys,
        client_dir,
        "gate",
        "merge",
        "--head",
        "c2",
        "--allow-missing",
        "audit.*",
        "--allow-missing",  # this project has no pacts, schemas or code of its own to lint
        "contracts.*",
        "--allow-missing",
        "logs.*",
        "-f",
        "json",
    )

    flaky = json.loads(flaky_out)
    entries = json.loads(listed)
    checks = {c["id"]: c for c in json.loads(gate_out)["checks"]}
    assert codes == [0, 0, 0]
    assert [(f["test_id"], f["status"], f["runs"], f["failures"]) for f in flaky] == [
        (WEBHOOK, "flaky", 3, 2)
    ]
    assert add_code == 0
    assert [(e["test_id"], e["source"], e["created_by"]) for e in entries] == [
        (WEBHOOK, "server", "ci#1")
    ]
    assert not (client_dir / ".readiness" / "quarantine.toml").exists()
    assert checks["tests.passed"]["status"] == "pass"
    assert checks["tests.passed"]["evidence"]["quarantined_failed"] == [WEBHOOK]
    assert gate_code == 0


def test_a_reader_token_cannot_ingest_and_gets_one_line(
    capsys: pytest.CaptureFixture[str],
    client_dir: Path,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("READINESS_TOKEN", server.reader)
    path = client_dir / "run.xml"
    path.write_bytes(junit_xml({WEBHOOK: "passed"}))

    code, _, err = cli(capsys, client_dir, "tests", "ingest", str(path))

    assert code == 2
    assert err.startswith(f"error: server {server.url}: ")
    assert len(err.strip().splitlines()) == 1


def test_the_pytest_plugin_uploads_and_honours_the_server_quarantine(
    pytester: pytest.Pytester, server: Server, client_dir: Path
) -> None:
    assert cli_quarantine(server, "test_mod.py::test_races") == 0
    pytester.makepyfile(
        test_mod="""
        def test_races():
            assert False, "lost the race"

        def test_ok():
            assert True
        """
    )

    result = pytester.runpytest(
        "--readiness-quarantine-server", "--readiness-upload", "--readiness-commit=c9"
    )

    result.assert_outcomes(passed=1, xfailed=1)
    assert result.ret == 0
    with_token = {"Authorization": f"Bearer {server.reader}"}
    import httpx

    runs = httpx.get(
        f"{server.url}/api/v1/tests/runs", params={"project": "checkout"}, headers=with_token
    ).json()
    assert [(r["commit"], r["total"], r["failed"]) for r in runs] == [("c9", 2, 1)]


def cli_quarantine(server: Server, test_id: str) -> int:
    import httpx

    response = httpx.post(
        f"{server.url}/api/v1/tests/quarantine",
        # The test has not run on the server yet: quarantining it needs allow_unknown.
        json={"test_id": test_id, "reason": "known race", "allow_unknown": True},
        params={"project": "checkout"},
        headers={"Authorization": f"Bearer {server.writer}"},
    )
    return 0 if response.status_code == 201 else response.status_code
