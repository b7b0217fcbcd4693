"""The verify and plan commands printed in docs/migrations-live.md run as printed."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from readiness.migrations.cli_live import register

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "migrations-live.md"


def _commands() -> list[str]:
    text = DOC.read_text(encoding="utf-8").replace("\\\n", " ")
    return [
        line.removeprefix("$ readiness migrations ").strip()
        for line in text.splitlines()
        if line.startswith(("$ readiness migrations verify", "$ readiness migrations plan"))
    ]


def test_the_doc_prints_verify_and_plan_commands() -> None:
    assert [c.split()[0] for c in _commands()] == [
        "verify",
        "verify",
        "verify",
        "plan",
        "plan",
        "plan",
    ]


@pytest.mark.parametrize("command", _commands())
def test_a_documented_command_works_when_pasted(
    command: str, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    app = typer.Typer()
    migrations = typer.Typer()
    register(migrations)
    app.add_typer(migrations, name="migrations")
    args = shlex.split(command.replace("/tmp/", f"{tmp_path}/"))

    result = CliRunner().invoke(app, ["migrations", *args])

    expected = 0 if args[0] == "plan" else 1  # the documented migration is not rollback-safe
    assert result.exit_code == expected, result.output
