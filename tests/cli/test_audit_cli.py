from __future__ import annotations

import json
from pathlib import Path

import pytest

from readiness.audit.tables import audit_events
from readiness.cli.main import main
from readiness.config import load_settings
from readiness.storage import open_stores


def test_audit_events_lists_quarantine_changes_and_verify_detects_tampering(
    capsys: pytest.CaptureFixture[str], project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_ACTOR", "alice")
    root = ["-C", str(project_dir)]
    main([*root, "tests", "quarantine", "add", "t.py::x", "--reason", "races", "--allow-unknown"])
    main([*root, "tests", "quarantine", "remove", "t.py::x", "--reason", "fixed"])
    capsys.readouterr()

    main([*root, "audit", "events", "--action", "tests.quarantine", "-f", "json"])
    events = json.loads(capsys.readouterr().out)
    intact_code = main([*root, "audit", "verify-chain"])
    stores = open_stores(load_settings(project_dir, environ={}))
    with stores.audit.begin() as conn:
        conn.execute(audit_events.update().where(audit_events.c.seq == 1).values(actor="eve"))
    stores.dispose()
    capsys.readouterr()
    broken_code = main([*root, "audit", "verify-chain", "-f", "json"])

    assert [(e["actor"], e["action"], e["target"]) for e in events] == [
        ("alice", "tests.quarantine.remove", "t.py::x"),
        ("alice", "tests.quarantine.add", "t.py::x"),
    ]
    assert (intact_code, broken_code) == (0, 1)
    assert json.loads(capsys.readouterr().out) == {"intact": False, "broken_at": 1}
