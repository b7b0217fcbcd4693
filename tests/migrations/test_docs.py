"""Every ``readiness`` command docs/migrations.md and the README's Migrations section print
works when pasted in the repository's root: exit 0 or 1 (findings), nothing on stderr."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests._docs import readme_section, shell_commands

ROOT = Path(__file__).parents[2]
READINESS = Path(sys.executable).with_name("readiness")


def commands() -> list[str]:
    page = (ROOT / "docs" / "migrations.md").read_text(encoding="utf-8")
    return shell_commands(page) + shell_commands(readme_section("Migrations"))


def test_the_docs_print_the_commands() -> None:
    assert len(commands()) == 15


@pytest.mark.parametrize("command", commands())
def test_a_documented_command_works_when_pasted(command: str, tmp_path: Path) -> None:
    argv = shlex.split(command.split(" > ", maxsplit=1)[0])
    done = subprocess.run(
        [str(READINESS), *argv[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert (done.returncode in {0, 1}, done.stderr) == (True, "")
