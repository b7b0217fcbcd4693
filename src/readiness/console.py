"""Shared CLI plumbing: output formats, settings from the command context, one-line errors."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from readiness._common.canonical import to_jsonable
from readiness._common.clock import Clock, SystemClock
from readiness._common.project_names import validate_project_name
from readiness.config import Settings, load_settings

# Piped output (CI logs, files) gets a wide console so tables never truncate test ids.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class Format(StrEnum):
    """How a reporting command prints its result."""

    TEXT = "text"
    JSON = "json"


FormatOption = typer.Option(Format.TEXT, "--format", "-f", help="Output format: text or json.")


class CliState:
    """What the root callback learned (project directory, ``--project``) plus lazy settings."""

    def __init__(
        self, project_dir: Path | None, clock: Clock | None = None, project: str | None = None
    ) -> None:
        self.project_dir = project_dir
        self.project = project
        self.clock: Clock = clock or SystemClock()
        self._settings: Settings | None = None

    @property
    def actor(self) -> str:
        """Who is acting: READINESS_ACTOR, else the login name (recorded in audit events)."""
        import getpass

        return os.environ.get("READINESS_ACTOR") or getpass.getuser()

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            overrides = None
            if self.project is not None:
                # Named here, so the error names the option rather than "the environment".
                overrides = {"project": validate_project_name(self.project, what="--project")}
            self._settings = load_settings(self.project_dir, overrides=overrides)
        return self._settings


def state(ctx: typer.Context) -> CliState:
    """The CLI state stored on the root context (created on demand for sub-app tests)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState(None)
    return root.obj


def emit_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout (datetimes as ISO strings)."""
    sys.stdout.write(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False) + "\n")


def fail_usage(message: str) -> typer.Exit:
    """Print a one-line usage error and return the Exit(2) to raise."""
    err_console.print(f"[bold red]error:[/] {message}", markup=True)
    return typer.Exit(2)
