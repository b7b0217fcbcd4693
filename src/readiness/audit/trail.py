"""The application audit trail on the ledger: append events, checkpoint, prove, verify.

Checkpoints are signed by the log's key (``audit.key_file``), stored in the audit database and
also written **outside** it, into ``audit.checkpoint_dir``: one file per tree head
(``<size>-<root prefix>.note``, never overwritten), ``latest``, and the log's public key
``log.vkey`` (written once). :func:`verify_trail` checks the stored log from its entries and
then every external checkpoint against it, so truncation, rollback and rewriting after a
checkpoint are caught even when the whole audit database was replaced.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from readiness._common.clock import Clock, SystemClock
from readiness.audit.events import entry_bytes
from readiness.audit.outbox.check import check_relayed
from readiness.audit.outbox.relay import relay
from readiness.audit.outbox.store import audit_outbox, waiting
from readiness.audit.query.index import index_appended
from readiness.audit.retention.files import archive_root
from readiness.audit.retention.manifest import check_archives
from readiness.audit.service import verify_chain
from readiness.audit.tables import audit_events
from readiness.errors import LedgerError, StorageError
from readiness.ledger import store
from readiness.ledger.core.checkpoint import Checkpoint, open_checkpoint
from readiness.ledger.core.merkle import (
    EMPTY_ROOT,
    assemble,
    consistency_plan,
    plan_nodes,
    verify_consistency,
)
from readiness.ledger.core.note import Ed25519Signer, Ed25519Verifier
from readiness.ledger.keys import load_or_create_signer
from readiness.ledger.service import LedgerService
from readiness.ledger.verify import verify_log
from readiness.storage.engine import MissingDatabaseError, create_engine_for, sqlite_path
from readiness.storage.files import create_private_file, make_private_dir
from readiness.storage.stores import describe, ensure_schema

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from readiness.config import Settings
    from readiness.ledger.store import StoredCheckpoint

_log = logging.getLogger(__name__)
LATEST = "latest"
VKEY_FILE = "log.vkey"


def open_ledger(settings: Settings, engine: Engine, clock: Clock) -> LedgerService:
    """The audit log's service, its signing key loaded (or created, 0600) from the key file."""
    signer = load_or_create_signer(settings.path(settings.audit.key_file), settings.audit_origin)
    return LedgerService(engine, clock, signer, settings.audit_origin)


def append_events(
    ledger: LedgerService, engine: Engine, events: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Append validated events to the log, then index them for queries; their leaf indices.

    The append is what counts: once it returned, the events are durable. Indexing them is
    derived work; when it fails, the next query catches up from the ledger (and says so in the
    log), so a failed index write never reports a durable append as failed.
    """
    indices = ledger.append([entry_bytes(event) for event in events])
    try:
        index_appended(engine, ledger.origin, list(zip(indices, events, strict=True)))
    except SQLAlchemyError as exc:
        _log.warning("audit index not updated after append (caught up later): %s", exc)
    return indices


def bulk_append_events(
    ledger: LedgerService, engine: Engine, clock: Clock, events: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Append validated events in ONE transaction by bulk import
    (:func:`readiness.ledger.bulk.bulk_append`: a binary ``COPY`` on PostgreSQL), then index
    them as :func:`append_events` does; their leaf indices."""
    from readiness.ledger.bulk import bulk_append

    done = bulk_append(engine, ledger.origin, clock, (entry_bytes(event) for event in events))
    indices = list(range(done.first, done.size))
    try:
        index_appended(engine, ledger.origin, list(zip(indices, events, strict=True)))
    except SQLAlchemyError as exc:
        _log.warning("audit index not updated after append (caught up later): %s", exc)
    return indices


def checkpoint_dir(settings: Settings) -> Path:
    return settings.path(settings.audit.checkpoint_dir)


def publish(settings: Settings, stored: StoredCheckpoint, verifier: Ed25519Verifier) -> Path:
    """Write ``stored`` (and the public key, once) to the checkpoint directory; its path."""
    folder = checkpoint_dir(settings)
    make_private_dir(folder)
    create_private_file(folder / VKEY_FILE, (verifier.vkey + "\n").encode())
    path = folder / f"{stored.size}-{stored.root.hex()[:16]}.note"
    create_private_file(path, stored.note.encode())  # the same tree head: the same note
    temporary = folder / f".{LATEST}.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    create_private_file(temporary, stored.note.encode())
    temporary.replace(folder / LATEST)
    return path


def external_checkpoints(settings: Settings) -> list[tuple[str, str]]:
    """``(file name, text)`` of every checkpoint file, ``latest`` last."""
    folder = checkpoint_dir(settings)
    if not folder.is_dir():
        return []
    names = sorted(p.name for p in folder.glob("*.note"))
    if (folder / LATEST).is_file():
        names.append(LATEST)
    return [(name, (folder / name).read_text(encoding="utf-8", errors="replace")) for name in names]


@dataclass
class TrailReport:
    """What ``readiness audit verify`` found: verified only when ``errors`` is empty."""

    size: int = 0
    checkpoints: int = 0
    stored_checkpoints: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, object]:
        return {
            "verified": self.verified,
            "size": self.size,
            "checkpoints": self.checkpoints,
            "stored_checkpoints": self.stored_checkpoints,
            "errors": list(self.errors),
            # Only when there are some: a verified trail's JSON keeps its documented keys.
            **({"warnings": list(self.warnings)} if self.warnings else {}),
        }


def _verifier(settings: Settings, report: TrailReport) -> Ed25519Verifier | None:
    """The log's public key: ``log.vkey`` beside the checkpoints, checked against the key file."""
    vkey_path = checkpoint_dir(settings) / VKEY_FILE
    key_path = settings.path(settings.audit.key_file)
    external: Ed25519Verifier | None = None
    if vkey_path.is_file():
        try:
            external = Ed25519Verifier.from_vkey(vkey_path.read_text(encoding="ascii").strip())
        except (LedgerError, UnicodeDecodeError) as exc:
            report.errors.append(f"{vkey_path}: not a verifier key: {exc}")
    local: Ed25519Verifier | None = None
    if key_path.is_file():
        try:
            text = key_path.read_text(encoding="ascii").strip()
            local = Ed25519Signer.from_skey(text).verifier
        except (LedgerError, UnicodeDecodeError) as exc:
            report.errors.append(f"{key_path}: not a signing key: {exc}")
    if external is not None and local is not None and external.vkey != local.vkey:
        report.errors.append(
            f"the key file {key_path} is not the key of {vkey_path}: the log's key was replaced"
        )
    return external or local


OUTBOX_GRACE = timedelta(minutes=1)


def relay_outbox(settings: Settings, clock: Clock, errors: list[str] | None = None) -> list[str]:
    """Move the platform events waiting in the outbox into the audit log; a warning for each
    problem, and for rows older than :data:`OUTBOX_GRACE` still waiting afterwards. With
    ``errors``, also check that every relayed row's leaf holds its event (errors added there)."""
    try:
        state = create_engine_for(settings.resolved_state_url, create=False)
    except MissingDatabaseError:
        return []
    warnings: list[str] = []
    try:
        with state.connect() as conn:
            if not sa.inspect(conn).has_table(audit_outbox.name):
                return []  # a state database from before the outbox: nothing waits in it
        try:
            audit = create_engine_for(settings.resolved_audit_url, create=False)
        except MissingDatabaseError as exc:
            warnings.append(f"the audit database {exc.path} is missing: the outbox was not relayed")
        else:
            try:
                relay(state, audit, settings.audit_origin, clock)
            except (DBAPIError, LedgerError) as exc:
                reason = " ".join(str(exc).split())[:200]
                warnings.append(f"the outbox could not be relayed into the audit log: {reason}")
            try:
                if errors is not None:
                    errors.extend(check_relayed(state, audit, settings.audit_origin))
            except DBAPIError as exc:  # an audit database without the ledger: verify says so
                _log.debug("outbox check skipped: %s", exc)
            finally:
                audit.dispose()
        with state.connect() as conn:
            count, oldest = waiting(conn, older_than=clock.now() - OUTBOX_GRACE)
        if count:
            warnings.append(
                f"{count} platform events wait in the state database's outbox (the oldest "
                f"since {oldest:%Y-%m-%d %H:%M:%S}); they are not in the audit log yet"
            )
    finally:
        state.dispose()
    return warnings


def state_activity(settings: Settings) -> tuple[int, int] | None:
    """``(runs, tokens)`` recorded in the state database; None when it does not exist."""
    try:
        engine = create_engine_for(settings.resolved_state_url, create=False)
    except MissingDatabaseError:
        return None
    try:
        counts = []
        # By name: the tables belong to features above this layer (testhealth, auth).
        for table in ("th_runs", "rd_tokens"):
            try:
                with engine.connect() as conn:
                    counts.append(int(conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0))  # noqa: S608
            except DBAPIError:
                counts.append(0)
        return counts[0], counts[1]
    finally:
        engine.dispose()


def _no_audit_data(
    report: TrailReport, where: str, external: Sequence[tuple[str, str]], settings: Settings
) -> bool:
    """Add the error of an audit log with no data; whether there was reason to expect some."""
    activity = state_activity(settings)
    external = [(name, text) for name, text in external if _claimed_size(text) != 0]
    if external:
        report.errors.append(
            f"{where}, but {len(external)} checkpoint files in {checkpoint_dir(settings)} name "
            "a log with events: it was deleted, replaced or rolled back"
        )
        return True
    if activity and any(activity):
        report.errors.append(
            f"{where}, but the state database records {activity[0]} runs and {activity[1]} "
            "tokens: the audit trail of that activity is gone"
        )
        return True
    return False


def _claimed_size(text: str) -> int | None:
    """The tree size a checkpoint file names (its second line), unchecked; None if unreadable."""
    lines = text.split("\n", 2)
    return int(lines[1]) if len(lines) > 2 and lines[1].isdigit() else None


def verify_trail(settings: Settings, clock: Clock | None = None) -> TrailReport:
    """Verify the stored log and every external checkpoint against it (see the module), after
    relaying the platform events waiting in the state database's outbox."""
    report = TrailReport()
    report.warnings.extend(relay_outbox(settings, clock or SystemClock(), report.errors))
    external = external_checkpoints(settings)
    report.checkpoints = len(external)
    verifier = _verifier(settings, report)
    url = settings.resolved_audit_url
    try:
        engine = create_engine_for(url, create=False)
    except MissingDatabaseError as exc:
        if not _no_audit_data(
            report, f"the audit database {exc.path} is missing", external, settings
        ):
            state_file = sqlite_path(settings.resolved_state_url)
            if state_activity(settings) is None and state_file is not None:
                raise MissingDatabaseError(state_file) from exc  # nothing here at all
        return report
    try:
        try:
            ensure_schema("audit", engine, url, migrate=False)
        except StorageError as exc:
            if not _no_audit_data(report, exc.message.split(";")[0], external, settings):
                raise
            return report
        _verify_stored(report, settings, engine, external, verifier)
    finally:
        engine.dispose()
    return report


def _verify_stored(
    report: TrailReport,
    settings: Settings,
    engine: Engine,
    external: Sequence[tuple[str, str]],
    verifier: Ed25519Verifier | None,
) -> None:
    origin = settings.audit_origin
    with engine.connect() as conn:
        stored_count = len(store.list_checkpoints(conn, origin))
        platform_events = int(
            conn.scalar(sa.select(sa.func.count()).select_from(audit_events)) or 0
        )
    if verifier is None:
        if stored_count or external:
            report.errors.append(
                f"no public key to check checkpoints with: neither {settings.audit.key_file} "
                f"nor {checkpoint_dir(settings) / VKEY_FILE} exists"
            )
        verifier = Ed25519Signer(origin, bytes(32)).verifier  # checks nothing: no checkpoints
    with engine.connect() as conn:  # retention tiers: archived bodies are checked in Parquet
        archives = check_archives(conn, origin, archive_root(settings))
    ledger = verify_log(engine, origin, verifier, archived=archives.archived)
    report.size, report.stored_checkpoints = ledger.size, ledger.checkpoints
    report.errors.extend([*ledger.errors, *archives.errors])
    report.warnings.extend(archives.notes)
    intact, broken_at = verify_chain(engine)
    if not intact:
        report.errors.append(
            "the hash chain of the platform's own events (audit_events) breaks at event "
            f"{broken_at}"
        )
    empty = f"{describe('audit', settings.resolved_audit_url)} is empty"
    if (
        ledger.size == 0
        and platform_events == 0
        and _no_audit_data(report, empty, external, settings)
    ):
        return
    for name, text in external:
        _check_external(report, engine, origin, verifier, name, text, ledger.root)


def _check_external(  # noqa: PLR0917 - one private step of verify_trail
    report: TrailReport,
    engine: Engine,
    origin: str,
    verifier: Ed25519Verifier,
    name: str,
    text: str,
    root: bytes,
) -> None:
    try:
        signed: Checkpoint = open_checkpoint(text, verifier, origin=origin).checkpoint
    except LedgerError as exc:
        report.errors.append(f"checkpoint file {name}: {exc}")
        return
    label = f"checkpoint file {name} (size {signed.size})"
    if signed.size > report.size:
        report.errors.append(
            f"{label}: the audit log holds only {report.size} entries: it was truncated or "
            "rolled back"
        )
    elif signed.size == report.size:
        if signed.root_hash != root:
            report.errors.append(
                f"{label}: the log's root differs: it was rewritten after the checkpoint"
            )
    elif signed.size == 0:
        if signed.root_hash != EMPTY_ROOT:
            report.errors.append(f"{label}: an empty tree with a root that is not empty")
    else:
        try:
            plan = consistency_plan(signed.size, report.size)
            with engine.connect() as conn:
                found = store.fetch_nodes(conn, origin, plan_nodes(plan))
            proof = assemble(plan, lambda level, index: found[(level, index)])
            verify_consistency(signed.size, report.size, signed.root_hash, root, proof)
        except (LedgerError, KeyError) as exc:
            report.errors.append(
                f"{label}: the log is not consistent with it: it was rewritten after the "
                f"checkpoint ({exc})"
            )
