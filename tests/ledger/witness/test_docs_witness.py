"""The commands of docs/audit-witness.md work as the page says, with a real witness process."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from tests._live import free_port, wait_until

DOC = Path(__file__).resolve().parents[3] / "docs" / "audit-witness.md"
BIN = Path(sys.executable).parent


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def run(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", "-c", "set -euo pipefail\n" + script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_the_page_runs_with_a_witness_in_another_process(project_dir: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("READINESS_") or key == "READINESS_TEST_PG_URL"
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    port = str(free_port())
    log_side, publish_side = (block.replace("7380", port) for block in blocks("sh"))
    serve, _, offline = (block.replace("7380", port) for block in blocks("text"))

    first = run(log_side, project_dir, env)
    assert (first.returncode, first.stderr) == (0, "")
    witness = subprocess.Popen(
        ["/bin/bash", "-c", "exec " + serve],
        cwd=project_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: listening(int(port)), "the witness to listen")
        done = run(publish_side, project_dir, env)
        checked = run(offline, project_dir, env)
    finally:
        witness.terminate()
        witness.wait(timeout=10)

    assert (done.returncode, done.stderr) == (0, "")
    assert f"witness.example/w1  http://127.0.0.1:{port}  last cosigned size 4\n" in done.stdout
    assert "witness witness.example/w1: ok: cosigned size 4\n" in done.stdout
    assert (
        "tile export verified: 4 entries, checkpoint signed by project/audit, cosigned by "
        "witness.example/w1\n" in done.stdout
    )
    report = json.loads(checked.stdout)
    assert (checked.returncode, report["verified"], report["size"]) == (0, True, 4)
    assert report["cosigned_by"] == ["witness.example/w1"]
