"""``readiness tests quarantine add`` refuses a typo, locally and through a shared server."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from readiness._common.clock import FrozenClock, SystemClock
from readiness.auth.service import TokenService
from readiness.config import load_settings
from readiness.projects.service import ProjectService
from readiness.server.app import create_app
from readiness.storage import open_stores
from readiness.testing import junit_xml
from tests._live import live_server
from tests.cli.conftest import Run

WEBHOOK = "tests/test_pay.py::test_webhook"
TYPO = "tests/test_pay.py::test_webhok"


def refusal(project: str) -> str:
    return (
        f"test {TYPO!r} has not run in any ingested report of project {project!r} (a typo?); "
        f"closest known: {WEBHOOK}. To quarantine it anyway (a test that has not run yet), pass "
        '--allow-unknown (API: "allow_unknown": true)'
    )


def ingest_history(cli: Run, root: Path) -> None:
    report = root / "junit.xml"
    report.write_bytes(junit_xml({WEBHOOK: "failed", "tests/test_pay.py::test_refund": "passed"}))
    assert cli(root, "tests", "ingest", str(report), "--commit", "c1", "--branch", "main")[0] == 0


def test_a_typo_is_refused_with_exit_2_naming_the_closest_known_id(
    cli: Run, project_dir: Path
) -> None:
    ingest_history(cli, project_dir)

    code, out, err = cli(project_dir, "tests", "quarantine", "add", TYPO, "--reason", "races")

    assert (code, out, err) == (2, "", f"error: {refusal('project')}\n")
    assert not (project_dir / ".readiness" / "quarantine.toml").exists()


def test_allow_unknown_quarantines_a_test_that_has_not_run_yet(cli: Run, project_dir: Path) -> None:
    ingest_history(cli, project_dir)

    code, out, _ = cli(
        project_dir,
        *("tests", "quarantine", "add", TYPO, "--reason", "new", "--allow-unknown", "-f", "json"),
    )

    assert code == 0
    assert json.loads(out)["test_id"] == TYPO


@pytest.fixture
def remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A live server with a writer token in the environment; yields the client's checkout."""
    settings = load_settings(tmp_path / "server", environ={})
    stores = open_stores(settings)
    token, _ = TokenService(stores=stores, clock=SystemClock(), actor="admin").create(
        name="ci", role="writer"
    )
    ProjectService(stores=stores, clock=SystemClock(), actor="admin").create("checkout")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    try:
        with live_server(create_app(settings, stores=stores)) as url:
            monkeypatch.setenv("READINESS_URL", url)
            monkeypatch.setenv("READINESS_TOKEN", token)
            yield checkout
    finally:
        stores.dispose()


def test_through_a_server_a_typo_is_refused_with_the_same_message(cli: Run, remote: Path) -> None:
    ingest_history(cli, remote)

    code, _, err = cli(remote, "tests", "quarantine", "add", TYPO, "--reason", "races")

    assert code == 2
    assert err == f"error: server {os.environ['READINESS_URL']}: {refusal('checkout')}\n"


def test_through_a_server_allow_unknown_quarantines_it(cli: Run, remote: Path) -> None:
    code, out, _ = cli(
        remote,
        *("tests", "quarantine", "add", TYPO, "--reason", "new", "--allow-unknown", "-f", "json"),
    )

    assert code == 0
    assert json.loads(out)["test_id"] == TYPO
    assert not (remote / ".readiness").exists()  # held by the server, nothing local


def test_expires_takes_a_number_of_days_like_tokens_create(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    monkeypatch.setattr("readiness.console.SystemClock", lambda: FrozenClock(at))
    ingest_history(cli, project_dir)

    code, out, err = cli(
        project_dir,
        *("tests", "quarantine", "add", WEBHOOK, "--reason", "races", "--expires", "45d"),
    )

    assert (code, err) == (0, "")
    assert out == f"quarantined {WEBHOOK} (owner none, expires 2027-01-14)\n"


def test_an_expiry_that_is_neither_a_date_nor_days_names_both(cli: Run, project_dir: Path) -> None:
    ingest_history(cli, project_dir)

    code, out, err = cli(
        project_dir,
        *("tests", "quarantine", "add", WEBHOOK, "--reason", "races", "--expires", "soon"),
    )

    assert (code, out) == (2, "")
    assert err == (
        "error: --expires soon: expected a date such as 2026-04-30 or a number of days such as "
        "90d\n"
    )
