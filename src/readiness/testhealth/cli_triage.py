"""``readiness tests owner`` and ``readiness tests link``: who owns a test, which issue tracks it.

Both write to the local store or, with ``READINESS_URL`` set, to the server (where the
dashboard shows them on the test page); every change is an audit event.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from readiness.console import Format, FormatOption, console, emit_json, state


def _write(ctx: typer.Context, call: str, test_id: str, value: str) -> dict[str, Any]:
    from readiness.testhealth.client import open_client

    cli = state(ctx)
    client = open_client(cli.settings, cli.clock, actor=cli.actor, create=True)
    try:
        result: dict[str, Any] = getattr(client, call)(test_id, value)
        return result
    finally:
        client.close()


def owner_cmd(
    ctx: typer.Context,
    test_id: Annotated[str, typer.Argument(help="The test, as reported (see `tests known`).")],
    owner: Annotated[str, typer.Argument(help="Its owner: a team (@payments), a person.")],
    fmt: Format = FormatOption,
) -> None:
    """Set or change the owner of a test (new quarantine entries take it)."""
    done = _write(ctx, "set_owner", test_id, owner)
    if fmt is Format.JSON:
        emit_json(done)
    else:
        console.print(f"owner of {done['test_id']} set to {done['owner']}", markup=False)


def link_cmd(
    ctx: typer.Context,
    test_id: Annotated[str, typer.Argument(help="The test, as reported (see `tests known`).")],
    issue: Annotated[
        str, typer.Argument(help="The issue tracking its fix: an http(s) URL or a key (PAY-123).")
    ],
    fmt: Format = FormatOption,
) -> None:
    """Link the issue that tracks the fix of a test."""
    done = _write(ctx, "link_issue", test_id, issue)
    if fmt is Format.JSON:
        emit_json(done)
    else:
        console.print(f"linked {done['issue']} to {done['test_id']}", markup=False)
