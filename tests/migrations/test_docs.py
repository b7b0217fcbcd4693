"""Every ``readiness`` command docs/migrations.md and the README's Migrations section print
works when pasted in the repository's root: exit 0 or 1 (findings), nothing on stderr."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
READINESS = Path(sys.executable).with_name("readiness")


def commands() -> list[str]:
    found: list[str] = []
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Migrations", 1)[1].split("\n## ", 1)[0]
    for text in ((ROOT / "docs" / "migrations.md").read_text(encoding="utf-8"), section):
        for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
            for line in block.splitlines():
                command = line.split("  #")[0].strip()
                if command.startswith("readiness "):
                    found.append(command)
    return found


def test_the_docs_print_the_commands() -> None:
    assert len(commands()) == 15


@pytest.mark.parametrize("command", commands())
def test_a_documented_command_works_when_pasted(command: str, tmp_path: Path) -> None:
    argv = shlex.split(command.split(" > ", maxsplit=1)[0])
    done = subprocess.run(
        [str(READINESS), *argv[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert (done.returncode in {0, 1}, done.stderr) == (True, "")
