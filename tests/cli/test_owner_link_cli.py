"""``readiness tests owner`` and ``readiness tests link``, locally and through a shared server."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness._common.clock import SystemClock
from readiness.auth.service import TokenService
from readiness.config import load_settings
from readiness.projects.service import ProjectService
from readiness.server.app import create_app
from readiness.storage import open_stores
from readiness.testing import junit_xml
from tests._live import live_server
from tests.cli.conftest import Run

WEBHOOK = "tests/test_pay.py::test_webhook"
JS_REFUSAL = (
    "issue 'javascript:alert(1)': only http and https links are accepted; give a URL such as "
    "https://tracker.example/PAY-123 or a key such as PAY-123"
)


def ingest_history(cli: Run, root: Path) -> None:
    report = root / "junit.xml"
    report.write_bytes(junit_xml({WEBHOOK: "failed", "tests/test_pay.py::test_refund": "passed"}))
    assert cli(root, "tests", "ingest", str(report), "--commit", "c1", "--branch", "main")[0] == 0


def test_owner_sets_the_owner_of_a_known_test(cli: Run, project_dir: Path) -> None:
    ingest_history(cli, project_dir)

    code, out, err = cli(project_dir, "tests", "owner", WEBHOOK, "@payments")

    assert (code, out, err) == (0, f"owner of {WEBHOOK} set to @payments\n", "")


def test_link_prints_json_with_the_owner_kept(cli: Run, project_dir: Path) -> None:
    ingest_history(cli, project_dir)
    cli(project_dir, "tests", "owner", WEBHOOK, "@payments")

    code, out, _ = cli(project_dir, "tests", "link", WEBHOOK, "PAY-9", "-f", "json")

    assert code == 0
    shown = json.loads(out)
    assert (shown["test_id"], shown["owner"], shown["issue"]) == (WEBHOOK, "@payments", "PAY-9")


def test_a_script_link_is_exit_2_with_one_line(cli: Run, project_dir: Path) -> None:
    ingest_history(cli, project_dir)

    code, out, err = cli(project_dir, "tests", "link", WEBHOOK, "javascript:alert(1)")

    assert (code, out, err) == (2, "", f"error: {JS_REFUSAL}\n")


def test_an_unknown_test_is_exit_2_naming_the_closest_id(cli: Run, project_dir: Path) -> None:
    ingest_history(cli, project_dir)

    code, _, err = cli(project_dir, "tests", "owner", "tests/test_pay.py::test_webhok", "@x")

    assert code == 2
    assert err == (
        "error: test 'tests/test_pay.py::test_webhok' has not run in any ingested report of "
        f"project 'project'; closest known: {WEBHOOK} (`readiness tests known` lists them)\n"
    )


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


def test_through_a_server_owner_and_link_are_held_by_the_server(cli: Run, remote: Path) -> None:
    ingest_history(cli, remote)

    owner = cli(remote, "tests", "owner", WEBHOOK, "@payments")
    link = cli(remote, "tests", "link", WEBHOOK, "https://tracker.example/PAY-9", "-f", "json")
    refused = cli(remote, "tests", "link", WEBHOOK, "javascript:alert(1)")

    assert owner == (0, f"owner of {WEBHOOK} set to @payments\n", "")
    assert json.loads(link[1])["issue"] == "https://tracker.example/PAY-9"
    assert json.loads(link[1])["set_by"] == "ci#1"
    assert refused[0] == 2
    assert refused[2] == f"error: server {os.environ['READINESS_URL']}: {JS_REFUSAL}\n"
    assert not (remote / ".readiness").exists()
