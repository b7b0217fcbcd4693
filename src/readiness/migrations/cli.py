"""``readiness migrations``: lint migration files (SQL, Alembic, ``alembic --sql``, Django
``sqlmigrate``) for locks, rewrites and rollback safety."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from readiness.console import state
from readiness.lint_reports.cli import fail_on_option, format_option, record_option

if TYPE_CHECKING:
    from readiness._common.clock import Clock
    from readiness.config import Settings
    from readiness.migrations.reports import ReportRecorder
    from readiness.storage.engine import Stores

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
            help="Migration files or directories (default: \\[tool.readiness.migrations] paths)."
        ),
    ] = None,
    fmt: Annotated[str, format_option(FORMATS)] = "text",
    pg_version: Annotated[
        int | None,
        typer.Option(
            "--pg-version", min=9, max=30, help="Target PostgreSQL major version (default: 15)."
        ),
    ] = None,
    fail_on: Annotated[str | None, fail_on_option()] = None,
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
        bool, record_option("the project's lint history (the /migrations page shows it)")
    ] = False,
) -> None:
    """Lint migrations; exit 1 on findings at or above --fail-on, 2 on unreadable input."""
    from readiness.console import fail_usage
    from readiness.lint_reports.cli import check_format, finish, threshold
    from readiness.migrations import service
    from readiness.migrations.render import RENDERERS

    check_format(fmt, FORMATS)
    settings = state(ctx).settings
    config = settings.migrations
    fails_at = threshold(fail_on, config.fail_on)
    targets: list[str | Path] = list(paths or service.configured_paths(settings))
    if not targets:
        raise fail_usage(
            "no migrations to lint: give PATH... or set paths in [tool.readiness.migrations]"
        )
    options = service.options_from(
        config, pg_version=pg_version, runner_transaction=runner_transaction, since=since
    )
    report = service.lint(targets, options)
    failed = service.fails(report, fails_at)
    output = RENDERERS[fmt](report)
    finish(ctx, report, output, fails_at, failed=failed, record=_recorder if record else None)


def _recorder(stores: Stores, settings: Settings, clock: Clock) -> ReportRecorder:
    from readiness.migrations.reports import ReportRecorder

    return ReportRecorder(stores, settings.project, clock, source="cli", root=str(settings.root))


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
