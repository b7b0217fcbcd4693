"""``--help`` shows every help text as written: Typer renders help as Rich markup, where an
unescaped ``[tool.readiness.logs]`` is a style tag and vanishes ("(default:  lint_paths")."""

from __future__ import annotations

from typing import Any

import typer.main
from rich.text import Text

from readiness.cli.main import app
from tests.cli.conftest import Run


def _help_texts() -> list[tuple[str, str]]:
    """(where, text) of every command's and parameter's help in the whole command tree."""
    found: list[tuple[str, str]] = []

    def walk(command: Any, path: str, ctx: Any) -> None:
        if command.help:
            found.append((path, command.help))
        for param in command.params:
            text = getattr(param, "help", None)
            if text:
                found.append((f"{path} {param.name}", text))
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), f"{path} {name}", ctx)

    root = typer.main.get_command(app)
    walk(root, "readiness", root.make_context("readiness", ["--version"], resilient_parsing=True))
    return found


def test_every_help_text_survives_rich_markup() -> None:
    texts = _help_texts()
    lost = [
        (where, text)
        for where, text in texts
        if Text.from_markup(text).plain != text.replace("\\[", "[")
    ]

    assert len(texts) > 300  # the whole tree was walked
    assert lost == []


def test_the_logs_lint_help_names_its_configuration_table(cli: Run) -> None:
    code, out, _ = cli(None, "logs", "lint", "--help")

    assert code == 0
    assert "(default: [tool.readiness.logs] lint_paths," in " ".join(
        line.strip(" │") for line in out.splitlines()
    )
