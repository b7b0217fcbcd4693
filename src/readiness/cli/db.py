"""``readiness db``: apply and inspect our own schema history."""

from __future__ import annotations

import typer

from readiness.console import Format, FormatOption, console, emit_json, err_console, state
from readiness.projects.service import ProjectService
from readiness.storage import open_stores
from readiness.storage.migrate import current_revision, head_revision, upgrade_all
from readiness.storage.stores import adoptable_project

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Upgrade the state and audit databases to the newest schema."""
    settings = state(ctx).settings
    stores = open_stores(settings, upgrade=False)
    try:
        upgrade_all(stores, adopt_project=adoptable_project(settings))
        revisions = {
            "state": current_revision("state", stores.state),
            "audit": current_revision("audit", stores.audit),
        }
        hint = ProjectService(stores=stores, clock=state(ctx).clock).legacy_hint(settings.project)
    finally:
        stores.dispose()
    if hint:
        err_console.print(f"hint: {hint}", markup=False)
    if fmt is Format.JSON:
        emit_json(revisions)
    else:
        console.print(
            f"state database at {revisions['state']}, audit database at {revisions['audit']}"
        )


@app.command("current")
def current_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Show the schema revision of each database and whether it is the newest."""
    settings = state(ctx).settings
    stores = open_stores(settings, upgrade=False)
    try:
        info = {
            kind: {
                "current": current_revision(kind, engine),
                "head": head_revision(kind),
            }
            for kind, engine in (("state", stores.state), ("audit", stores.audit))
        }
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json(info)
        return
    for kind, rev in info.items():
        mark = "up to date" if rev["current"] == rev["head"] else f"behind (head {rev['head']})"
        console.print(f"{kind}: {rev['current'] or 'empty'} — {mark}")
