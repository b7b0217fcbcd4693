"""Witnesses and publication (docs/audit-witness.md): ``readiness audit witnesses``,
``audit publish``, ``audit witness keygen|serve``, and the offline check behind
``audit verify --tiles``; ``audit checkpoint --publish`` calls :func:`publish_stored`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from readiness._common.words import plural
from readiness.console import Format, FormatOption, console, emit_json, state

if TYPE_CHECKING:
    from readiness._common.clock import Clock
    from readiness.config import Settings
    from readiness.ledger.service import LedgerService
    from readiness.ledger.store import StoredCheckpoint
    from readiness.ledger.witness.publish import PublishReport
    from readiness.ledger.witness.server import Witness
    from readiness.storage import Stores

witness_app = typer.Typer(no_args_is_help=True, help="Run a C2SP tlog-witness of your own.")


def print_publication(report: PublishReport) -> None:
    if not report.outcomes and not report.published and not report.errors:
        console.print(
            "nothing to publish to: no [[tool.readiness.audit.witnesses]] and no "
            "[tool.readiness.audit.publish] file or url (docs/audit-witness.md)",
            markup=False,
        )
    for outcome in report.outcomes:
        mark = "ok" if outcome.ok else "FAILED"
        console.print(f"witness {outcome.witness}: {mark}: {outcome.message}", markup=False)
    for where in report.published:
        console.print(f"published to {where}", markup=False)
    for error in report.errors:
        if not error.startswith("witness "):
            console.print(f"publication FAILED: {error}", markup=False)


def publish_stored(
    settings: Settings, stores: Stores, ledger: LedgerService, stored: StoredCheckpoint
) -> PublishReport:
    """Collect cosignatures of ``stored`` and publish it (``audit checkpoint --publish``)."""
    from readiness.ledger.witness.publish import open_http, publish_checkpoint

    with open_http(settings) as http:
        return publish_checkpoint(settings, ledger, stores.audit, stored, http)


def publish_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Collect witness cosignatures of the newest checkpoint and publish it; exit 1 when a
    witness or a target failed (it is retried by the next run or the server's schedule)."""
    from readiness.audittrail.cli_io import open_trail
    from readiness.console import print_error

    settings, stores, ledger = open_trail(ctx)
    try:
        checkpoints = ledger.checkpoints()
        if not checkpoints:
            print_error("no checkpoint to publish; run `readiness audit checkpoint` first")
            raise typer.Exit(2)
        report = publish_stored(settings, stores, ledger, checkpoints[-1])
    finally:
        ledger.close()
        stores.dispose()
    if fmt is Format.JSON:
        emit_json(report.as_dict())
    else:
        console.print(f"checkpoint {report.checkpoint_id} (size {report.size})", markup=False)
        print_publication(report)
    raise typer.Exit(1 if report.errors else 0)


def witnesses_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """The configured witnesses and the largest checkpoint size each has cosigned."""
    from readiness.ledger.witness.publish import witness_rows
    from readiness.storage import open_stores

    settings = state(ctx).settings
    stores = open_stores(settings, create=False)
    try:
        rows = witness_rows(settings, stores.audit)
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json({"quorum": settings.audit.witness_quorum, "witnesses": rows})
        return
    if not rows:
        console.print("no witnesses configured ([[tool.readiness.audit.witnesses]])")
        return
    for row in rows:
        size = row["last_cosigned_size"]
        said = "never cosigned" if size is None else f"last cosigned size {size}"
        console.print(f"{row['name']}  {row['url']}  {said}", markup=False)
    console.print(f"quorum: {settings.audit.witness_quorum}", markup=False)


@witness_app.command("keygen")
def keygen_cmd(
    name: Annotated[str, typer.Option(help="The witness's name, e.g. example.com/witness.")],
    key_file: Annotated[
        Path, typer.Option(help="Where to write the private key (created 0600, never replaced).")
    ],
) -> None:
    """Create a witness signing key; print its verifier key (give it to the log's owners)."""
    from readiness.errors import InputError
    from readiness.ledger.core.cosignature import CosignatureSigner
    from readiness.storage.files import create_private_file

    if key_file.exists():
        raise InputError(f"{key_file} exists; a witness key is never replaced")
    signer = CosignatureSigner(name, os.urandom(32))
    key_file.parent.mkdir(parents=True, exist_ok=True)
    create_private_file(key_file, (signer.skey + "\n").encode())
    sys.stdout.write(signer.verifier.vkey + "\n")


def load_witness(key_file: Path, logs: list[str], state_file: Path, clock: Clock) -> Witness:
    """The :class:`~readiness.ledger.witness.server.Witness` of a key file and trusted logs."""
    from readiness.errors import InputError
    from readiness.ledger.core.cosignature import CosignatureSigner
    from readiness.ledger.core.note import Ed25519Verifier
    from readiness.ledger.witness.server import Witness, WitnessState

    try:
        text = key_file.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the witness key file {key_file}: {exc}") from None
    signer = CosignatureSigner.from_skey(text)
    verifiers = [Ed25519Verifier.from_vkey(_key_text(log)) for log in logs]
    return Witness(signer, verifiers, WitnessState(state_file), clock)


def _key_text(value: str) -> str:
    """A verifier key given inline or as the path of a file holding it."""
    path = Path(value)
    if "+" not in value or path.is_file():
        from readiness.errors import InputError

        try:
            return path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                f"{value} is neither a verifier key nor a readable file: {exc}"
            ) from None
    return value


@witness_app.command("serve")
def serve_cmd(  # noqa: PLR0917 - one CLI option each
    ctx: typer.Context,
    key_file: Annotated[Path, typer.Option(help="The witness key (from `witness keygen`).")],
    log: Annotated[
        list[str], typer.Option(help="A log's verifier key, or a file holding it (repeatable).")
    ],
    state_file: Annotated[
        Path, typer.Option("--state", help="The witness's SQLite file (created).")
    ] = Path("witness.db"),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7380,
) -> None:
    """Serve POST /add-checkpoint: cosign the trusted logs' checkpoints, never a rollback."""
    import uvicorn

    from readiness.ledger.witness.server import create_app

    witness = load_witness(key_file, log, state_file, state(ctx).clock)
    console.print(f"witness {witness.signer.verifier.vkey} on http://{host}:{port}", markup=False)
    uvicorn.run(create_app(witness), host=host, port=port, log_level="warning")


def verify_tiles_option(
    tiles: Path | None, public_key: str | None, witness_keys: list[str], fmt: Format
) -> None:
    """``audit verify --tiles DIR --public-key KEY``: check an export offline; exit 0
    verified, 1 not, 2 when one of the two options is missing."""
    from readiness.errors import InputError
    from readiness.ledger.core.cosignature import CosignatureVerifier
    from readiness.ledger.core.note import Ed25519Verifier
    from readiness.ledger.witness.offline import verify_export

    if tiles is None or public_key is None:
        raise InputError("--tiles DIR and --public-key KEY go together (offline verification)")
    if not tiles.is_dir():
        raise InputError(f"--tiles {tiles}: not a directory")
    log = Ed25519Verifier.from_vkey(_key_text(public_key))
    witnesses = [CosignatureVerifier.from_vkey(_key_text(k)) for k in witness_keys]
    report = verify_export(tiles, log, witnesses)
    if fmt is Format.JSON:
        emit_json(report.as_dict())
    elif report.verified:
        cosigned = f", cosigned by {', '.join(report.cosigned_by)}" if report.cosigned_by else ""
        console.print(
            f"tile export verified: {plural(report.size, 'entry', 'entries')}, checkpoint "
            f"signed by {log.name}{cosigned}",
            markup=False,
        )
    else:
        console.print(
            f"tile export NOT verified ({plural(len(report.errors), 'error')}):", markup=False
        )
        for error in report.errors:
            console.print(f"  {error}", markup=False)
    raise typer.Exit(0 if report.verified else 1)


def register(app: typer.Typer) -> None:
    app.command("witnesses")(witnesses_cmd)
    app.command("publish")(publish_cmd)
    app.add_typer(witness_app, name="witness")
