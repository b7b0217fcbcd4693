"""``readiness sessions``: list and revoke dashboard sessions (stored server-side, audited)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from readiness.console import Format, FormatOption, console, emit_json, state

if TYPE_CHECKING:
    from readiness.auth.sessions import SessionInfo, SessionService
    from readiness.storage import Stores

app = typer.Typer(no_args_is_help=True, help="Dashboard sessions: list, revoke.")


def _service(ctx: typer.Context) -> tuple[SessionService, Stores]:
    from readiness.auth.sessions import SessionService
    from readiness.storage import open_stores

    st = state(ctx)
    stores = open_stores(st.settings, create=False)
    service = SessionService(stores=stores, clock=st.clock, actor=st.actor)
    return service, stores


def _view(info: SessionInfo) -> dict[str, object]:
    return {
        "id": info.id,
        "token_id": info.token_id,
        "token_name": info.token_name,
        "created_at": info.created_at,
        "expires_at": info.expires_at,
        "last_seen_at": info.last_seen_at,
        "ended_at": info.ended_at,
        "ended_by": info.ended_by,
        "end_reason": info.end_reason,
        "client": info.client,
        "address": info.address,
    }


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    include_ended: Annotated[
        bool, typer.Option("--all", help="Also list sessions that ended or expired.")
    ] = False,
    fmt: Format = FormatOption,
) -> None:
    """List dashboard sessions, newest first (active ones unless --all)."""
    service, stores = _service(ctx)
    try:
        found = service.list(include_ended=include_ended)
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json([_view(s) for s in found])
        return
    if not found:
        console.print("no active sessions" if not include_ended else "no sessions")
    now = state(ctx).clock.now()
    for s in found:
        status = "active" if s.is_active(now) else (s.end_reason or "expired")
        console.print(
            f"{s.id:>4}  {s.token_name}#{s.token_id}  {status:<10} "
            f"since {s.created_at:%Y-%m-%d %H:%M}  seen {s.last_seen_at:%Y-%m-%d %H:%M}  "
            f"{s.address}  {s.client}",
            markup=False,
        )


@app.command("revoke")
def revoke_cmd(
    ctx: typer.Context,
    session_id: Annotated[int, typer.Argument(metavar="ID", help="The id from `sessions list`.")],
    fmt: Format = FormatOption,
) -> None:
    """End a session now: its cookie (and every copy of it) stops working."""
    service, stores = _service(ctx)
    try:
        info = service.revoke(session_id)
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json(_view(info))
        return
    console.print(f"session {info.id} ({info.token_name}#{info.token_id}) ended", markup=False)
