"""``readiness audit``: read and verify the audit trail of the local store."""

from __future__ import annotations

from typing import Annotated

import typer

from readiness.console import Format, FormatOption, console, emit_json, state

app = typer.Typer(no_args_is_help=True, help="The audit trail: events, chain verification.")


@app.command("events")
def events_cmd(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="How many events, newest first.")] = 50,
    action: Annotated[
        str | None, typer.Option(help="Only actions starting with this (default: every action).")
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Who did what, when (newest first)."""
    from dataclasses import asdict

    from readiness.audit.service import list_events
    from readiness.storage import open_stores

    stores = open_stores(state(ctx).settings, create=False)
    try:
        found = list_events(stores.audit, limit=limit, action_prefix=action)
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json([asdict(e) for e in found])
        return
    for e in found:
        console.print(
            f"{e.seq:>6}  {e.at.isoformat(timespec='seconds')}  {e.actor:<16} {e.action:<28} "
            f"{e.target}",
            markup=False,
        )


@app.command("verify")
def verify_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Recompute the hash chain; exit 1 when any event was altered or removed."""
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
