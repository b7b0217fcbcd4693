"""Every ``readiness logs scan`` command of docs/logs-scan.md and of the README's Logging section
works when pasted in the repository's root (exit 0 or 1, nothing on stderr), and the first one
prints what the page shows.

The commands run through a ``logs`` Typer app with ``register(app)``, as ``readiness logs`` adds
this module's command.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer

from readiness.logcheck.cli_scan import register
from tests._docs import readme_section, shell_commands

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "logs-scan.md"


def commands() -> list[str]:
    page = DOC.read_text(encoding="utf-8")
    return [
        command
        for text in (page, readme_section("Logging"))
        for command in shell_commands(text, "readiness logs scan")
    ]


def _run(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.chdir(ROOT)
    app = typer.Typer()
    register(app)
    app.callback()(lambda: None)
    argv = shlex.split(command)
    assert argv[:2] == ["readiness", "logs"]
    capsys.readouterr()
    code = typer.main.get_command(app).main(argv[2:], standalone_mode=False)
    out, err = capsys.readouterr()
    return int(code or 0), out, err


def test_the_docs_print_the_commands() -> None:
    assert len(commands()) == 6


@pytest.mark.parametrize("command", commands())
def test_a_documented_command_works_when_pasted(
    command: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # The copies the page writes to /tmp go to this test's directory instead.
    command = command.replace("/tmp/", f"{tmp_path}/")
    code, _, err = _run(command, capsys, monkeypatch)
    assert (code, err) == (1, "")


def test_the_first_command_prints_the_report_the_page_shows(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = DOC.read_text(encoding="utf-8")
    shown = re.search(r"```sh\n(readiness logs scan [^\n]*)\n```\n\n```text\n(.*?)```", text, re.S)
    assert shown is not None
    assert _run(shown.group(1), capsys, monkeypatch) == (1, shown.group(2), "")


def test_the_redacted_copy_of_the_sample_has_no_finding_left(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.log"
    _run(f"readiness logs scan docs/samples/leaky-app.log --redact-to {copy}", capsys, monkeypatch)
    assert _run(f"readiness logs scan {copy}", capsys, monkeypatch) == (
        0, "no findings in 5 lines\n", ""
    )  # fmt: skip
