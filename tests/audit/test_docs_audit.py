"""The commands and the proof check printed in docs/audit.md work as the page says."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
BIN = Path(sys.executable).parent


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_command_block_runs_and_the_documented_proof_check_accepts_its_proof(
    project_dir: Path,
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("READINESS_") or key == "READINESS_TEST_PG_URL"
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    script = "set -euo pipefail\n" + blocks("sh")[0]

    done = subprocess.run(
        ["/bin/bash", "-c", script],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("appended 2 events at 0-1 (log size 2)\n")
    proof = json.loads(
        subprocess.run(
            [str(BIN / "readiness"), "audit", "prove", "1", "--format", "json"],
            cwd=project_dir,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    key = (project_dir / ".readiness" / "checkpoints" / "log.vkey").read_text().strip()
    namespace: dict[str, Any] = {}
    exec(compile(blocks("python")[0], str(DOC), "exec"), namespace)
    namespace["check"](proof, key, f"{project_dir.name}/audit")
    assert (proof["leaf_index"], proof["tree_size"]) == (1, 6)
