"""``readiness audit ingest-pgaudit``: PostgreSQL pgaudit log lines into the audit trail
(docs/audit-pgaudit.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from readiness.console import Format, FormatOption, console, emit_json, state


def register(app: typer.Typer) -> None:
    app.command("ingest-pgaudit")(ingest_pgaudit_cmd)


def ingest_pgaudit_cmd(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="FILE|-", help="A PostgreSQL log file, or - for stdin.")
    ],
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format", help="auto, stderr, csvlog or jsonlog (auto tells them apart)."
        ),
    ] = "auto",
    prefix: Annotated[
        str,
        typer.Option(
            "--prefix", help="The server's log_line_prefix (stderr logs; Debian's by default)."
        ),
    ] = "%m [%p] %q%u@%d ",
    fmt: Format = FormatOption,
) -> None:
    """Append the pgaudit records of a PostgreSQL log as audit events, each once: statements
    are kept as their shape and a keyed hash, never their values."""
    from readiness.audit.pgaudit import parse_log
    from readiness.audit.pgaudit_ingest import KEY_FILE, ingest, load_or_create_key
    from readiness.audittrail.cli_io import open_trail, read_input
    from readiness.errors import InputError

    data = read_input(source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not UTF-8 text at byte {exc.start}: not a PostgreSQL log "
            "(set the server's client and log encoding to UTF8)"
        ) from exc
    parsed = parse_log(text, log_format=log_format, prefix=prefix)
    settings, stores, ledger = open_trail(ctx)
    try:
        key = load_or_create_key(settings.path(KEY_FILE))
        result = ingest(parsed, engine=stores.audit, ledger=ledger, key=key, clock=state(ctx).clock)
    finally:
        ledger.close()
        stores.dispose()
    if fmt is Format.JSON:
        emit_json(result.as_dict())
        return
    console.print(
        f"{result.records} pgaudit records ({result.log_format}): {result.appended} appended, "
        f"{result.already} already ingested; {result.skipped_lines} other log lines skipped",
        markup=False,
    )
