"""``readiness audit export-tiles`` after an archive: the archived leaves' entries come from the
Parquet tier, so the export verifies offline and with Go's sumdb/tlog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from readiness._common.clock import FrozenClock
from readiness.audittrail.cli import app
from readiness.console import CliState
from readiness.ledger.core.tiles import decode_entry_bundle
from readiness.ledger.witness.offline import verify_export
from readiness.storage import Stores
from tests.audit.retention.conftest import NOW, Project
from tests.ledger.witness.test_go_tlog import go_check


def export(
    project: Project, stores: Stores, target: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    monkeypatch.setenv("READINESS_ACTOR", "ops_1")
    monkeypatch.setenv("READINESS_STATE_URL", stores.state.url.render_as_string(False))
    monkeypatch.setenv("READINESS_AUDIT_URL", stores.audit.url.render_as_string(False))
    result = CliRunner().invoke(
        app,
        ["export-tiles", str(target), "--format", "json"],
        obj=CliState(project.settings.root, clock=FrozenClock(NOW)),
    )
    assert (result.exit_code, result.stderr) == (0, "")
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_an_export_after_archiving_holds_the_archived_entries_and_verifies(
    project: Project, stores: Stores, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.fill()
    project.archiver().run(12)  # leaves 0..11 archived; 24 is the archive event
    target = tmp_path / "export"

    found = export(project, stores, target, monkeypatch)

    assert (found["size"], found["bundles"]) == (25, 1)
    bundle = decode_entry_bundle((target / "tile/entries/000.p/25").read_bytes(), width=25)
    assert all(bundle[:12])
    report = verify_export(target, project.ledger.verifier)
    assert (report.errors, report.size) == ([], 25)
    done = go_check(tmp_path, {"dir": str(target), "vkey": project.ledger.verifier.vkey})
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "ok 25 entries, 0 inclusion proofs, 0 consistency proofs\n",
        "",
    )
