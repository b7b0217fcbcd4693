"""``readiness audit``: application events on the ledger (append, checkpoint, prove, verify)
and the platform's own events (``events``, ``verify-chain``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from readiness._common.words import plural
from readiness.audittrail.cli_io import open_trail, read_input
from readiness.console import Format, FormatOption, console, emit_json, state

if TYPE_CHECKING:
    pass

app = typer.Typer(
    no_args_is_help=True,
    help="The audit trail: append, checkpoint, prove, verify; the platform's own events.",
)


@app.command("events")
def events_cmd(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="How many events, newest first.")] = 50,
    action: Annotated[
        str | None, typer.Option(help="Only actions starting with this (default: every action).")
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """The platform's own events in the ledger: who did what, when (newest first)."""
    from dataclasses import asdict

    from readiness.audit.service import list_events
    from readiness.storage import open_stores

    stores = open_stores(state(ctx).settings, create=False)
    try:
        found = list_events(stores, limit=limit, action_prefix=action, clock=state(ctx).clock)
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json([asdict(e) for e in found])
        return
    for e in found:
        console.print(
            f"{e.index:>6}  {e.occurred_at.isoformat(timespec='seconds')}  {e.actor_id:<16} "
            f"{e.action:<28} {e.target}  {e.result}",
            markup=False,
        )


@app.command("verify-chain")
def verify_chain_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Recompute the old hash chain of the platform's events (before they moved into the
    ledger); exit 1 when one was altered."""
    from readiness.audit.service import verify_chain
    from readiness.storage import open_stores

    stores = open_stores(state(ctx).settings, create=False)
    try:
        intact, broken_at = verify_chain(stores.audit)
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json({"intact": intact, "broken_at": broken_at})
    elif intact:
        console.print("audit chain intact")
    else:
        console.print(f"audit chain BROKEN at event {broken_at}")
    raise typer.Exit(0 if intact else 1)


def _ranges(indices: list[int]) -> str:
    parts: list[str] = []
    start = prev = indices[0]
    for index in [*indices[1:], None]:
        if index is not None and index == prev + 1:
            prev = index
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if index is not None:
            start = prev = index
    return ", ".join(parts)


@app.command("append")
def append_cmd(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="[FILE|-]", help="Events as JSON lines (default: stdin).")
    ] = "-",
    fmt: Format = FormatOption,
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk",
            help="Import in one transaction by COPY (PostgreSQL), for large files "
            "(default: through the sequencer).",
        ),
    ] = False,
) -> None:
    """Append application events (one JSON object a line) to the ledger, all or none."""
    from readiness.audit.events import parse_lines, refuse_platform_source
    from readiness.audit.trail import append_events, bulk_append_events

    events = parse_lines(read_input(source))
    refuse_platform_source(events)
    _, stores, ledger = open_trail(ctx)
    try:
        if bulk:
            indices = bulk_append_events(ledger, stores.audit, state(ctx).clock, events)
        else:
            indices = append_events(ledger, stores.audit, events)
        size = ledger.size()
    finally:
        ledger.close()
        stores.dispose()
    if fmt is Format.JSON:
        emit_json({"appended": len(indices), "first_index": min(indices), "size": size})
        return
    console.print(
        f"appended {plural(len(indices), 'event')} at {_ranges(indices)} (log size {size})",
        markup=False,
    )


@app.command("checkpoint")
def checkpoint_cmd(
    ctx: typer.Context,
    fmt: Format = FormatOption,
    publish_: Annotated[
        bool, typer.Option("--publish", help="Collect cosignatures, publish (audit.publish).")
    ] = False,
) -> None:
    """Sign the current tree head, store it, and write it to the checkpoint directory."""
    from readiness.audit.trail import publish
    from readiness.audittrail.cli_witness import publish_stored

    settings, stores, ledger = open_trail(ctx)
    try:
        stored = ledger.checkpoint()
        path = publish(settings, stored, ledger.verifier)
        if settings.audit.tsa_url:  # RFC 3161 anchoring (docs/audit-server.md)
            from readiness.audit.verification.anchoring import timestamp_checkpoint

            timestamp_checkpoint(settings, stores.audit, stored, at=stored.created_at)
        published = publish_stored(settings, stores, ledger, stored) if publish_ else None
    finally:
        ledger.close()
        stores.dispose()
    if fmt is Format.JSON:
        emit_json(
            {
                "note": stored.note,
                "public_key": ledger.verifier.vkey,
                "size": stored.size,
                "file": str(path),
                **({"publication": published.as_dict()} if published else {}),
            }
        )
        raise typer.Exit(1 if published and published.errors else 0)
    sys.stdout.write(stored.note)
    console.print(f"size {stored.size}; written to {path}", markup=False)
    console.print(f"public key: {ledger.verifier.vkey}", markup=False)
    if published is not None:  # witnesses and publication (docs/audit-witness.md)
        cli_witness.print_publication(published)
        raise typer.Exit(1 if published.errors else 0)


@app.command("prove")
def prove_cmd(
    ctx: typer.Context,
    index: Annotated[int, typer.Argument(metavar="EVENT_INDEX", min=0, help="The leaf index.")],
    fmt: Format = FormatOption,
) -> None:
    """The inclusion proof of one event against the latest checkpoint that covers it."""
    from readiness.console import print_error

    _, stores, ledger = open_trail(ctx)
    try:
        covering = [c for c in ledger.checkpoints() if c.size > index]
        if not covering:
            print_error(
                f"no checkpoint covers event {index} yet (the log holds {ledger.size()} events); "
                "run `readiness audit checkpoint` first"
            )
            raise typer.Exit(1)
        latest = covering[-1]
        proof = ledger.prove_inclusion(index, latest.size)
    finally:
        ledger.close()
        stores.dispose()
    path = [h.hex() for h in proof.path]
    result = {
        "leaf_index": proof.index,
        "tree_size": proof.size,
        "leaf_hash": proof.leaf_hash.hex(),
        "path": path,
        "checkpoint": latest.note,
    }
    if fmt is Format.JSON:
        emit_json(result)
        return
    console.print(
        f"event {index} is leaf {proof.index} of the tree of size {proof.size}", markup=False
    )
    console.print(f"leaf hash {result['leaf_hash']}", markup=False)
    for step in path:
        console.print(f"  {step}", markup=False)
    sys.stdout.write(latest.note)


@app.command("verify")
def verify_cmd(
    ctx: typer.Context,
    fmt: Format = FormatOption,
    record: Annotated[
        bool, typer.Option("--record", help="Store the run (shown at /audit, read by gates).")
    ] = False,
    tiles: Annotated[
        Path | None,
        typer.Option(help="Check a tile export offline instead (default: the database)."),
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option(help="With --tiles: the log's verifier key or its file (default: none)."),
    ] = None,
    witness_key: Annotated[
        list[str] | None,
        typer.Option(help="With --tiles: a witness key that must cosign (default: none)."),
    ] = None,
) -> None:
    """Recompute the ledger from its entries and check every checkpoint, stored and external,
    and their RFC 3161 timestamps; exit 1 when anything was altered, removed or rolled back."""
    from readiness.audittrail.cli_verification import run_verify

    if tiles is not None or public_key is not None:  # offline (docs/audit-witness.md)
        cli_witness.verify_tiles_option(tiles, public_key, witness_key or [], fmt)
    report = run_verify(ctx, record=record)
    if fmt is Format.JSON:
        emit_json(report.as_dict())
        raise typer.Exit(0 if report.verified else 1)
    for warning in report.warnings:
        console.print(f"warning: {warning}", markup=False)
    if report.verified:
        console.print(
            f"audit trail verified: {plural(report.size, 'event')}, "
            f"{plural(report.checkpoints, 'external checkpoint')}, "
            f"{report.stored_checkpoints} stored",
            markup=False,
        )
    else:
        console.print(
            f"audit trail NOT verified ({plural(len(report.errors), 'error')}):", markup=False
        )
        for error in report.errors:
            console.print(f"  {error}", markup=False)
    raise typer.Exit(0 if report.verified else 1)


# Each part of the trail adds its commands (privacy, pgaudit, capture, query, verification).
from readiness.audittrail import (  # noqa: E402 - after app exists
    cli_capture,
    cli_pgaudit,
    cli_privacy,
    cli_query,
    cli_retention,
    cli_verification,
    cli_witness,
)

for _part in (
    cli_privacy,
    cli_pgaudit,
    cli_capture,
    cli_query,
    cli_verification,
    cli_witness,
    cli_retention,
):
    _part.register(app)
