"""``readiness migrations verify|plan|backfill|drift``: the live check and the toolkit.

:func:`register` adds the commands to the ``migrations`` Typer app. Exit 0: fine; 1: a query
broke, drift is above the limit, a backfill was stopped; 2: an input error, in one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from readiness.console import Format, emit_json, print_error
from readiness.errors import ReadinessError

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format: text or json.")]


def _fail(exc: ReadinessError) -> typer.Exit:
    print_error(exc.message)
    return typer.Exit(2)


def verify_cmd(  # noqa: PLR0917 - Typer options
    dsn: Annotated[
        str, typer.Option("--dsn", help="PostgreSQL URL; a scratch database is made on its server.")
    ],
    migrations: Annotated[Path, typer.Option("--migrations", help="Directory of .sql migrations.")],
    previous: Annotated[
        str, typer.Option("--previous", help="Version the previous release ran against (0: none).")
    ],
    queries: Annotated[
        str,
        typer.Option(
            "--queries",
            help="File of the previous version's queries (one per line or ;-separated), "
            "or pg_stat_statements.",
        ),
    ],
    rows: Annotated[
        int, typer.Option("--rows", help="Generated rows per table (default 100).")
    ] = 100,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the generated data (default 0).")
    ] = 0,
    fmt: FormatOpt = Format.TEXT,
) -> None:
    """Replay the previous version's queries after each pending migration statement."""
    from readiness.migrations.live.verify import VerifyRequest, verify

    try:
        report = verify(VerifyRequest(dsn, migrations, previous, queries, rows, seed))
    except ReadinessError as exc:
        raise _fail(exc) from exc
    data = report.as_dict()
    if fmt is Format.JSON:
        emit_json(data)
    else:
        _print_verify(data)
    if not report.ok:
        raise typer.Exit(1)


def _print_verify(data: dict[str, Any]) -> None:
    out = [
        f"verify {data['previous']} -> {data['head']}: {data['queries']} queries replayed, "
        f"{data['rows']} rows per table"
    ]
    for item in data["statements"]:
        locks = ", ".join(f"{t} {m}" for t, m in item["locks"].items()) or "no table lock"
        rewrite = f"; rewrites {', '.join(item['rewrites'])}" if item["rewrites"] else ""
        out.append(
            f"  {item['file']}:{item['line']}  {item['duration_ms']:.1f} ms  {locks}{rewrite}"
        )
    for broken in data["broken_queries"]:
        out.append(
            f"BROKEN {broken['query']}\n  error: {broken['error']}\n  by {broken['file']}:"
            f"{broken['line']}: {broken['statement']}"
        )
    if data["migration_error"]:
        err = data["migration_error"]
        out.append(f"MIGRATION FAILED {err['file']}:{err['line']}: {err['error']}")
    trip = data["roundtrip"]
    if trip.get("checked"):
        out.append(f"upgrade -> downgrade -> upgrade identical: {trip['identical']}")
    elif trip:
        out.append(f"round trip not checked: {trip['reason']}")
    history = data["history"]
    if history:
        out.append(
            f"whole history on an empty database: {'ok' if history['ok'] else history['error']}"
        )
    out.append("rollback-safe" if data["ok"] else "NOT rollback-safe")
    typer.echo("\n".join(out))


def register(app: typer.Typer) -> None:
    """Add verify, plan, backfill and drift to the ``migrations`` app."""
    app.command("verify")(verify_cmd)
