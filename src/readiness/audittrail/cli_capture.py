"""``readiness audit coverage`` and ``readiness audit capture ...``: proof that capture is
complete, and the PostgreSQL trigger capture of tracked tables (docs/audit-capture.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from readiness._common.words import plural
from readiness.console import Format, FormatOption, console, emit_json, state

capture_app = typer.Typer(
    no_args_is_help=True,
    help="Capture of direct SQL changes: PostgreSQL triggers and their relay into the ledger.",
)


def coverage_cmd(
    ctx: typer.Context,
    app: Annotated[
        str | None,
        typer.Argument(metavar="[APP]", help="The FastAPI app as module:attr (default: config)."),
    ] = None,
    observed: Annotated[
        str | None,
        typer.Option(
            "--observed",
            metavar="FILE",
            help="JSON lines written by the middleware in the app's test run "
            "(READINESS_AUDIT_OBSERVED=FILE pytest; default: \\[audit.capture] observed).",
        ),
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Map every route of APP to the audit events it emits and check the eight "must be
    logged" categories; exit 1 when a route or category is uncovered."""
    from readiness.audit.capture.coverage import report_for, report_lines

    report = report_for(state(ctx).settings, app, observed)
    if fmt is Format.JSON:
        emit_json(report.as_dict())
    else:
        for line in report_lines(report):
            console.print(line, markup=False, soft_wrap=True)
    raise typer.Exit(0 if report.complete else 1)


@capture_app.command("install-triggers")
def install_triggers_cmd(
    *,
    url: Annotated[
        str, typer.Option("--url", help="The application's PostgreSQL database (SQLAlchemy URL).")
    ],
    tables: Annotated[
        list[str], typer.Option("--table", help="A table to track (repeat for several).")
    ],
    fields: Annotated[
        str | None,
        typer.Option(help="Comma-separated columns whose values are kept (default: every one)."),
    ] = None,
    personal: Annotated[
        str,
        typer.Option(help="Comma-separated personal columns: their names only, never values."),
    ] = "",
    key: Annotated[str, typer.Option(help="The column that identifies a row.")] = "id",
    fmt: Format = FormatOption,
) -> None:
    """Install the capture function and a trigger on each TABLE (idempotent)."""
    from readiness.audit.capture.triggers import TrackedTable, install_triggers
    from readiness.storage.engine import create_engine_for

    engine = create_engine_for(url, create=False)
    try:
        tracked = [
            TrackedTable.parse(table, fields=fields, personal=personal, key=key) for table in tables
        ]
        install_triggers(engine, tracked)
    finally:
        engine.dispose()
    if fmt is Format.JSON:
        emit_json({"installed": [t.name for t in tracked]})
        return
    for table in tracked:
        console.print(f"capture trigger installed on {table.name}", markup=False)


@capture_app.command("relay")
def relay_cmd(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Option("--url", help="The application's PostgreSQL database (SQLAlchemy URL).")
    ],
    fmt: Format = FormatOption,
) -> None:
    """Append captured changes to the audit ledger, each exactly once (safe to re-run)."""
    from readiness.audit.capture.relay import relay
    from readiness.audit.trail import open_ledger
    from readiness.storage import open_stores
    from readiness.storage.engine import create_engine_for

    settings = state(ctx).settings
    source = create_engine_for(url, create=False)
    stores = open_stores(settings)
    ledger = open_ledger(settings, stores.audit, state(ctx).clock)
    try:
        result = relay(source, stores.audit, ledger)
    finally:
        ledger.close()
        stores.dispose()
        source.dispose()
    if fmt is Format.JSON:
        emit_json(result.as_dict())
        return
    console.print(
        f"relayed {plural(result.appended, 'captured change')} "
        f"({result.already} already in the ledger)",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``coverage`` and the ``capture`` group to ``readiness audit``."""
    app.command("coverage")(coverage_cmd)
    app.add_typer(capture_app, name="capture")


__all__ = ["register"]
