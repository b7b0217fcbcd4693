"""``readiness migrations``: lint migration files (SQL, Alembic, ``alembic --sql``, Django
``sqlmigrate``) for locks, rewrites and rollback safety."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from readiness.console import state

if TYPE_CHECKING:
    from readiness.migrations.model import LintReport

app = typer.Typer(
    no_args_is_help=True,
    help="Migration safety: lint migrations for locks, table rewrites and rollback safety.",
)

FORMATS = ("text", "json", "sarif", "github", "markdown")


@app.command("lint")
def lint_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Migration files or directories (default: [tool.readiness.migrations] paths)."
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="text, json, sarif, github or markdown (default: text)."
        ),
    ] = "text",
    pg_version: Annotated[
        int | None,
        typer.Option(
            "--pg-version", min=9, max=30, help="Target PostgreSQL major version (default: 15)."
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 on findings at or above: info, warning, error (default: error).",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="MIGRATION",
            help="The first pending migration (file name or revision): the ones before it are "
            "applied, linted for their schema only (default: none, lint every file).",
        ),
    ] = None,
    runner_transaction: Annotated[
        bool | None,
        typer.Option(
            "--runner-transaction/--no-runner-transaction",
            help="The runner wraps each SQL file in a transaction (default: from config, no).",
        ),
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Store the report in the project's lint history (the /migrations page shows it).",
        ),
    ] = False,
) -> None:
    """Lint migrations; exit 1 on findings at or above --fail-on, 2 on unreadable input."""
    from readiness.console import fail_usage
    from readiness.migrations import service
    from readiness.migrations.model import Severity
    from readiness.migrations.render import RENDERERS

    if fmt not in FORMATS:
        raise fail_usage(f"--format {fmt}: expected one of {', '.join(FORMATS)}")
    settings = state(ctx).settings
    config = settings.migrations
    try:
        threshold = Severity.parse(fail_on or config.fail_on)
    except ValueError as exc:
        raise fail_usage(f"--fail-on: {exc}") from None
    targets: list[str | Path] = list(paths or service.configured_paths(settings))
    if not targets:
        raise fail_usage(
            "no migrations to lint: give PATH... or set paths in [tool.readiness.migrations]"
        )
    options = service.options_from(
        config, pg_version=pg_version, runner_transaction=runner_transaction, since=since
    )
    report = service.lint(targets, options)
    unreadable = [e for e in report.errors if e.unreadable]
    sys.stdout.write(RENDERERS[fmt](report))
    if unreadable:
        first = unreadable[0]
        raise fail_usage(f"{first.file}: {first.reason}")
    failed = service.fails(report, threshold)
    if record:
        _record(ctx, report, threshold.label, failed=failed)
    if failed:
        raise typer.Exit(1)


def _record(ctx: typer.Context, report: LintReport, fail_on: str, *, failed: bool) -> None:
    from readiness.console import fail_usage
    from readiness.migrations.reports import ReportRecorder
    from readiness.storage import open_stores

    cli = state(ctx)
    settings = cli.settings
    if settings.is_remote:
        raise fail_usage(
            "--record stores the report in the local database; it is not available with a "
            "server url set (run it where the project's database is)"
        )
    stores = open_stores(settings)
    try:
        recorder = ReportRecorder(
            stores, settings.project, cli.clock, source="cli", root=str(settings.root)
        )
        recorder.record(report, fail_on=fail_on, failed=failed, at=cli.clock.now())
    finally:
        stores.dispose()


@app.command("rules")
def rules_cmd() -> None:
    """List the lint rules with their severity."""
    from readiness.migrations.rules import RULES

    for rule in sorted(RULES.values(), key=lambda r: r.id):
        typer.echo(f"{rule.id:<46} {rule.severity.label:<8} {rule.title}")


def _register_live() -> None:
    from readiness.migrations import cli_live

    cli_live.register(app)


_register_live()
