"""``readiness tokens create|list|revoke`` in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from readiness.cli.main import main


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("READINESS_URL", "READINESS_TOKEN", "READINESS_STATE_URL", "READINESS_AUDIT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("READINESS_ACTOR", raising=False)  # the settings loader rejects it
    monkeypatch.setenv("LOGNAME", "ops")


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_create_prints_the_token_once_as_json(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    code, out, _ = run(
        capsys,
        project_dir,
        "tokens",
        "create",
        "--role",
        "writer",
        "--name",
        "ci",
        "--format",
        "json",
    )
    data = json.loads(out)
    assert code == 0
    assert (data["id"], data["role"], data["name"]) == (1, "writer", "ci")
    assert data["token"].startswith("rdy_") and len(data["token"]) == 47


def test_list_shows_prefixes_and_revoke_marks_the_token(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    run(capsys, project_dir, "tokens", "create", "--role", "reader", "--name", "dash")
    code, out, _ = run(capsys, project_dir, "tokens", "revoke", "1")
    assert (code, out) == (0, "token 1 ('dash') revoked\n")
    code, out, _ = run(capsys, project_dir, "tokens", "list", "--format", "json")
    [listed] = json.loads(out)
    assert (listed["role"], listed["created_by"], listed["revoked_at"] is not None) == (
        "reader",
        "ops",
        True,
    )
    assert "token" not in listed


def test_an_unknown_role_exits_2_with_a_one_line_error(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    code, _, err = run(capsys, project_dir, "tokens", "create", "--role", "root", "--name", "x")
    assert code == 2
    assert err == (
        "error: Invalid value for '--role': 'root' is not one of 'reader', 'writer', 'admin', "
        "'auditor'.\n"
    )
