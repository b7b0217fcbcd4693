"""Every ``--help`` speaks a shell user's language: value kinds in words, flags without values."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
import typer.main
from typer.core import TyperOption

from readiness.cli.main import app
from readiness.cli.metavars import reflow
from tests.cli.conftest import Run
from tests.cli.test_exit_codes import every_command_path

# What Typer would print for a Python annotation: <str>, <bool>, <list[Path]>, <int range>.
# ("list" and "float" alone are English words in the help texts; "list[" is not. "<stdin>" is
# the name `logs lint -` gives standard input, as Python does.)
PYTHON_TYPE = re.compile(r"<(?!stdin>)[^>]*>|\blist\[|\b(str|int|bool|Path|NoneType|datetime)\b")


@pytest.fixture(autouse=True)
def _columns_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def _option_rows(out: str) -> list[str]:
    """The rows of the help's panels (``│ --flag  TEXT  help │``), without the borders."""
    return [line.strip("│ ") for line in out.splitlines() if line.startswith("│")]


@pytest.mark.parametrize("path", every_command_path(), ids=lambda p: " ".join(p) or "readiness")
def test_help_names_no_python_type(cli: Run, path: tuple[str, ...]) -> None:
    code, out, _ = cli(None, *path, "--help")

    assert code == 0
    assert [row for row in _option_rows(out) if PYTHON_TYPE.search(row)] == []


@pytest.mark.parametrize("path", every_command_path(), ids=lambda p: " ".join(p) or "readiness")
def test_help_shows_a_flag_without_a_value(cli: Run, path: tuple[str, ...]) -> None:
    code, out, _ = cli(None, *path, "--help")

    help_row = next(row for row in _option_rows(out) if row.startswith("--help"))
    assert code == 0
    assert help_row.split()[:2] == ["--help", "Show"]


def test_options_show_the_kind_of_their_value_and_their_default(cli: Run) -> None:
    code, out, _ = cli(None, "tests", "verify-fix", "--help")

    rows = _option_rows(out)
    assert code == 0
    assert rows[0].split()[:4] == ["*", "TEST_ID", "TEXT", "The"]
    assert [r.split()[:2] for r in rows if r.startswith(("--seed", "--format", "--polluter"))] == [
        ["--polluter", "TEXT"],
        ["--seed", "INTEGER"],
        ["--format", "-f"],
    ]
    assert "[default: 0]" in out
    assert "[text|json]" in out


def test_a_list_argument_is_named_in_capitals_with_an_ellipsis(cli: Run) -> None:
    code, out, _ = cli(None, "tests", "ingest", "--help")

    assert code == 0
    assert "Usage: readiness tests ingest [OPTIONS] {FILES}..." in out
    assert _option_rows(out)[0].split()[:3] == ["*", "FILES", "PATH..."]


def test_the_root_flags_take_no_value(cli: Run) -> None:
    code, out, _ = cli(None, "--help")

    rows = _option_rows(out)
    assert code == 0
    assert [r.split()[:3] for r in rows if r.startswith("--")] == [
        ["--project-dir", "-C", "PATH"],
        ["--project", "NAME", "Project"],
        ["--version", "Print", "the"],
        ["--help", "Show", "this"],
    ]


def test_a_docstring_line_break_does_not_break_the_help_mid_sentence(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")

    code, out, _ = cli(None, "tests", "ingest", "--help")

    assert code == 0
    assert (
        " Metadata not given is read from the CI environment (GitHub Actions, GitLab CI, "
        "Buildkite, CircleCI, Jenkins, Azure Pipelines); options always win."
    ) in [line.rstrip() for line in out.splitlines()]


def test_reflow_joins_the_lines_of_a_paragraph_and_keeps_paragraphs() -> None:
    assert reflow("Rerun a test,\n    then release it.\n\n\bKeep\nthese lines.") == (
        "Rerun a test, then release it.\n\n\bKeep\nthese lines."
    )


def _commands_panel(out: str) -> list[str]:
    """The rows of the help's Commands panel, borders kept (empty: the command has none)."""
    rows: list[str] = []
    inside = False
    for line in out.splitlines():
        if line.startswith("╭─ Commands"):
            inside = True
        elif inside and line.startswith("╰"):
            break
        elif inside:
            rows.append(line)
    return rows


@pytest.mark.parametrize("path", every_command_path(), ids=lambda p: " ".join(p) or "readiness")
def test_every_listed_command_says_what_it_does(cli: Run, path: tuple[str, ...]) -> None:
    code, out, _ = cli(None, *path, "--help")

    # A row naming a command starts right after the border; its continuation rows are indented.
    named = [row.strip("│ ").split() for row in _commands_panel(out) if row[2:3] != " "]
    assert code == 0
    assert [words[0] for words in named if len(words) == 1] == []


def _options_taking_a_value() -> list[tuple[str, Any]]:
    """(``"tests ingest --commit"``, option) for every visible option that takes a value."""
    found: list[tuple[str, Any]] = []

    def walk(command: Any, path: str, ctx: Any) -> None:
        for param in command.params:
            if isinstance(param, TyperOption) and not (param.is_flag or param.hidden):
                found.append((f"{path} {param.opts[0]}".strip(), param))
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), f"{path} {name}", ctx)

    root = typer.main.get_command(app)
    walk(root, "", root.make_context("readiness", ["--version"], resilient_parsing=True))
    return found


def test_every_option_says_its_default() -> None:
    silent = [
        name
        for name, option in _options_taking_a_value()
        if not option.required
        and option.default is None
        and "(default: " not in (option.help or "")
        and "; default: " not in (option.help or "")
    ]

    assert silent == []


def test_a_long_list_of_choices_is_named_for_its_option_and_listed_in_its_help(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")

    code, out, _ = cli(None, "gate", "--help")

    [row] = [row for row in _option_rows(out) if row.startswith("--format")]
    assert code == 0
    assert row.split()[:3] == ["--format", "-f", "FORMAT"]
    assert "Report format: text, markdown, json, junit, sarif." in row


@pytest.mark.parametrize("path", every_command_path(), ids=lambda p: " ".join(p) or "readiness")
def test_no_help_row_is_cut_inside_a_word_at_80_columns(cli: Run, path: tuple[str, ...]) -> None:
    code, out, _ = cli(None, *path, "--help")

    # Rich folds a metavar wider than its column mid-word: "[reader|writer|admin|au" / "ditor]".
    cut = [
        w
        for row in _option_rows(out)
        for w in row.split()
        if w[:1] == "[" and "|" in w and w[-1:] != "]"
    ]
    assert code == 0
    assert cut == []
