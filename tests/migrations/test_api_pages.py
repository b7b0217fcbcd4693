"""``POST /api/v1/migrations/lint`` (writer role) and the ``/migrations`` dashboard page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from readiness._common.clock import FrozenClock
from readiness.config import Settings, load_settings
from readiness.console import CliState
from readiness.migrations.cli import app
from tests.server.conftest import Server, server  # noqa: F401 (the fixture)

UNSAFE = "BEGIN;\nALTER TABLE orders RENAME COLUMN total TO amount;\nCOMMIT;\n"


@pytest.fixture
def settings(project_dir: Path) -> Settings:
    (project_dir / "db").mkdir()
    (project_dir / "db" / "V1__rename.sql").write_text(UNSAFE, encoding="utf-8")
    (project_dir / "readiness.toml").write_text('[migrations]\npaths = ["db"]\n', encoding="utf-8")
    return load_settings(project_dir, environ={})


def test_a_writer_lints_files_sent_in_the_body(server: Server) -> None:  # noqa: F811
    body = {
        "files": [
            {"name": "V1__rename.sql", "text": UNSAFE},
            {"name": "V2__bad.sql", "text": "SELEC 1;"},
        ]
    }
    response = server.client.post(
        "/api/v1/migrations/lint", json=body, headers=server.auth("writer")
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["files"], data["fail_on"], data["failed"]) == (2, "error", True)
    assert [(f["file"], f["line"], f["rule"], f["lock"]) for f in data["findings"]] == [
        ("V1__rename.sql", 2, "rename-column", "ACCESS EXCLUSIVE"),
        ("V1__rename.sql", 2, "require-timeout-settings", "ACCESS EXCLUSIVE"),
    ]
    assert data["errors"] == [
        {"file": "V2__bad.sql", "line": 1, "column": 1, "reason": 'syntax error at or near "SELEC"'}
    ]


def test_the_lint_api_needs_the_writer_role(server: Server) -> None:  # noqa: F811
    body = {"files": [{"name": "a.sql", "text": "SELECT 1;"}]}
    assert server.client.post("/api/v1/migrations/lint", json=body).status_code == 401
    reader = server.client.post("/api/v1/migrations/lint", json=body, headers=server.auth("reader"))
    assert reader.status_code == 403
    assert reader.json()["error"]["code"] == "forbidden"
    empty = server.client.post(
        "/api/v1/migrations/lint", json={"files": []}, headers=server.auth("writer")
    )
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "invalid_input"


def _record(server: Server, settings: Settings, at: datetime) -> tuple[int, str]:  # noqa: F811
    result = CliRunner().invoke(
        app, ["lint", "--record"], obj=CliState(settings.root, clock=FrozenClock(at))
    )
    return result.exit_code, result.stderr


def test_the_page_says_how_to_record_a_report_when_none_is_stored(
    server: Server,  # noqa: F811
) -> None:
    page = server.client.get("/migrations", headers=server.auth("reader"))
    assert page.status_code == 200
    assert "No lint report stored" in page.text
    assert "readiness migrations lint --record" in page.text
    nav = server.client.get("/", headers=server.auth("reader")).text
    assert 'href="/migrations"' in nav


def test_lint_record_stores_reports_the_page_and_api_show_newest_first(
    server: Server,  # noqa: F811
    settings: Settings,
) -> None:
    first, second = (
        datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    )
    assert _record(server, settings, first) == (1, "")
    assert _record(server, settings, second) == (1, "")

    response = server.client.get("/api/v1/migrations/reports", headers=server.auth("reader"))
    assert response.status_code == 200, response.text
    data = response.json()
    assert [(r["id"], r["at"], r["source"], r["failed"], r["files"]) for r in data["reports"]] == [
        (2, "2026-12-01T09:30:00+00:00", "cli", True, 1),
        (1, "2026-12-01T08:00:00+00:00", "cli", True, 1),
    ]
    latest = data["reports"][0]
    assert [
        (f["file"], f["line"], f["rule"], f["severity"], f["lock"], f["rollback_safe"])
        for f in latest["findings"]
    ] == [
        ("db/V1__rename.sql", 2, "rename-column", "error", "ACCESS EXCLUSIVE", False),
        ("db/V1__rename.sql", 2, "require-timeout-settings", "warning", "ACCESS EXCLUSIVE", True),
    ]
    one = server.client.get(
        "/api/v1/migrations/reports?limit=1", headers=server.auth("reader")
    ).json()
    assert [r["id"] for r in one["reports"]] == [2]

    page = server.client.get("/migrations", headers=server.auth("reader"))
    assert page.status_code == 200
    assert "db/V1__rename.sql:2" in page.text
    assert "rename-column" in page.text
    assert "it fails" in page.text
    assert "2026-12-01 09:30 UTC" in page.text
    assert "2026-12-01 08:00 UTC" in page.text


def test_the_reports_api_needs_a_reader_token(server: Server) -> None:  # noqa: F811
    assert server.client.get("/api/v1/migrations/reports").status_code == 401
    limit = server.client.get("/api/v1/migrations/reports?limit=0", headers=server.auth("reader"))
    assert limit.status_code == 422
