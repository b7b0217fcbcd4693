"""The command block of docs/audit-retention.md runs as pasted, and says what the page says."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "audit-retention.md"
BIN = Path(sys.executable).parent


def test_the_command_block_runs_archives_proves_verifies_and_refuses(project_dir: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("READINESS_") or key == "READINESS_TEST_PG_URL"
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["READINESS_ACTOR"] = "ops_1"
    [block] = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)

    done = subprocess.run(
        ["/bin/bash", "-c", "set -euo pipefail\n" + block],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "error: 2024-01 is under SOX retention (7y) until 2031-02-01: pruning refused\n"
    )
    out = done.stdout
    assert "would archive 3 events in 2 months older than" in out
    assert "audit trail verified: " in out
    assert "refused (exit 1)" in out
    status = json.loads(out[out.rindex('{\n  "log"') :])
    assert [(m["month"], m["state"], m["entries"]) for m in status["months"]] == [
        ("2024-01", "archived", 2),
        ("2024-02", "archived", 1),
    ]
    assert status["next_expiry"] == "2031-02-01"
    parts = sorted(str(p.relative_to(project_dir)) for p in project_dir.rglob("*.parquet"))
    assert parts == [
        ".readiness/audit-archive/year=2024/month=01/part-000000000000-000000000001.parquet",
        ".readiness/audit-archive/year=2024/month=02/part-000000000002-000000000002.parquet",
    ]
