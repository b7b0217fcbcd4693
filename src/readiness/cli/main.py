"""The ``readiness`` root command: global options, platform commands, feature sub-apps."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from readiness import __version__
from readiness.cli import db as db_cli
from readiness.cli import gate as gate_cli
from readiness.cli import project as project_cli
from readiness.console import CliState, err_console
from readiness.errors import ReadinessError

app = typer.Typer(
    name="readiness",
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


project_cli.register(app)
gate_cli.register(app)
app.add_typer(db_cli.app, name="db", help="Database schema: upgrade, current revision.")


def _mount_plugins() -> None:
    from readiness.cli import audit as audit_cli
    from readiness.cli import projects as projects_cli
    from readiness.cli import tokens as tokens_cli
    from readiness.plugins import get_plugin_manager

    app.add_typer(tokens_cli.app, name="tokens", help="API tokens: create, list, revoke.")
    app.add_typer(projects_cli.app, name="projects", help="Projects: list, create, rename, delete.")
    app.add_typer(audit_cli.app, name="audit")
    for pairs in get_plugin_manager().hook.readiness_cli_apps():
        for name, sub in pairs:
            app.add_typer(sub, name=name)


_mount_plugins()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning user mistakes into one-line errors and exit code 2."""
    try:
        result = app(args=argv, standalone_mode=False, prog_name="readiness")
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument, ...
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        err_console.print(f"[bold red]error:[/] {message}", markup=True)
        return 2
    except ReadinessError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}", markup=True)
        return 2
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
