"""docs/audit-server.md tells the truth: its commands run, its route table is the app's."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from readiness.audit.verification.store import list_runs
from readiness.config import load_settings
from readiness.storage import open_stores
from tests.server.test_route_roles import ROUTES

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit-server.md"
BIN = Path(sys.executable).parent


def test_the_command_block_runs_and_records_a_verification(project_dir: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("READINESS_") or key == "READINESS_TEST_PG_URL"
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    [block] = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)

    done = subprocess.run(
        ["/bin/bash", "-c", "set -euo pipefail\n" + block],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (done.returncode, done.stderr) == (0, "")
    out = done.stdout
    assert out.startswith(
        "appended 1 event at 0 (log size 1)\n"
        "audit trail verified: 1 event, 2 external checkpoints, 1 stored\n"
    )
    report_text, export_text = out.split("\n}\n")[0:2]
    report = json.loads(report_text.split("stored\n", 1)[1] + "}")
    assert report == {
        "verified": True,
        "size": 1,
        "checkpoints": 2,
        "stored_checkpoints": 1,
        "errors": [],
    }
    line, export_json = export_text.split("\n", 1)
    assert line == "exported 1 entries to tiles: 1 tiles, 1 entry bundles, checkpoint"
    export = json.loads(export_json + "}")
    assert (export["size"], export["directory"]) == (1, "tiles")
    assert (project_dir / "tiles" / "checkpoint").read_text() == export["checkpoint"]
    settings = load_settings(project_dir, environ={})
    stores = open_stores(settings, create=False)
    try:
        runs = list_runs(stores.audit, settings.audit_origin)
    finally:
        stores.dispose()
    assert [(r.size, r.verified, r.trigger) for r in runs] == [(1, True, "cli"), (1, True, "cli")]


def test_the_route_table_names_each_route_with_the_role_the_app_enforces() -> None:
    rows = re.findall(r"^\| `(GET|POST) ([^`]+)` \| ([^|]+) \|", DOC.read_text(), re.M)
    documented = {
        (method, path.split("?")[0].replace("{leaf_index}", "0"), role.split("(")[-1].strip(") "))
        for method, path, role in rows
    }
    enforced = {(m, p.split("?")[0], role) for m, p, role, _ in ROUTES}
    assert len(documented) == 9
    assert documented <= enforced
