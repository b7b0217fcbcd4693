"""``readiness audit export-tiles`` and the verification behind ``readiness audit verify``
(``--record`` stores the run, as the server's scheduled verification does)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from readiness.console import Format, FormatOption, console, emit_json, state

if TYPE_CHECKING:
    from readiness.audit.trail import TrailReport


def run_verify(ctx: typer.Context, *, record: bool) -> TrailReport:
    """Verify the trail and its stored timestamps; with ``record`` store the run."""
    from readiness.audit.trail import verify_trail
    from readiness.audit.verification.anchoring import verify_timestamps
    from readiness.audit.verification.service import verify_and_record
    from readiness.ledger.witness.publish import settings_quorum_errors
    from readiness.storage import open_stores
    from readiness.storage.engine import MissingDatabaseError, create_engine_for

    settings = state(ctx).settings
    if record:
        stores = open_stores(settings)
        try:
            report, _ = verify_and_record(settings, stores.audit, state(ctx).clock, trigger="cli")
        finally:
            stores.dispose()
        return report
    report = verify_trail(settings, state(ctx).clock)
    if report.stored_checkpoints:
        try:
            engine = create_engine_for(settings.resolved_audit_url, create=False)
        except MissingDatabaseError:
            return report
        try:
            report.errors.extend(verify_timestamps(settings, engine))
            report.errors.extend(settings_quorum_errors(settings, engine))  # audit-witness.md
        finally:
            engine.dispose()
    return report


def export_tiles_cmd(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Where to write the tiles (created).")
    ],
    fmt: Format = FormatOption,
) -> None:
    """Write the log as C2SP tlog-tiles (tiles, entry bundles, checkpoint) for static serving."""
    from readiness.audit.retention.files import archive_root
    from readiness.audit.retention.reader import ArchivedBodies
    from readiness.audit.trail import open_ledger
    from readiness.storage import open_stores

    settings = state(ctx).settings
    stores = open_stores(settings)
    try:
        ledger = open_ledger(settings, stores.audit, state(ctx).clock)
        try:
            with stores.audit.connect() as conn:  # archived bodies come from the Parquet tier
                bodies = ArchivedBodies(conn, ledger.origin, archive_root(settings))
            export = ledger.export_tiles(directory, bodies=bodies)
        finally:
            ledger.close()
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json(
            {
                "size": export.size,
                "tiles": export.tiles,
                "bundles": export.bundles,
                "directory": str(directory),
                "checkpoint": export.checkpoint,
            }
        )
        return
    console.print(
        f"exported {export.size} entries to {directory}: {export.tiles} tiles, "
        f"{export.bundles} entry bundles, checkpoint",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.command("export-tiles")(export_tiles_cmd)
