"""The merge gate against a shared server (``READINESS_URL``) concludes what it does locally.

The server is a real uvicorn in a thread; the same reports go to it and to a local project, and
the gate's verdicts and summaries are compared check by check.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
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

WEBHOOK = "tests/test_pay.py::test_webhook"
REFUND = "tests/test_pay.py::test_refund"
# (commit, webhook outcome, timestamp): the webhook test turns flaky on c2, after c1.
HISTORY = [
    ("c1", "passed", "2026-03-01T10:00:00+00:00"),
    ("c2", "failed", "2026-03-02T10:00:00+00:00"),
    ("c2", "passed", "2026-03-02T11:00:00+00:00"),
]


@pytest.fixture
def server_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    settings = load_settings(tmp_path / "server", environ={})
    stores = open_stores(settings)
    clock = SystemClock()
    tokens = TokenService(stores=stores, clock=clock, actor="admin")
    token, _ = tokens.create(name="ci", role="writer")
    reader, _ = tokens.create(name="ci-reader", role="reader")
    for key in ("READINESS_URL", "READINESS_TOKEN", "READINESS_STATE_URL", "READINESS_AUDIT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("READINESS_ACTOR", "ci-bot")
    monkeypatch.setenv("READINESS_TOKEN", token)
    monkeypatch.setenv("TEST_READER_TOKEN", reader)  # for tests that switch to a reader token
    try:
        with live_server(create_app(settings, stores=stores, clock=clock)) as url:
            # after start-up, which makes the server's default project: the checkout's is another
            ProjectService(stores=stores, clock=clock, actor="admin").create("checkout")
            yield url
    finally:
        stores.dispose()


# The server's broker has no pacts of the checkout (the project names differ, nothing else).
REMOTE_NO_PACTS = ("fail", "checkout has no consumer pacts: nothing was verified")
LOCAL_NO_PACTS = ("fail", "local has no consumer pacts: nothing was verified")


def cli(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str]:
    code = main(["-C", str(root), *args])
    out, _ = capsys.readouterr()
    return code, out


def record_history(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    for n, (commit, webhook, at) in enumerate(HISTORY):
        path = root / f"run{n}.xml"
        path.write_bytes(junit_xml({WEBHOOK: webhook, REFUND: "passed"}))
        code, _ = cli(
            capsys, root, "tests", "ingest", str(path), "--commit", commit, "--branch", "main",
            "--run-id", f"r{n}", "--timestamp", at,
        )  # fmt: skip
        assert code == 0


def gate(
    capsys: pytest.CaptureFixture[str], root: Path, head: str
) -> tuple[int, dict[str, tuple[str, str]]]:
    code, out = cli(capsys, root, "gate", "merge", "--head", head, "-f", "json")
    return code, {c["id"]: (c["status"], c["summary"]) for c in json.loads(out)["checks"]}


@pytest.fixture
def local_and_remote(
    tmp_path: Path,
    server_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Path, Path]:
    """A local project and a checkout that talks to the server, both holding ``HISTORY``."""
    local, remote = tmp_path / "local", tmp_path / "checkout"
    local.mkdir()
    remote.mkdir()
    record_history(capsys, local)
    monkeypatch.setenv("READINESS_URL", server_url)
    record_history(capsys, remote)
    return local, remote


def test_the_remote_gate_judges_flakiness_as_of_the_head_commit_like_the_local_one(
    capsys: pytest.CaptureFixture[str],
    local_and_remote: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local, remote = local_and_remote

    remote_at_c1 = gate(capsys, remote, "c1")
    remote_at_c2 = gate(capsys, remote, "c2")
    monkeypatch.delenv("READINESS_URL")
    local_at_c1 = gate(capsys, local, "c1")

    # Each gate reads its project's broker: the server's for the remote one.
    assert remote_at_c1[1].pop("contracts.verified") == REMOTE_NO_PACTS
    assert local_at_c1[1].pop("contracts.verified") == LOCAL_NO_PACTS
    assert remote_at_c1 == local_at_c1
    assert remote_at_c1[1]["tests.no_new_flaky"] == ("pass", "No test became flaky (2 tests known)")
    assert remote_at_c2[1]["tests.no_new_flaky"] == ("fail", f"1 new test is flaky: {WEBHOOK}")


def test_the_remote_gate_fails_an_unknown_head_with_the_local_gate_s_words(
    capsys: pytest.CaptureFixture[str],
    local_and_remote: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local, remote = local_and_remote

    remote_code, remote_checks = gate(capsys, remote, "deadbee")
    monkeypatch.delenv("READINESS_URL")
    local_code, local_checks = gate(capsys, local, "deadbee")

    assert remote_checks.pop("contracts.verified") == REMOTE_NO_PACTS
    assert local_checks.pop("contracts.verified") == LOCAL_NO_PACTS
    assert (remote_code, remote_checks) == (local_code, local_checks)
    assert remote_code == 1
    assert remote_checks["tests.passed"] == ("fail", "No test run recorded for commit deadbee")
    assert remote_checks["tests.no_new_flaky"] == (
        "fail",
        "No test history recorded for commit deadbee",
    )


def test_the_health_api_refuses_a_test_id_and_a_commit_together(server_url: str) -> None:
    token = os.environ["READINESS_TOKEN"]

    response = httpx.get(
        f"{server_url}/api/v1/tests/health",
        params={"commit": "c1", "test_id": REFUND},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        f"give test_id or commit, not both (got test_id={REFUND!r} and commit='c1'); "
        "drop one of them"
    )


def test_the_health_api_answers_an_empty_list_for_a_commit_without_runs(server_url: str) -> None:
    token = os.environ["READINESS_TOKEN"]

    response = httpx.get(
        f"{server_url}/api/v1/tests/health",
        params={"commit": "deadbee"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert (response.status_code, response.json()) == (200, [])


def test_a_remote_gate_run_is_stored_in_the_server_s_gate_history_under_the_token(
    capsys: pytest.CaptureFixture[str], local_and_remote: tuple[Path, Path], server_url: str
) -> None:
    _local, remote = local_and_remote
    gate(capsys, remote, "c2")

    response = httpx.get(
        f"{server_url}/api/v1/gates/runs",
        params={"project": "checkout"},
        headers={"Authorization": f"Bearer {os.environ['READINESS_TOKEN']}"},
    )

    body = response.json()
    stored = body["runs"][0]
    assert (response.status_code, body["total"]) == (200, 1)
    assert (stored["gate"], stored["commit"], stored["verdict"], stored["by"]) == (
        "merge",
        "c2",
        "fail",
        "ci#1",
    )
    assert [(c["id"], c["status"]) for c in stored["checks"]] == [
        ("audit.capture_coverage", "fail"),
        ("contracts.schemas_compatible", "skip"),
        ("contracts.verified", "fail"),
        ("logs.no_pii_in_log_calls", "fail"),
        ("migrations.lint", "skip"),
        ("migrations.rollback_safe", "skip"),
        ("tests.determinism_hints", "pass"),
        ("tests.no_new_flaky", "fail"),
        ("tests.passed", "pass"),
        ("tests.quarantine_expired", "pass"),
        ("tests.time_budget", "pass"),
    ]


def test_a_gate_run_with_a_reader_token_keeps_its_verdict_and_warns_it_was_not_stored(
    capsys: pytest.CaptureFixture[str],
    local_and_remote: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _local, remote = local_and_remote
    monkeypatch.setenv("READINESS_TOKEN", os.environ["TEST_READER_TOKEN"])

    code = main([
        "-C", str(remote), "gate", "merge", "--head", "c1", "--allow-missing", "audit.*",
        "--allow-missing", "contracts.*", "--allow-missing", "logs.*",
    ])  # fmt: skip

    out, err = capsys.readouterr()
    assert (code, out.splitlines()[-1]) == (
        0,
        "merge gate: PASS (5 passed, 3 warned, 0 failed, 3 skipped, 0 errors)",
    )
    assert err == (
        "warning: the gate run was not stored in the server's gate history (server "
        f"{os.environ['READINESS_URL']}: storing the gate run: role 'reader' may not do this; it "
        "needs the 'writer' role); give the gate a writer token to keep its history\n"
    )


def test_the_pr_comment_of_a_remote_gate_links_to_the_project_s_gates_page(
    capsys: pytest.CaptureFixture[str], local_and_remote: tuple[Path, Path], server_url: str
) -> None:
    _local, remote = local_and_remote

    code, out = cli(capsys, remote, "gate", "merge", "--head", "c2", "-f", "markdown")

    assert code == 1
    assert out.splitlines()[-1] == (
        "[Gate history and trends on the dashboard]"
        f"({server_url}/gates?project=checkout&gate=merge)"
    )
    assert "- ❌ `tests.no_new_flaky`: Make the new test deterministic before merging" in out
