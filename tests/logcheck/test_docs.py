"""Every ``readiness`` command docs/logs-lint.md and the README's Logging section print works
when pasted in the repository's root: exit 0 or 1 (findings), nothing on stderr."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from readiness.config import LogsSettings
from tests._docs import readme_section, shell_commands

ROOT = Path(__file__).parents[2]
READINESS = Path(sys.executable).with_name("readiness")


def commands() -> list[str]:
    """The lint commands (``readiness logs lint|rules``) of the page and the README."""
    page = (ROOT / "docs" / "logs-lint.md").read_text(encoding="utf-8")
    return [
        command
        for text in (page, readme_section("Logging"))
        for command in shell_commands(text, "readiness logs")
        if not command.startswith("readiness logs scan ")
    ]


def test_the_docs_print_the_commands() -> None:
    assert len(commands()) == 9


@pytest.mark.parametrize("command", commands())
def test_a_documented_command_works_when_pasted(command: str) -> None:
    argv = shlex.split(command.split(" > ", maxsplit=1)[0])
    done = subprocess.run(
        [str(READINESS), *argv[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert (done.returncode in {0, 1}, done.stderr) == (True, "")


def piped_commands() -> list[str]:
    """The page's ``... | readiness logs lint ... -`` commands (source on stdin)."""
    page = (ROOT / "docs" / "logs-lint.md").read_text(encoding="utf-8")
    return [c for c in shell_commands(page, "cat") if "| readiness logs lint " in c]


def test_the_page_pipes_source_into_the_linter_twice() -> None:
    assert len(piped_commands()) == 2


@pytest.mark.parametrize("command", piped_commands())
def test_a_documented_pipe_works_when_pasted(command: str) -> None:
    source, _, lint = command.partition(" | ")
    argv = shlex.split(lint)
    done = subprocess.run(
        [str(READINESS), *argv[1:]],
        cwd=ROOT,
        input=(ROOT / shlex.split(source)[1]).read_bytes(),
        capture_output=True,
        check=False,
    )
    assert (done.returncode in {0, 1}, done.stderr, done.stdout != b"") == (True, b"", True)


def test_the_leaking_example_of_the_docs_exits_1() -> None:
    done = subprocess.run(
        [str(READINESS), "logs", "lint", "tests/logcheck/golden/pii_name.pysrc"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout.splitlines()[-1]) == (
        1,
        "14 findings (13 errors, 1 warning) in 1 file",
    )


def test_the_configuration_example_is_valid() -> None:
    text = (ROOT / "docs" / "logs-lint.md").read_text(encoding="utf-8")
    [toml_block] = re.findall(r"```toml\n(.*?)```", text, re.DOTALL)
    section = tomllib.loads(toml_block)["tool"]["readiness"]["logs"]
    config = LogsSettings.model_validate(section)
    assert (config.lint_paths, config.field_aliases, config.stack_frames) == (
        ["src"],
        {"customerId": "user_id"},
        10,
    )
