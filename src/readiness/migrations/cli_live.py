"""``readiness migrations verify|plan|backfill|drift``: the live check and the toolkit.

:func:`register` adds the commands to the ``migrations`` Typer app. Exit 0: fine; 1: a query
broke, drift is above the limit, a backfill was stopped; 2: an input error, in one line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from readiness.console import Format, emit_json, print_error
from readiness.errors import ReadinessError

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format: text or json.")]


def _fail(exc: ReadinessError) -> typer.Exit:
    print_error(exc.message)
    return typer.Exit(2)


def _require_psycopg(command: str) -> None:
    """Exit 2 with one line when psycopg (the ``postgres`` extra) is not installed."""
    import importlib

    try:
        importlib.import_module("psycopg")
    except ImportError:
        print_error(
            f"migrations {command} needs psycopg, which is not installed: install "
            "readiness[postgres] (pip install 'readiness[postgres]')"
        )
        raise typer.Exit(2) from None


def verify_cmd(  # noqa: PLR0917 - Typer options
    dsn: Annotated[
        str, typer.Option("--dsn", help="PostgreSQL URL; a scratch database is made on its server.")
    ],
    migrations: Annotated[Path, typer.Option("--migrations", help="Directory of .sql migrations.")],
    previous: Annotated[
        str, typer.Option("--previous", help="Version the previous release ran against (0: none).")
    ],
    queries: Annotated[
        str | None,
        typer.Option(
            "--queries",
            help="File of the previous version's queries (one per line or ;-separated), "
            "or pg_stat_statements (default: none; then --previous-tests is needed).",
        ),
    ] = None,
    rows: Annotated[
        int, typer.Option("--rows", help="Generated rows per table (default 100).")
    ] = 100,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the generated data (default 0).")
    ] = 0,
    tests: Annotated[
        Path | None,
        typer.Option(
            "--previous-tests",
            help="The previous version's test suite, a directory (default: none).",
        ),
    ] = None,
    tests_ref: Annotated[
        str | None,
        typer.Option(
            "--previous-ref",
            help="Take --previous-tests as it was at this git ref (default: the working tree).",
        ),
    ] = None,
    tests_env: Annotated[
        str,
        typer.Option("--tests-env", help="Variable giving the suite its database URL."),
    ] = "DATABASE_URL",
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="Golden dataset (SQL) instead of generated rows (default: none)."
        ),
    ] = None,
    fmt: FormatOpt = Format.TEXT,
) -> None:
    """Replay the previous version's queries (and tests) after each pending statement."""
    _require_psycopg("verify")
    from readiness.migrations.live.verify import VerifyRequest, verify

    request = VerifyRequest(
        dsn, migrations, previous, queries, rows, seed, tests, tests_ref, tests_env, data
    )
    try:
        report = verify(request)
    except ReadinessError as exc:
        raise _fail(exc) from exc
    result = report.as_dict()
    if fmt is Format.JSON:
        emit_json(result)
    else:
        _print_verify(result)
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
        text = " ".join(item["statement"].split())
        text = text if len(text) <= 60 else text[:57] + "..."
        out.append(
            f"  {item['file']}:{item['line']}  {text}\n"
            f"      {item['duration_ms']:.1f} ms, {locks}{rewrite}"
        )
    for failing in data["already_failing"]:
        out.append(
            f"already failing before the migrations: {failing['query']} ({failing['error']})"
        )
    for broken in data["broken_queries"]:
        out.append(
            f"BROKEN {broken['query']}\n  error: {broken['error']}\n  by {broken['file']}:"
            f"{broken['line']}: {broken['statement']}"
        )
    for broken in data["broken_tests"]:
        out.append(
            f"BROKEN TEST {broken['test']}\n  error: {broken['error']}\n  by {broken['file']}:"
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


DsnOpt = Annotated[str, typer.Option("--dsn", help="PostgreSQL URL of the database.")]
TypeDsnOpt = Annotated[
    str | None,
    typer.Option(
        "--dsn",
        help="Database to read the column's current type from (default: none; then give the "
        "type with --type or --from-type).",
    ),
]
KeyOpt = Annotated[str, typer.Option("--key", help="Indexed unique key column (default id).")]
OutOpt = Annotated[
    Path, typer.Option("--out", help="Directory the plan's files go to (default migrations).")
]
StartOpt = Annotated[
    int | None,
    typer.Option("--start", help="First Flyway version (default: after the highest in --out)."),
]
plan_app = typer.Typer(help="Write an expand/contract plan as numbered SQL migrations.")


def _column_type(dsn: str | None, table: str, column: str, given: str | None) -> str:
    if given:
        return given
    if dsn is None:
        raise typer.BadParameter("give the column's type with --type, or --dsn to read it")
    from readiness.migrations.live.scratch import connect

    with connect(dsn) as conn:
        row = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attname = %s AND NOT attisdropped",
            (table, column),
        ).fetchone()
    if row is None:
        raise ReadinessError(f"column {table}.{column} not found in the --dsn database")
    return str(row[0])


def _write(steps: list[Any], out: Path, start: int | None, name: str, fmt: Format) -> None:
    from readiness.migrations.toolkit.plan import next_version, write_plan

    paths = write_plan(steps, out, start=start or next_version(out), name=name)
    if fmt is Format.JSON:
        emit_json({"files": [str(p) for p in paths], "steps": [s.purpose for s in steps]})
    else:
        typer.echo("\n".join(f"{p}  -- {s.purpose}" for p, s in zip(paths, steps, strict=True)))


@plan_app.command("rename-column")
def plan_rename(  # noqa: PLR0917 - Typer arguments and options
    target: Annotated[str, typer.Argument(help="TABLE.OLD")],
    new: Annotated[str, typer.Argument(help="The new column name.")],
    column_type: Annotated[
        str | None, typer.Option("--type", help="The column's type (default: read with --dsn).")
    ] = None,
    dsn: TypeDsnOpt = None,
    key: KeyOpt = "id",
    out: OutOpt = Path("migrations"),
    start: StartOpt = None,
    fmt: FormatOpt = Format.TEXT,
) -> None:
    """Six steps: add, dual-write trigger, backfill, switch reads, stop writing, drop."""
    from readiness.migrations.toolkit.plan import rename_column, split_target

    try:
        table, old = split_target(target, "TABLE.OLD")
        typ = _column_type(dsn, table, old, column_type)
        _write(rename_column(table, old, new, typ, key=key), out, start, f"rename_{old}", fmt)
    except ReadinessError as exc:
        raise _fail(exc) from exc


@plan_app.command("change-type")
def plan_change_type(  # noqa: PLR0917 - Typer arguments and options
    target: Annotated[str, typer.Argument(help="TABLE.COLUMN")],
    new_type: Annotated[str, typer.Argument(help="The new type, e.g. bigint.")],
    old_type: Annotated[
        str | None, typer.Option("--from-type", help="The current type (default: read with --dsn).")
    ] = None,
    dsn: TypeDsnOpt = None,
    key: KeyOpt = "id",
    out: OutOpt = Path("migrations"),
    start: StartOpt = None,
    fmt: FormatOpt = Format.TEXT,
) -> None:
    """Six steps through a COLUMN_new column of the new type."""
    from readiness.migrations.toolkit.plan import change_type, split_target

    try:
        table, column = split_target(target, "TABLE.COLUMN")
        typ = _column_type(dsn, table, column, old_type)
        steps = change_type(table, column, new_type, typ, key=key)
        _write(steps, out, start, f"retype_{column}", fmt)
    except ReadinessError as exc:
        raise _fail(exc) from exc


@plan_app.command("set-not-null")
def plan_set_not_null(  # noqa: PLR0917 - Typer arguments and options
    target: Annotated[str, typer.Argument(help="TABLE.COLUMN")],
    default: Annotated[
        str, typer.Option("--default", help="SQL value for old inserts and NULL rows, e.g. 'FR'.")
    ],
    key: KeyOpt = "id",
    out: OutOpt = Path("migrations"),
    start: StartOpt = None,
    fmt: FormatOpt = Format.TEXT,
) -> None:
    """Six steps: default, NOT VALID check, backfill, validate, SET NOT NULL, drop the check."""
    from readiness.migrations.toolkit.plan import set_not_null, split_target

    try:
        table, column = split_target(target, "TABLE.COLUMN")
        _write(set_not_null(table, column, default, key=key), out, start, f"not_null_{column}", fmt)
    except ReadinessError as exc:
        raise _fail(exc) from exc


def backfill_cmd(  # noqa: PLR0917 - Typer arguments and options
    table: Annotated[str, typer.Argument(help="The table to update.")],
    assign: Annotated[str, typer.Option("--set", help="Assignment, e.g. 'full_name = name'.")],
    where: Annotated[
        str, typer.Option("--where", help="Rows still to do, e.g. 'full_name IS NULL'.")
    ],
    dsn: DsnOpt,
    key: KeyOpt = "id",
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Rows per batch (default 5000).")
    ] = 5000,
    pause_ms: Annotated[
        int, typer.Option("--pause-ms", help="Pause between batches (default 100 ms).")
    ] = 100,
    max_lag: Annotated[
        float, typer.Option("--max-lag", help="Pause while replica lag exceeds it (default 1 s).")
    ] = 1.0,
    lag_recheck: Annotated[
        float, typer.Option("--lag-recheck", help="Seconds between lag checks (default 5).")
    ] = 5.0,
    replica_dsn: Annotated[
        str | None,
        typer.Option("--replica-dsn", help="Replica to read lag on (default: the primary's view)."),
    ] = None,
    kill_file: Annotated[
        Path | None,
        typer.Option(
            "--kill-file", help="Stop before the next batch when it exists (default: none)."
        ),
    ] = None,
    progress: Annotated[
        Path | None, typer.Option("--progress", help="Progress file, to resume (default: none).")
    ] = None,
    lock_timeout: Annotated[str, typer.Option("--lock-timeout", help="Default 5s.")] = "5s",
    statement_timeout: Annotated[
        str, typer.Option("--statement-timeout", help="Default 60s.")
    ] = "60s",
    fmt: FormatOpt = Format.TEXT,
) -> None:
    """Batched, throttled, resumable backfill that pauses while replicas lag."""
    _require_psycopg("backfill")
    import time
    from contextlib import ExitStack

    from readiness.migrations.live.scratch import connect
    from readiness.migrations.toolkit.backfill import BackfillSpec, lag_probe, run_backfill

    spec = BackfillSpec(
        table, assign, where, key, batch_size, pause_ms / 1000, lock_timeout,
        statement_timeout, max_lag, lag_recheck, kill_file, progress,
    )  # fmt: skip
    try:
        with ExitStack() as stack:
            conn = stack.enter_context(connect(dsn))
            lag_conn = stack.enter_context(connect(replica_dsn)) if replica_dsn else conn
            lag = lag_probe(lag_conn, on_replica=replica_dsn is not None)
            result = run_backfill(
                conn,
                spec,
                sleep=time.sleep,
                lag=lag,
                on_batch=stack.enter_context(_progress(conn, spec, fmt)),
            )
    except ReadinessError as exc:
        raise _fail(exc) from exc
    if fmt is Format.JSON:
        emit_json(result.as_dict())
    else:
        typer.echo(
            f"backfill {result.status}: {result.rows} rows in {result.batches} batches, "
            f"last key {result.last_key}, {result.lag_pauses} lag pauses"
        )
    if result.status != "done":
        raise typer.Exit(1)


@contextmanager
def _progress(conn: Any, spec: Any, fmt: Format) -> Iterator[Callable[[Any], None] | None]:
    """A progress bar on a terminal (total: the planner's row estimate), else one line a batch."""
    if fmt is Format.JSON:
        yield None
        return
    if not sys.stderr.isatty():
        yield lambda r: typer.echo(f"batch {r.batches}: {r.rows} rows, key {r.last_key}", err=True)
        return
    from rich.console import Console
    from rich.progress import Progress

    from readiness.migrations.toolkit.backfill import estimated_rows

    total = estimated_rows(conn, spec.table)
    with Progress(console=Console(stderr=True)) as bar:
        task = bar.add_task(f"backfill {spec.table}", total=total)

        def advance(result: Any) -> None:
            scanned = result.batches * spec.batch_size
            bar.update(task, completed=min(scanned, total) if total else scanned)

        yield advance


def drift_cmd(  # noqa: PLR0917 - Typer arguments and options
    table: Annotated[str, typer.Argument(help="The table.")],
    old: Annotated[str, typer.Argument(help="The old column.")],
    new: Annotated[str, typer.Argument(help="The new column.")],
    dsn: DsnOpt,
    key: KeyOpt = "id",
    samples: Annotated[int, typer.Option("--samples", help="Rows shown (default 5).")] = 5,
    fmt: FormatOpt = Format.TEXT,
) -> None:
    """Count rows where OLD and NEW differ; exit 1 above 0.01 %."""
    _require_psycopg("drift")
    from readiness.migrations.live.scratch import connect
    from readiness.migrations.toolkit.contract import old_column_reads
    from readiness.migrations.toolkit.drift import measure_drift

    try:
        with connect(dsn) as conn:
            drift = measure_drift(conn, table, old, new, key=key, samples=samples)
            reads = old_column_reads(conn, table, old)
    except ReadinessError as exc:
        raise _fail(exc) from exc
    ready = None if reads is None else not reads and not drift.exceeded
    if fmt is Format.JSON:
        emit_json({**drift.as_dict(), "old_column_reads": reads, "contract_ready": ready})
    else:
        lines = [
            f"{table}: {drift.drifted} of {drift.total} rows differ ({drift.ratio:.4%}; "
            f"limit {drift.limit:.2%})"
        ]
        lines += [
            f"  {key}={s['key']}: {old}={s['old']!r} {new}={s['new']!r}" for s in drift.samples
        ]
        if reads is None:
            lines.append("old column reads: unknown (pg_stat_statements is not installed)")
        else:
            lines += [f"still reads {old}: {r['query']} ({r['calls']} calls)" for r in reads]
            lines.append(f"contract ready: {'yes' if ready else 'no'}")
        typer.echo("\n".join(lines))
    if drift.exceeded:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add verify, plan, backfill and drift to the ``migrations`` app."""
    app.command("verify")(verify_cmd)
    app.add_typer(plan_app, name="plan")
    app.command("backfill")(backfill_cmd)
    app.command("drift")(drift_cmd)
