"""The commands of docs/audit-pgaudit.md work when pasted, and print what the page says."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit-pgaudit.md"
BIN = Path(sys.executable).parent


def test_the_command_block_runs_as_documented(project_dir: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    (block,) = re.findall(r"```sh\n(.*?)```", text, re.S)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("READINESS_") or key == "READINESS_TEST_PG_URL"
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["/bin/bash", "-c", "set -euo pipefail\n" + block],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    documented = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    first, rest = done.stdout.split("\n", 1)
    assert first == documented[0]
    result, end = json.JSONDecoder().raw_decode(rest)
    assert result == json.loads(documented[1])
    assert rest[end:].strip() == (
        "2 pgaudit records (stderr): 0 appended, 2 already ingested; 1 other log lines skipped"
    )
