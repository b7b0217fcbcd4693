"""``readiness db``: apply and inspect our own schema history."""

from __future__ import annotations

import typer

from readiness.console import Format, FormatOption, console, emit_json, err_console, state

app = typer.Typer(no_args_is_help=True, help="Database schema: upgrade, current revision.")

KINDS = ("state", "audit")


@app.command("upgrade")
def upgrade_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Upgrade the state and audit databases to the newest schema (creates them if needed)."""
    from readiness.storage import open_stores

    settings = state(ctx).settings
    stores = open_stores(settings, upgrade=True)
    try:
        from readiness.projects.service import ProjectService

        hint = ProjectService(stores=stores, clock=state(ctx).clock).legacy_hint(settings.project)
    finally:
        stores.dispose()
    revisions = {kind: _revision_text(kind) for kind in KINDS}
    if hint:
        err_console.print(f"hint: {hint}", markup=False)
    if fmt is Format.JSON:
        emit_json(revisions)
    else:
        console.print(
            f"state database at {revisions['state']}, audit database at {revisions['audit']}"
        )


def _revision_text(kind: str) -> str | None:
    from readiness.storage.schema import read_history

    heads = read_history(kind).heads
    return ", ".join(heads) or None


@app.command("current")
def current_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Show the schema revision of each database and whether it is the newest."""
    from sqlalchemy.exc import DBAPIError

    from readiness.storage import open_stores
    from readiness.storage.schema import current_revisions, read_history
    from readiness.storage.stores import storage_error

    settings = state(ctx).settings
    urls = {"state": settings.resolved_state_url, "audit": settings.resolved_audit_url}
    stores = open_stores(settings, upgrade=False, create=False)
    info: dict[str, dict[str, str | None]] = {}
    try:
        for kind, engine in (("state", stores.state), ("audit", stores.audit)):
            try:
                with engine.connect() as conn:
                    current = current_revisions(conn, kind)
            except DBAPIError as exc:
                raise storage_error(kind, urls[kind], exc) from exc
            info[kind] = {
                "current": ", ".join(current) or None,
                "head": ", ".join(read_history(kind).heads) or None,
            }
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json(info)
        return
    for kind, rev in info.items():
        mark = "up to date" if rev["current"] == rev["head"] else f"behind (head {rev['head']})"
        console.print(f"{kind}: {rev['current'] or 'empty'} — {mark}")
