"""The application trail over HTTP (auditor role): search, timelines with as-of, exports.

``GET /api/v1/audit/trail`` (one page, newest first, ``next_cursor``),
``GET /api/v1/audit/trail/timeline/{target_type}/{target_id}`` (``as_of``) and
``GET /api/v1/audit/trail/export?format=jsonl|csv|parquet`` (streamed; every row with its
inclusion proof; the checkpoint note in the file, and base64 in the ``Readiness-Checkpoint``
header). Every call is itself an audit event, appended before the answer is sent.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from readiness.audit.query.core import MAX_LIMIT, make_filters, parse_time
from readiness.audit.query.export import MEDIA_TYPES, csv_chunks, jsonl_chunks, parquet_bytes
from readiness.audit.query.filters import FilterText
from readiness.audit.query.service import MAX_EXPORT, TrailReader
from readiness.audit.retention.files import archive_root
from readiness.audit.trail import open_ledger, publish
from readiness.ledger.service import LedgerService
from readiness.web.deps import Principal, get_clock, get_settings, get_stores, require_auditor
from readiness.web.inputs import Line

router = APIRouter(prefix="/audit", tags=["audit"])
Auditor = Annotated[Principal, Depends(require_auditor)]
_ledger_lock = threading.Lock()

Id = Annotated[Line | None, Query(max_length=256)]
When = Annotated[Line | None, Query(max_length=40, description="Date or time.")]


def filter_query(  # noqa: PLR0917 - one query parameter per filter
    actor: Id = None,
    target_type: Id = None,
    target_id: Id = None,
    action: Annotated[
        Line | None, Query(max_length=256, description="An action, or a prefix ending in *.")
    ] = None,
    result: Id = None,
    tenant: Id = None,
    since: When = None,
    until: When = None,
) -> FilterText:
    """The eight filters of a search or export, as query parameters (checked by the route)."""
    return FilterText(actor, target_type, target_id, action, result, tenant, since, until)


FilterQuery = Annotated[FilterText, Depends(filter_query)]


def shared_ledger(request: Request) -> LedgerService:
    """The app's one service of the audit log (its sequencer batches every request's events)."""
    state = request.app.state
    with _ledger_lock:
        ledger: LedgerService | None = getattr(state, "audit_query_ledger", None)
        if ledger is None:
            settings, stores = get_settings(request), get_stores(request)
            ledger = open_ledger(settings, stores.audit, get_clock(request))
            state.audit_query_ledger = ledger
    return ledger


def trail_reader(request: Request, who: Principal, *, source: str = "api") -> TrailReader:
    """An audited reader for the caller: ``tok_<id>`` (a token's name is not pseudonymous)."""
    return TrailReader(
        get_stores(request).audit,
        shared_ledger(request),
        get_clock(request),
        actor=f"tok_{who.token_id}",
        actor_type="user" if who.via == "session" else "service",
        source=source,
        archive_root=archive_root(get_settings(request)),
    )


def event_json(leaf_index: int, event: dict[str, Any]) -> dict[str, Any]:
    return {"leaf_index": leaf_index, **event}


@router.get("/trail")
def search_trail(
    request: Request,
    who: Auditor,
    given: FilterQuery,
    *,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[Line | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Events of the application trail, newest first; ``next_cursor`` fetches the next page.
    ``action`` ending in ``*`` is a prefix."""
    page = trail_reader(request, who).query(given.filters(limit=limit, cursor=cursor))
    return {
        "events": [event_json(h.leaf_index, h.event) for h in page.hits],
        "next_cursor": page.next_cursor,
    }


@router.get("/trail/timeline/{target_type}/{target_id}")
def target_timeline(
    request: Request,
    who: Auditor,
    target_type: str,
    target_id: str,
    as_of: Annotated[
        Line | None, Query(max_length=40, description="Also the target's state then.")
    ] = None,
) -> dict[str, Any]:
    """Every event of one target, oldest first, and with ``as_of`` its state at that time."""
    make_filters(target_type=target_type, target_id=target_id)
    at = parse_time(as_of, "as_of") if as_of is not None else None
    found = trail_reader(request, who).timeline(target_type, target_id, as_of=at)
    return {
        "target_type": target_type,
        "target_id": target_id,
        "events": [event_json(h.leaf_index, h.event) for h in found.hits],
        "truncated": found.truncated,
        "as_of": found.as_of.as_dict() if found.as_of is not None else None,
    }


EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export: JSONL, CSV or Parquet (see docs/audit-query.md).",
        "content": {media: {} for media in MEDIA_TYPES.values()},
    }
}


@router.get("/trail/export", response_class=StreamingResponse, responses=EXPORT_RESPONSES)
def export_trail(
    request: Request,
    who: Auditor,
    given: FilterQuery,
    *,
    fmt: Annotated[str, Query(alias="format", pattern="^(jsonl|csv|parquet)$")] = "jsonl",
    limit: Annotated[int, Query(ge=1, le=MAX_EXPORT)] = MAX_EXPORT,
) -> StreamingResponse:
    """The matching events with inclusion proofs against a signed checkpoint, streamed."""
    filters = given.filters(limit=limit, max_limit=MAX_EXPORT)
    settings = get_settings(request)
    ledger = shared_ledger(request)
    prepared = trail_reader(request, who).export(
        filters, fmt, on_checkpoint=lambda stored: publish(settings, stored, ledger.verifier)
    )
    note = prepared.checkpoint.note

    def body() -> Iterator[bytes]:
        if fmt == "jsonl":
            yield from jsonl_chunks(note, prepared.header, prepared.rows())
        elif fmt == "csv":
            yield from csv_chunks(prepared.rows())
        else:
            yield parquet_bytes(note, prepared.rows())

    headers = {
        "Content-Disposition": f'attachment; filename="audit-trail.{fmt}"',
        "Readiness-Checkpoint": base64.b64encode(note.encode()).decode("ascii"),
        "Readiness-Rows": str(prepared.count),
    }
    return StreamingResponse(body(), media_type=MEDIA_TYPES[fmt], headers=headers)
