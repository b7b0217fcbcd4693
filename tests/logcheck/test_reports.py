"""Stored reports: ``readiness logs lint --record`` and the merge gate store them in the state
database (revision ``0015_log_reports``); the ``/logs`` page shows the newest with its history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from readiness._common.clock import FrozenClock
from readiness.config import Settings, load_settings
from readiness.console import CliState
from readiness.gate.model import Gate, GateContext
from readiness.logcheck.checks import NoPiiInLogCallsCheck
from readiness.logcheck.cli import app
from readiness.logcheck.reports import SERVICE_NAME, list_reports
from readiness.plugins.manager import builtin_plugin_manager
from readiness.storage.engine import Stores
from tests.server.conftest import Server, server  # noqa: F401 (the fixture)

LEAK = 'import structlog\nlog = structlog.get_logger()\nlog.info("login", email=e)\n'
FIRST = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SECOND = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def settings(project_dir: Path) -> Settings:
    (project_dir / "src").mkdir()
    (project_dir / "src" / "auth.py").write_text(LEAK, encoding="utf-8")
    (project_dir / "readiness.toml").write_text('[logs]\nlint_paths = ["src"]\n', encoding="utf-8")
    return load_settings(project_dir, environ={})


def _record(settings: Settings, at: datetime) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["lint", "--record"], obj=CliState(settings.root, clock=FrozenClock(at))
    )
    return result.exit_code, result.stderr


def test_lint_record_stores_reports_and_the_page_shows_the_newest_with_its_history(
    server: Server,  # noqa: F811
    settings: Settings,
) -> None:
    assert _record(settings, FIRST) == (1, "")
    assert _record(settings, SECOND) == (1, "")

    stored = list_reports(server.stores.state, settings.project)
    assert [(r.at, r.source, r.failed, r.files, r.total) for r in stored] == [
        (SECOND, "cli", True, 1, 1),
        (FIRST, "cli", True, 1, 1),
    ]
    assert [(f["file"], f["line"], f["rule"], f["name"]) for f in stored[0].findings] == [
        ("src/auth.py", 3, "pii-name", "email")
    ]
    response = server.client.get("/api/v1/logs/reports?limit=1", headers=server.auth("reader"))
    assert response.status_code == 200, response.text
    [latest] = response.json()["reports"]
    assert (latest["at"], latest["source"], latest["total"], latest["findings"][0]["name"]) == (
        "2026-12-01T09:30:00+00:00",
        "cli",
        1,
        "email",
    )
    page = server.client.get("/logs", headers=server.auth("reader"))
    assert page.status_code == 200
    assert "src/auth.py:3:19" in page.text
    assert "it fails" in page.text
    assert "2026-12-01 09:30 UTC" in page.text
    assert "2026-12-01 08:00 UTC" in page.text


def test_the_page_says_how_to_store_a_report_when_none_is(server: Server) -> None:  # noqa: F811
    page = server.client.get("/logs", headers=server.auth("reader"))
    assert "No lint report stored" in page.text
    assert "readiness logs lint --record" in page.text


def test_the_merge_gate_stores_its_report_through_the_plugin_service(
    stores: Stores, settings: Settings
) -> None:
    services = {}
    for group in builtin_plugin_manager().hook.readiness_gate_services(
        settings=settings, stores=stores
    ):
        services.update(group)
    context = GateContext(
        Gate.MERGE, settings.root, settings, FrozenClock(FIRST), services=services
    )
    result = NoPiiInLogCallsCheck().run(context)
    [report] = list_reports(stores.state, settings.project)
    assert (result.status.value, report.source, report.failed, report.at) == (
        "fail",
        "gate",
        True,
        FIRST,
    )
    assert SERVICE_NAME in services


def test_the_reports_api_needs_a_reader_token_and_a_bounded_limit(
    server: Server,  # noqa: F811
) -> None:
    assert server.client.get("/api/v1/logs/reports").status_code == 401
    limit = server.client.get("/api/v1/logs/reports?limit=0", headers=server.auth("reader"))
    assert (limit.status_code, limit.json()["error"]["code"]) == (422, "invalid_input")
