"""The command block of docs/audit-query.md runs as pasted, and says what the page says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "audit-query.md"
BIN = Path(sys.executable).parent


def test_the_command_block_runs_and_every_export_verifies(project_dir: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("READINESS_") or key == "READINESS_TEST_PG_URL"
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["READINESS_ACTOR"] = "auditor_1"
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
    lines = done.stdout.splitlines()
    assert "as of 2026-04-06: {'amount': 12, 'status': 'draft'}" in lines
    verified = [line for line in lines if "events verified against the checkpoint" in line]
    assert [line.split(": ")[1].split(" events")[0] for line in verified] == ["3", "8", "3"]
