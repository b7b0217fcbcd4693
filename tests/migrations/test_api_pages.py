"""``POST /api/v1/migrations/lint`` (writer role) and the ``/migrations`` dashboard page."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.config import Settings, load_settings
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


def test_the_page_lists_the_configured_migrations_findings(server: Server) -> None:  # noqa: F811
    page = server.client.get("/migrations", headers=server.auth("reader"))
    assert page.status_code == 200
    assert "db/V1__rename.sql:2" in page.text
    assert "rename-column" in page.text
    assert "it fails" in page.text
    nav = server.client.get("/", headers=server.auth("reader")).text
    assert 'href="/migrations"' in nav
