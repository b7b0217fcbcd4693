"""Shared CLI plumbing: output formats, settings from the command context, one-line errors.

Cheap to import (every ``readiness`` call does): the rich consoles and the settings model are
created on first use.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import typer

from readiness._common.canonical import to_jsonable
from readiness._common.clock import Clock, SystemClock
from readiness._common.redact import mask_urls
from readiness.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from readiness.config import Settings


class _LazyConsole:
    """Stands in for a rich ``Console`` and creates it on first use (rich costs ~50 ms)."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def _real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            # Markup and emoji codes are off: test ids and messages ("test_p[/etc/hosts]",
            # "[tzpath-...]", ":x:") are data, printed as they are. Styling goes through
            # rich.text.Text, or an explicit markup=True over escaped data.
            plain: dict[str, Any] = {"highlight": False, "markup": False, "emoji": False}
            if self._stderr:
                self._console = Console(stderr=True, soft_wrap=True, **plain)
            else:
                # Piped output (CI logs, files) is 200 columns wide unless COLUMNS says otherwise.
                tty = sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit()
                self._console = Console(soft_wrap=True, width=None if tty else 200, **plain)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)


console = cast("Console", _LazyConsole(stderr=False))
err_console = cast("Console", _LazyConsole(stderr=True))


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
    def root(self) -> Path:
        """The project directory (``-C``, else the working directory); it must exist."""
        root = (self.project_dir or Path.cwd()).resolve()
        if not root.is_dir():
            what = "is not a directory" if root.exists() else "does not exist"
            raise InputError(
                f"project directory {self.project_dir} {what}; give your project's directory "
                "with -C DIR, or run readiness inside it"
            )
        return root

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from readiness._common.project_names import validate_project_name
            from readiness.config import load_settings

            overrides = None
            if self.project is not None:
                # Named here, so the error names the option rather than "the environment".
                overrides = {"project": validate_project_name(self.project, what="--project")}
            self._settings = load_settings(self.root, overrides=overrides)
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


def print_error(message: str) -> None:
    """``error: <message>`` as one line on stderr; URLs and the API token in it are masked."""
    secrets = tuple(v for v in (os.environ.get("READINESS_TOKEN"),) if v)
    line = " ".join(mask_urls(message, secrets).split())  # one line, whatever it held
    sys.stderr.write(f"error: {line}\n")
    sys.stderr.flush()


def warn(message: str) -> None:
    """``warning: <message>`` as one line on stderr (the command goes on)."""
    sys.stderr.write(f"warning: {' '.join(message.split())}\n")
    sys.stderr.flush()


def fail_usage(message: str) -> typer.Exit:
    """Print a one-line usage error and return the Exit(2) to raise."""
    print_error(message)
    return typer.Exit(2)
