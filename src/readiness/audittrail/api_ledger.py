"""The ledger over HTTP: batch ingest of application events (writer), proofs and checkpoints
(auditor), checkpoints on demand (admin), and the verification runs (auditor).

Under ``/api/v1/audit``. Every read is itself recorded in the audit trail; a caller refused
for want of the ``auditor`` role is recorded as ``authz_fail``. The latest signed checkpoint for
external monitors is served as text at ``GET /audit/checkpoint`` (any valid token; see
:mod:`readiness.audittrail.pages`).
"""

from __future__ import annotations

import json
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from readiness.audit.events import (
    MAX_EVENTS,
    entry_bytes,
    parse_lines,
    refuse_platform_source,
    validate_event,
)
from readiness.audit.service import append_direct
from readiness.audit.trail import open_ledger
from readiness.audit.verification import store as runs_store
from readiness.audit.verification.anchoring import list_timestamps
from readiness.audit.verification.service import sign_checkpoint
from readiness.audittrail.access import AuditorRecorded
from readiness.errors import InputError, NotFoundError
from readiness.ledger import store
from readiness.ledger.service import LedgerService
from readiness.web.deps import (
    Principal,
    get_clock,
    get_settings,
    get_stores,
    require_admin,
    require_writer,
)

router = APIRouter(prefix="/audit", tags=["audit"])

Writer = Annotated[Principal, Depends(require_writer)]
Admin = Annotated[Principal, Depends(require_admin)]
LeafIndex = Annotated[int, Path(ge=0, le=2**62, description="The event's leaf index.")]
TreeSize = Annotated[int, Query(ge=0, le=2**62, description="A tree size of the log.")]
_LOCK = threading.Lock()

INGEST_BODY = {
    "requestBody": {
        "required": True,
        "description": "Events: a JSON array of objects, or JSON lines (one object a line). "
        "All are validated first; one invalid event refuses the whole batch.",
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


def ledger_of(request: Request) -> LedgerService:
    """This server's one ledger service (one sequencer per process), made on first use."""
    state = request.app.state
    with _LOCK:
        ledger: LedgerService | None = getattr(state, "audit_ledger", None)
        if ledger is None:
            ledger = open_ledger(
                get_settings(request), get_stores(request).audit, get_clock(request)
            )
            state.audit_ledger = ledger
    return ledger


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key[:40]!r} appears twice")
        out[key] = value
    return out


def parse_batch(body: bytes) -> list[dict[str, Any]]:
    """A JSON array of events or JSON lines, every event validated (all or none)."""
    if not body.lstrip().startswith(b"["):
        return parse_lines(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the body is not UTF-8 (byte {exc.start})") from exc
    try:
        values = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as exc:
        raise InputError(
            f"the body is not a JSON array ({' '.join(str(exc).split())[:120]})"
        ) from exc
    if not isinstance(values, list) or not values:
        raise InputError("no events: give a JSON array of event objects")
    if len(values) > MAX_EVENTS:
        raise InputError(f"more than {MAX_EVENTS} events in one append")
    events = []
    for number, value in enumerate(values, start=1):
        try:
            events.append(validate_event(value))
        except InputError as exc:
            raise InputError(
                f"event {number}: {exc.message}", details={**exc.details, "event": number}
            ) from exc
    return events


def record_read(request: Request, who: Principal, what: str, details: dict[str, Any]) -> None:
    append_direct(
        get_stores(request),
        clock=get_clock(request),
        actor=who.actor,
        action="audit.read",
        target_type="audit_log",
        target_id=what,
        details=details,
    )


@router.post("/trail/events", openapi_extra=INGEST_BODY)
async def ingest(request: Request, who: Writer) -> dict[str, Any]:
    """Append a batch of application events to the ledger, all or none; their leaf indices."""
    events = parse_batch(await request.body())
    refuse_platform_source(events)  # 422: the platform's own source
    entries = [entry_bytes(event) for event in events]
    ledger = ledger_of(request)
    indices = ledger.append(entries)  # waits until durable; the sequencer batches callers
    append_direct(
        get_stores(request),
        clock=get_clock(request),
        actor=who.actor,
        action="audit.append",
        target_type="audit_log",
        target_id="ledger",
        details={"appended": len(indices), "first_index": min(indices)},
    )
    # The tree size right after the batch (its last event the last leaf): what a proof of the
    # batch can be asked against; the audit.append event above and later appends come after.
    return {"appended": len(indices), "leaf_indices": indices, "size": max(indices) + 1}


@router.get("/proofs/inclusion/{leaf_index}")
def inclusion(
    request: Request,
    who: AuditorRecorded,
    leaf_index: LeafIndex,
    tree_size: TreeSize | None = None,
) -> dict[str, Any]:
    """The inclusion proof of one event in the tree of ``tree_size`` (default: the newest
    checkpoint that covers it, whose signed note is returned with the proof)."""
    ledger = ledger_of(request)
    checkpoints = ledger.checkpoints()
    if tree_size is None:
        covering = [c for c in checkpoints if c.size > leaf_index]
        if not covering:
            raise NotFoundError(
                f"no checkpoint covers event {leaf_index} yet (the log holds {ledger.size()} "
                "events); sign one with POST /api/v1/audit/checkpoints or name tree_size"
            )
        tree_size = covering[-1].size
    proof = ledger.prove_inclusion(leaf_index, tree_size)
    note = next((c.note for c in reversed(checkpoints) if c.size == tree_size), None)
    record_read(
        request, who, "ledger", {"proof": "inclusion", "leaf_index": leaf_index, "size": tree_size}
    )
    return {
        "leaf_index": proof.index,
        "tree_size": proof.size,
        "leaf_hash": proof.leaf_hash.hex(),
        "path": [h.hex() for h in proof.path],
        "root": proof.root.hex(),
        "checkpoint": note,
    }


@router.get("/proofs/consistency")
def consistency(
    request: Request, who: AuditorRecorded, old: TreeSize, new: TreeSize
) -> dict[str, Any]:
    """The RFC 9162 consistency proof from the tree of ``old`` to the tree of ``new``."""
    if old > new:
        raise InputError(f"old ({old}) is larger than new ({new})", details={"field": "old"})
    ledger = ledger_of(request)
    path = ledger.prove_consistency(old, new)
    record_read(request, who, "ledger", {"proof": "consistency", "old": old, "new": new})
    return {
        "old": old,
        "new": new,
        "old_root": ledger.root(old).hex(),
        "new_root": ledger.root(new).hex(),
        "path": [h.hex() for h in path],
    }


def checkpoint_rows(request: Request) -> list[dict[str, Any]]:
    """Every stored checkpoint, newest first, with its cosignatures and timestamps."""
    ledger = ledger_of(request)
    engine = get_stores(request).audit
    stamps = list_timestamps(engine)
    rows = []
    with engine.connect() as conn:
        for c in reversed(ledger.checkpoints()):
            rows.append(
                {
                    "id": c.id,
                    "size": c.size,
                    "root": c.root.hex(),
                    "created_at": c.created_at.isoformat(),
                    "note": c.note,
                    "cosignatures": store.list_cosignatures(conn, c.id),
                    "timestamps": [s.as_dict() for s in stamps.get(c.id, [])],
                }
            )
    return rows


@router.get("/checkpoints")
def checkpoints(
    request: Request,
    who: AuditorRecorded,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> dict[str, Any]:
    """The signed checkpoints, newest first: size, root, note, cosignatures, timestamps."""
    ledger = ledger_of(request)
    rows = checkpoint_rows(request)
    record_read(
        request, who, "ledger_checkpoints", {"limit": limit, "returned": min(limit, len(rows))}
    )
    return {
        "origin": ledger.origin,
        "public_key": ledger.verifier.vkey,
        "size": ledger.size(),
        "checkpoints": rows[:limit],
    }


@router.post("/checkpoints")
def sign_now(request: Request, who: Admin) -> dict[str, Any]:
    """Sign the current tree head now: stored, published outside the database, timestamped
    when ``audit.tsa_url`` is set."""
    ledger = ledger_of(request)
    settings = get_settings(request)
    stored = sign_checkpoint(settings, ledger, get_stores(request).audit)
    append_direct(
        get_stores(request),
        clock=get_clock(request),
        actor=who.actor,
        action="audit.checkpoint",
        target_type="audit_log",
        target_id="ledger_checkpoints",
        details={"id": stored.id, "size": stored.size, "root": stored.root.hex()},
    )
    return {
        "id": stored.id,
        "size": stored.size,
        "root": stored.root.hex(),
        "note": stored.note,
        "public_key": ledger.verifier.vkey,
    }


@router.get("/verification/runs")
def verification_runs(
    request: Request,
    who: AuditorRecorded,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict[str, Any]]:
    """The newest verification runs of the trail (scheduled and recorded), newest first."""
    settings = get_settings(request)
    found = runs_store.list_runs(get_stores(request).audit, settings.audit_origin, limit=limit)
    record_read(request, who, "audit_verification_runs", {"limit": limit, "returned": len(found)})
    return [run.as_dict() for run in found]
