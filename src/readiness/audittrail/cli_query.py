"""``readiness audit query|timeline|export|reindex|verify-export``: reading the trail.

Every read appends an audit event (``audit.query``, ``audit.export``) before it prints
anything; ``verify-export`` works offline, with an export file and the log's public key only.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from readiness._common.words import plural
from readiness.audit.query.filters import FILTER_NAMES, FilterText
from readiness.audit.retention.files import archive_root
from readiness.console import Format, FormatOption, console, emit_json, state

if TYPE_CHECKING:
    from readiness.audit.query.service import TrailReader

FILTER_OPTIONS: dict[str, Any] = {
    "actor": Annotated[
        str | None, typer.Option("--actor", help="Only this actor_id (default: any actor).")
    ],
    "target_type": Annotated[
        str | None, typer.Option("--target-type", help="Only this target_type (default: any).")
    ],
    "target_id": Annotated[
        str | None,
        typer.Option("--target-id", help="Only this target_id, with --target-type (default: any)."),
    ],
    "action": Annotated[
        str | None,
        typer.Option("--action", help="Only this action, or a prefix ending in * (default: any)."),
    ],
    "result": Annotated[
        str | None, typer.Option("--result", help="Only this result (default: any).")
    ],
    "tenant": Annotated[
        str | None, typer.Option("--tenant", help="Only this tenant (default: any).")
    ],
    "since": Annotated[
        str | None,
        typer.Option(
            "--since", help="From this date or time, 2026-04-10 or ...Z (default: the first event)."
        ),
    ],
    "until": Annotated[
        str | None, typer.Option("--until", help="Up to this date or time (default: now).")
    ],
}


def with_filter_options(command: Callable[..., None]) -> Callable[..., None]:
    """The eight filter options (:data:`FILTER_OPTIONS`) added to ``command``, which receives
    them as one ``filters: FilterText`` keyword argument instead."""
    signature = inspect.signature(command)
    kept = [p for p in signature.parameters.values() if p.name != "filters"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=option)
        for name, option in FILTER_OPTIONS.items()
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        text = FilterText(**{name: kwargs.pop(name) for name in FILTER_NAMES})
        command(*args, filters=text, **kwargs)

    hints = typing.get_type_hints(command, include_extras=True)
    hints.pop("filters", None)
    typed = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in kept]
    wrapper.__annotations__ = {**hints, **FILTER_OPTIONS}
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for p in typed if p.kind is not p.KEYWORD_ONLY]
        + added
        + [p for p in typed if p.kind is p.KEYWORD_ONLY]
    )
    return wrapper


@contextmanager
def _reader(ctx: typer.Context) -> Iterator[tuple[TrailReader, Callable[[Any], object]]]:
    from readiness.audit.query.service import TrailReader
    from readiness.audit.trail import open_ledger, publish
    from readiness.storage import open_stores

    cli = state(ctx)
    settings = cli.settings
    stores = open_stores(settings)
    try:
        ledger = open_ledger(settings, stores.audit, cli.clock)
        try:
            reader = TrailReader(
                stores.audit,
                ledger,
                cli.clock,
                actor=cli.actor,
                source="cli",
                archive_root=archive_root(settings),
            )
            yield reader, lambda stored: publish(settings, stored, ledger.verifier)
        finally:
            ledger.close()
    finally:
        stores.dispose()


def _line(hit: Any) -> str:
    e = hit.event
    return (
        f"{hit.leaf_index:>8}  {e['occurred_at']:<27} {e['actor_id']:<20} {e['action']:<28} "
        f"{e['target_type']}/{e['target_id']}  {e['result']}"
    )


@with_filter_options
def query_cmd(
    ctx: typer.Context,
    *,
    filters: FilterText,
    limit: Annotated[int, typer.Option(help="Events per page (1 to 1000).")] = 50,
    cursor: Annotated[
        str | None,
        typer.Option(help="The next_cursor of the previous page (default: the newest page)."),
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Search the trail, newest first, one page at a time (the read is audited)."""
    checked = filters.filters(limit=limit, cursor=cursor)
    with _reader(ctx) as (reader, _):
        page = reader.query(checked)
    if fmt is Format.JSON:
        emit_json(
            {
                "events": [{"leaf_index": h.leaf_index, **h.event} for h in page.hits],
                "next_cursor": page.next_cursor,
            }
        )
        return
    for hit in page.hits:
        console.print(_line(hit), markup=False)
    console.print(
        plural(len(page.hits), "event")
        + (f"; next page: --cursor {page.next_cursor}" if page.next_cursor else ""),
        markup=False,
    )


def timeline_cmd(
    ctx: typer.Context,
    target_type: Annotated[str, typer.Argument(metavar="TYPE", help="The target_type.")],
    target_id: Annotated[str, typer.Argument(metavar="ID", help="The target_id.")],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Also the target's state at this date or time (default: not shown)."
        ),
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Every event of one target, oldest first; with --as-of, its state then (audited)."""
    from readiness.audit.query.core import make_filters, parse_time

    make_filters(target_type=target_type, target_id=target_id)  # the same checks as query
    at = parse_time(as_of, "as-of") if as_of is not None else None
    with _reader(ctx) as (reader, _):
        found = reader.timeline(target_type, target_id, as_of=at)
    if fmt is Format.JSON:
        emit_json(
            {
                "target_type": target_type,
                "target_id": target_id,
                "events": [{"leaf_index": h.leaf_index, **h.event} for h in found.hits],
                "truncated": found.truncated,
                "as_of": found.as_of.as_dict() if found.as_of is not None else None,
            }
        )
        return
    for hit in found.hits:
        console.print(_line(hit), markup=False)
    console.print(f"{plural(len(found.hits), 'event')} of {target_type}/{target_id}", markup=False)
    if found.as_of is not None:
        state_then = found.as_of
        if state_then.exists:
            console.print(f"as of {as_of}: {state_then.state}", markup=False)
        else:
            console.print(f"as of {as_of}: does not exist", markup=False)


@with_filter_options
def export_cmd(
    ctx: typer.Context,
    *,
    filters: FilterText,
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    export_format: Annotated[
        str, typer.Option("--format", "-f", help="jsonl, csv or parquet.")
    ] = "jsonl",
    limit: Annotated[int, typer.Option(help="At most this many events.")] = 1_000_000,
) -> None:
    """Export matching events with inclusion proofs against a signed checkpoint (audited)."""
    from readiness.audit.query.export import check_format, write_export
    from readiness.audit.query.service import MAX_EXPORT

    check_format(export_format)
    checked = filters.filters(limit=limit, max_limit=MAX_EXPORT)
    if not out.parent.is_dir():
        from readiness.errors import InputError

        raise InputError(f"--out: the folder {out.parent} does not exist")
    with _reader(ctx) as (reader, publish):
        prepared = reader.export(checked, export_format, on_checkpoint=publish)
        written = write_export(
            out, export_format, prepared.checkpoint.note, prepared.header, prepared.rows()
        )
    console.print(
        f"exported {plural(prepared.count, 'event')} proved against tree size "
        f"{prepared.checkpoint.size} to {', '.join(str(p) for p in written)}",
        markup=False,
    )


def verify_export_cmd(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An export file.")],
    public_key: Annotated[
        str,
        typer.Option(
            "--public-key",
            help="The log's verifier key (name+id+base64), or a file holding it (log.vkey).",
        ),
    ],
    export_format: Annotated[
        str | None, typer.Option("--format", "-f", help="jsonl, csv or parquet (default: suffix).")
    ] = None,
) -> None:
    """Check an export offline: the checkpoint's signature and every row's inclusion proof."""
    from readiness.audit.query.export import verify_export_file
    from readiness.console import print_error
    from readiness.errors import LedgerError

    fmt = export_format or file.suffix.lstrip(".")
    key_path = Path(public_key)
    vkey = (
        key_path.read_text(encoding="ascii").strip()
        if "+" not in public_key and key_path.is_file()
        else public_key
    )
    try:
        check = verify_export_file(file, fmt, vkey)
    except LedgerError as exc:
        print_error(f"{file}: NOT verified: {exc.message}")
        raise typer.Exit(1) from exc
    console.print(
        f"{file}: {plural(check.rows, 'event')} verified against the checkpoint of {check.origin} "
        f"(tree size {check.tree_size})",
        markup=False,
    )


def reindex_cmd(
    ctx: typer.Context,
    full: Annotated[bool, typer.Option("--full", help="Rebuild from leaf 0.")] = False,
) -> None:
    """Catch the query index up with the ledger (it is derived data; verify never reads it)."""
    from readiness.audit.query import index
    from readiness.storage import open_stores

    cli = state(ctx)
    stores = open_stores(cli.settings)
    try:
        log = cli.settings.audit_origin
        read = index.reindex(stores.audit, log) if full else index.catch_up(stores.audit, log)
    finally:
        stores.dispose()
    console.print(f"indexed {read} leaves of {log}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the query commands to ``readiness audit``."""
    app.command("query")(query_cmd)
    app.command("timeline")(timeline_cmd)
    app.command("export")(export_cmd)
    app.command("verify-export")(verify_export_cmd)
    app.command("reindex")(reindex_cmd)
