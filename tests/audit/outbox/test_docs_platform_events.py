"""The commands of docs/audit-platform-events.md work as the page says, pasted into a shell."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "audit-platform-events.md"
BIN = Path(sys.executable).parent


def _run(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("READINESS_") or key == "READINESS_TEST_PG_URL"
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["READINESS_ACTOR"] = "alice"
    return subprocess.run(
        ["/bin/bash", "-c", "set -euo pipefail\n" + script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_shell_block_runs_after_a_token_was_created(project_dir: Path) -> None:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    created = _run("readiness tokens create --name ci --role writer --format json", project_dir)
    assert created.returncode == 0, created.stderr

    events, chain = (_run(block, project_dir) for block in blocks)

    assert (events.returncode, events.stderr, chain.returncode) == (0, "", 0)
    listed = json.loads(events.stdout[events.stdout.index("[") :])
    assert [(e["actor_id"], e["action"], e["target_type"], e["target_id"]) for e in listed] == [
        ("alice", "token.create", "token", "1")
    ]
    assert chain.stdout == "audit chain intact\n"
