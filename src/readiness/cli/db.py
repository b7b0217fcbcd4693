"""``readiness db``: apply and inspect our own schema history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from readiness.console import Format, FormatOption, console, emit_json, err_console, state

app = typer.Typer(no_args_is_help=True, help="Database schema: upgrade, current revision.")

if TYPE_CHECKING:
    from readiness.config import Settings

KINDS = ("state", "audit")


def vault_databases(settings: Settings) -> dict[str, str]:
    """The identity vault's databases this project has (``vault``, and ``security_log`` when
    ``audit.privacy.security_log_url`` names another): a configured ``vault_url``, or the
    embedded vault file once the vault was first used. A project that never used the vault
    gets none (``db upgrade`` does not create a vault and its key)."""
    from readiness.storage.engine import sqlite_path

    found: dict[str, str] = {}
    url = settings.resolved_vault_url
    path = sqlite_path(url)
    if settings.vault_url is not None or (path is not None and path.is_file()):
        found["vault"] = url
    log_url = settings.audit.privacy.security_log_url
    if log_url is not None and log_url != url:
        found["security_log"] = log_url
    return found


def _upgrade_vaults(settings: Settings) -> dict[str, str | None]:
    from readiness.storage.engine import create_engine_for
    from readiness.storage.stores import ensure_schema

    done: dict[str, str | None] = {}
    for name, url in vault_databases(settings).items():
        engine = create_engine_for(url)
        try:
            ensure_schema("vault", engine, url, migrate=True)
        finally:
            engine.dispose()
        done[name] = _revision_text("vault")
    return done


@app.command("upgrade")
def upgrade_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Upgrade the state and audit databases, and the identity vault's when the project has
    one, to the newest schema (creates the state and audit databases if needed)."""
    from readiness.storage import open_stores

    settings = state(ctx).settings
    stores = open_stores(settings, upgrade=True)
    try:
        from readiness.projects.service import ProjectService

        hint = ProjectService(stores=stores, clock=state(ctx).clock).legacy_hint(settings.project)
    finally:
        stores.dispose()
    revisions = {kind: _revision_text(kind) for kind in KINDS}
    revisions.update(_upgrade_vaults(settings))
    if hint:
        err_console.print(f"hint: {hint}", markup=False)
    if fmt is Format.JSON:
        emit_json(revisions)
    else:
        text = f"state database at {revisions['state']}, audit database at {revisions['audit']}"
        for name in ("vault", "security_log"):
            if name in revisions:
                text += f", {name.replace('_', ' ')} database at {revisions[name]}"
        console.print(text)


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
    from readiness.storage.engine import create_engine_for

    urls = {"state": settings.resolved_state_url, "audit": settings.resolved_audit_url}
    vaults = vault_databases(settings)
    urls.update(vaults)
    stores = open_stores(settings, upgrade=False, create=False)
    engines = [("state", "state", stores.state), ("audit", "audit", stores.audit)]
    info: dict[str, dict[str, str | None]] = {}
    try:
        for name, url in vaults.items():
            engines.append((name, "vault", create_engine_for(url, create=False)))
        for name, kind, engine in engines:
            try:
                with engine.connect() as conn:
                    current = current_revisions(conn, kind)
            except DBAPIError as exc:
                raise storage_error(name.replace("_", " "), urls[name], exc) from exc
            info[name] = {
                "current": ", ".join(current) or None,
                "head": ", ".join(read_history(kind).heads) or None,
            }
    finally:
        stores.dispose()
        for _, _kind, engine in engines[2:]:
            engine.dispose()
    if fmt is Format.JSON:
        emit_json(info)
        return
    for kind, rev in info.items():
        mark = "up to date" if rev["current"] == rev["head"] else f"behind (head {rev['head']})"
        console.print(f"{kind.replace('_', ' ')}: {rev['current'] or 'empty'} — {mark}")
