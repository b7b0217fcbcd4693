"""The command block of docs/audit-privacy.md runs as pasted and does what the page says."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "audit-privacy.md"
BIN = Path(sys.executable).parent


def test_the_command_block_runs_as_pasted(project_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    block = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)[0]

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
    pseudonym = lines[0]
    assert re.fullmatch(r"usr_[0-9a-f]{16}", pseudonym)
    opened = [json.loads(line) for line in lines if line.startswith("{")]
    assert [e["after"]["email"] for e in opened if "after" in e] == ["ann@example.org", "[erased]"]
    assert f"{pseudonym} is ann@example.org" in lines
    assert any(line.startswith(f"{pseudonym} resolves to no one (erased ") for line in lines)
    assert "exit 1" in lines
    assert any(line.startswith("audit trail verified: ") for line in lines)
    assert any(
        line.endswith("203.0.113.7                             authn_login_fail") for line in lines
    )
    assert lines[-1] == "purged 0 security-log lines older than 30 days"
    sealed = (project_dir / "sealed.jsonl").read_text()
    assert "ann@example.org" not in sealed
