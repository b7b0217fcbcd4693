"""Every ``readiness`` command docs/contracts-registry.md and the README's Contracts section
print works when pasted, in order, in a checkout: exit 0 or 1 (incompatible), nothing on
stderr; and the outputs the page shows are the outputs the commands print."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from tests._docs import readme_section, shell_commands

ROOT = Path(__file__).parents[3]
READINESS = Path(sys.executable).with_name("readiness")
DOC = (ROOT / "docs" / "contracts-registry.md").read_text(encoding="utf-8")


def commands() -> list[str]:
    return shell_commands(DOC) + shell_commands(readme_section("Contracts"))


def run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(command)
    return subprocess.run(
        [str(READINESS), *argv[1:]], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_the_documented_commands_work_when_pasted(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "contracts", tmp_path / "examples" / "contracts")
    assert len(commands()) == 27
    outputs: dict[str, str] = {}
    for command in commands():
        done = run(command, tmp_path)
        assert (command, done.returncode in {0, 1}, done.stderr) == (command, True, "")
        outputs.setdefault(command, done.stdout)
    shown = re.findall(r"```text\n(.*?)```", DOC, re.DOTALL)
    check = "readiness schemas check orders-value examples/contracts/orders-v3-breaking.json"
    refunds = "readiness schemas {} refunds-value examples/contracts/refunds-{}"
    assert shown == [
        outputs[check],
        outputs["readiness schemas diff orders-value 1 2"],
        outputs[refunds.format("check", "v2.json")],
        outputs["readiness schemas diff refunds-value 1 2"],
        outputs[refunds.format("samples", "samples-day2.jsonl --day 2026-03-10")],
    ]
