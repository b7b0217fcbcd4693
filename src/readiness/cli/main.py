"""The ``readiness`` root command: global options, platform commands, feature sub-apps.

Start-up time is part of every CI step that calls ``readiness``, so nothing heavy is imported
here: the commands are mounted lazily (:mod:`readiness.cli.lazy`). A platform command's module
is imported when that command runs; the feature sub-apps come from the plugins when a name is not
a platform command, or when ``--help`` lists them all.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from readiness import __version__
from readiness.cli.lazy import LazyRootGroup
from readiness.console import CliState

app = typer.Typer(
    name="readiness",
    cls=LazyRootGroup,
    help="Production readiness for Python teams: flaky tests, gates, audit trail and more.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"readiness {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    project_dir: Annotated[
        Path | None,
        typer.Option("--project-dir", "-C", help="Project root (default: current directory)."),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            metavar="NAME",
            help="Project to act on (default: READINESS_PROJECT, the configured project, "
            "else the directory's name).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Readiness: flaky-test management, quarantine and the merge/deploy/verify gates."""
    ctx.obj = CliState(project_dir, project=project)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI; every outcome is exit 0 (ok), 1 (a check failed) or 2 (error).

    User mistakes and broken environments (an unreachable database, a missing file) are one
    line on stderr, never a traceback (:func:`readiness.cli.errors.report_error`).
    """
    from readiness.cli.errors import run_guarded
    from readiness.cli.logsetup import cli_logging

    with cli_logging():  # the CLI's own log lines: readiness.logs' console renderer, on stderr
        return run_guarded(lambda: app(args=argv, standalone_mode=False, prog_name="readiness"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
