"""``readiness sessions list|revoke`` in-process, against the checkout's own database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from readiness._common.clock import SystemClock
from readiness.audit.service import list_events
from readiness.auth.service import TokenService
from readiness.auth.sessions import SessionService
from readiness.config import load_settings
from readiness.storage import open_stores
from tests.auth.test_cli_tokens import run


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("READINESS_URL", "READINESS_TOKEN", "READINESS_STATE_URL", "READINESS_AUDIT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("READINESS_ACTOR", raising=False)
    monkeypatch.setenv("LOGNAME", "ops")


def test_list_then_revoke_a_session_from_the_command_line(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    stores = open_stores(load_settings(project_dir, environ={}))
    clock = SystemClock()
    try:
        _, info = TokenService(stores=stores, clock=clock).create(name="dash", role="reader")
        SessionService(stores=stores, clock=clock).start(
            info, expires_at=clock.now() + timedelta(hours=1), client="Firefox", address="10.0.0.7"
        )
    finally:
        stores.dispose()

    code, out, _ = run(capsys, project_dir, "sessions", "list", "--format", "json")
    [listed] = json.loads(out)
    assert code == 0
    assert (listed["id"], listed["token_name"], listed["client"], listed["address"]) == (
        1,
        "dash",
        "Firefox",
        "10.0.0.7",
    )

    code, out, _ = run(capsys, project_dir, "sessions", "revoke", "1")
    assert (code, out) == (0, "session 1 (dash#1) ended\n")
    code, out, _ = run(capsys, project_dir, "sessions", "list")
    assert (code, out) == (0, "no active sessions\n")
    code, out, _ = run(capsys, project_dir, "sessions", "list", "--all", "--format", "json")
    [ended] = json.loads(out)
    assert (ended["end_reason"], ended["ended_by"]) == ("revoked", "ops")

    stores = open_stores(load_settings(project_dir, environ={}))
    try:
        revoked = list_events(stores, action_prefix="session.revoke")
    finally:
        stores.dispose()
    assert [(e.actor_id, e.target, e.details) for e in revoked] == [
        ("ops", "session:1", {"token": "token:1"})
    ]


def test_revoking_an_unknown_session_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    run(capsys, project_dir, "tokens", "create", "--role", "reader")  # creates the database
    code, _, err = run(capsys, project_dir, "sessions", "revoke", "7")
    assert (code, err) == (
        2,
        "error: session 7 does not exist; `readiness sessions list` (or GET /api/v1/sessions) "
        "shows the ids\n",
    )
