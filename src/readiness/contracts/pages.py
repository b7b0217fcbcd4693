"""The contracts dashboard pages (reader role): the event catalog, a subject's page and the
Pact section.

- ``/contracts``: the project's subjects (events), searchable by name, producer, consumer or
  field (``?q=`` and ``?by=``); the producer is who registered the subject's first version
  (a pacticipant's or a CI token's name), consumers come from :func:`subject_consumers`.
- ``/contracts/subjects/{subject}``: its versions (soft-deleted ones marked), the compatibility
  mode, example payloads (the JSON Schema ``examples`` keyword and a generated minimal instance
  of each version) validated against every version, and the human-readable diff between any two
  versions (``?from=&to=``).
- ``/contracts/pact``: pacticipants, the latest pact of each consumer/provider pair with its
  verification status (the matrix), and can-i-deploy of each pacticipant's latest version to
  each environment; the contract coverage of each provider whose OpenAPI document is stored
  (``readiness contracts coverage --record``): endpoints and message types no consumer contract
  exercises.

Pages show schemas, names and versions only: no token or secret is read or displayed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from readiness.contracts.pages_pact import pact_context
from readiness.contracts.schemas.core import diff, examples, formats
from readiness.contracts.schemas.governance.service import SchemaGovernance
from readiness.contracts.schemas.service import SchemaRegistry
from readiness.contracts.schemas.store import governance as governance_store
from readiness.contracts.schemas.store import registry as store
from readiness.errors import NotFoundError, ReadinessError
from readiness.storage.engine import Stores
from readiness.web.deps import (
    CurrentProject,
    Principal,
    get_clock,
    get_settings,
    get_stores,
    require_reader,
)
from readiness.web.pages import DashboardPage, render

TEMPLATES = Path(__file__).parent / "templates"
Reader = Annotated[Principal, Depends(require_reader)]
SEARCH_BY = ("any", "name", "producer", "consumer", "field")
MAX_QUERY = 200


def subject_consumers(stores: Stores, project: str, subject: str) -> list[str]:
    """The consumers registered for ``subject`` (``readiness schemas consumer register``), by
    name: what the catalog's consumer search and the subject page show."""
    with stores.state.connect() as conn:
        return sorted(r.name for r in governance_store.consumers(conn, project, subject))


@dataclass
class Entry:
    """One subject (event) of the catalog."""

    subject: str
    schema_type: str
    versions: int
    latest: int
    producer: str
    consumers: list[str]
    fields: list[str]
    matched: list[str] = field(default_factory=list)  # the fields a field search matched


def _catalog(stores: Stores, project: str) -> list[Entry]:
    registry = SchemaRegistry(stores, _NoClock(), project)
    pacticipants = _pacticipant_names(stores, project)
    with stores.state.connect() as conn:
        infos = store.version_infos(conn, project)
        by_subject: dict[str, list[store.VersionInfo]] = {}
        for info in infos:
            by_subject.setdefault(info.subject, []).append(info)
        out = []
        for subject, rows in by_subject.items():
            live = [r for r in rows if not r.deleted]
            if not live:
                continue
            latest = store.versions(conn, project, subject)[-1]
            try:
                document = registry.document(conn, latest.schema)
                if latest.schema.schema_type == "AVRO":
                    document = _avro_ready_doc(document)
                paths = examples.field_paths(latest.schema.schema_type, document)
            except ReadinessError:
                paths = []
            out.append(
                Entry(
                    subject,
                    latest.schema.schema_type,
                    len(live),
                    live[-1].version,
                    _producer(rows[0].created_by, pacticipants),
                    subject_consumers(stores, project, subject),
                    paths,
                )
            )
    return out


def _pacticipant_names(stores: Stores, project: str) -> set[str]:
    from readiness.contracts.pact.service import PactService

    snap = PactService(stores, _NoClock(), project).snapshot()
    return {v.pacticipant for v in snap.versions} | set(snap.main_branches)


def _producer(created_by: str, pacticipants: set[str]) -> str:
    """Who registered a subject: the token's (or CLI actor's) name, without the token id,
    marked when a pacticipant of the broker has that name."""
    name = created_by.split("#", 1)[0]
    return f"{name} (pacticipant)" if name in pacticipants else name


def search(entries: list[Entry], query: str, by: str) -> list[Entry]:
    """The entries matching ``query`` (case-insensitive substring) in the ``by`` facet."""
    q = query.strip().lower()
    if not q:
        return entries
    found = []
    for e in entries:
        fields = [f for f in e.fields if q in f.lower()] if by in ("any", "field") else []
        hit = (
            (by in ("any", "name") and q in e.subject.lower())
            or (by in ("any", "producer") and q in e.producer.lower())
            or (by in ("any", "consumer") and any(q in c.lower() for c in e.consumers))
            or bool(fields)
        )
        if hit:
            e.matched = fields[:5]
            found.append(e)
    return found


class _NoClock:
    """The pages only read: a clock that is never asked."""

    def now(self) -> Any:
        raise AssertionError("the catalog pages do not write")


@dataclass(frozen=True)
class Example:
    label: str
    payload: str
    verdicts: list[tuple[int, str | None]]  # (version, problem or None)


def _subject_context(
    stores: Stores, project: str, subject: str, request: Request
) -> dict[str, Any]:
    registry = SchemaRegistry(stores, _NoClock(), project)
    with stores.state.connect() as conn:
        every = store.versions(conn, project, subject, deleted=True)
        if not every:
            raise NotFoundError(f"subject {subject!r} not found")
        infos = {i.version: i for i in store.version_infos(conn, project, subject)}
        live = [v for v in every if not v.deleted]
        documents = {v.version: registry.document(conn, v.schema) for v in every}
        refs = {v.version: store.references_of(conn, project, v.schema.id) for v in every}
    kinds = {v.version: v.schema.schema_type for v in every}
    checkable = {
        n: (_avro_ready_doc(doc) if kinds[n] == "AVRO" else doc) for n, doc in documents.items()
    }
    payloads: list[tuple[str, Any]] = []
    for v in live:
        for i, payload in enumerate(
            examples.declared_examples(kinds[v.version], documents[v.version])
        ):
            payloads.append((f"v{v.version} example {i + 1}", payload))
        payloads.append(
            (f"v{v.version} minimal", examples.minimal(kinds[v.version], checkable[v.version]))
        )
    unique: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for label, payload in payloads:
        key = json.dumps(payload, sort_keys=True, default=repr)
        if key not in seen:
            seen.add(key)
            unique.append((label, payload))
    rows = [
        Example(
            label,
            json.dumps(payload, sort_keys=True, default=repr),
            [
                (v.version, examples.problem(kinds[v.version], checkable[v.version], payload))
                for v in live
            ],
        )
        for label, payload in unique
    ]
    numbers = [v.version for v in every]
    to = _number(request.query_params.get("to"), numbers, live[-1].version if live else numbers[-1])
    default_from = max((n for n in numbers if n < to), default=to)
    frm = _number(request.query_params.get("from"), numbers, default_from)
    changelog = None
    if kinds[frm] == kinds[to]:
        changelog = diff.changelog(
            _shown(documents[frm]), _shown(documents[to]), formats.checker(kinds[to])
        )
    return {
        "subject": subject,
        "mode": registry.compatibility(subject),
        "own_mode": registry.subject_config(subject) is not None,
        "versions": [
            {
                "number": v.version,
                "id": v.schema.id,
                "type": v.schema.schema_type,
                "deleted": v.deleted,
                "at": infos[v.version].created_at,
                "by": infos[v.version].created_by,
                "references": refs[v.version],
                "text": json.dumps(json.loads(v.schema.text), indent=2, sort_keys=False),
            }
            for v in every
        ],
        "live_numbers": [v.version for v in live],
        "numbers": numbers,
        "examples": rows,
        "consumers": subject_consumers(stores, project, subject),
        "from_version": frm,
        "to_version": to,
        "changelog": changelog.lines() if changelog is not None else None,
    }


def _telemetry(request: Request, project: str, subject: str) -> dict[str, Any]:
    """What consumers reported (handbook 21.7): who processed each version in the usage window,
    and the fields that stopped arriving in the sample events (Q11)."""
    registry = SchemaRegistry(get_stores(request), get_clock(request), project)
    governance = SchemaGovernance(registry, get_settings(request).contracts)
    return {"usage": governance.usage(subject), "presence": governance.presence_report(subject)}


def _avro_ready_doc(document: Any) -> Any:
    import fastavro

    return fastavro.parse_schema(document)


_FASTAVRO_KEYS = ("__fastavro_parsed", "__named_schemas")


def _shown(document: Any) -> Any:
    """A document as the diff shows it (fastavro's bookkeeping keys left out)."""
    if isinstance(document, dict):
        return {k: _shown(v) for k, v in document.items() if k not in _FASTAVRO_KEYS}
    if isinstance(document, list):
        return [_shown(v) for v in document]
    return document


def _number(raw: str | None, numbers: list[int], default: int) -> int:
    try:
        value = int(raw) if raw else default
    except ValueError:
        return default
    return value if value in numbers else default


def _router() -> APIRouter:
    router = APIRouter()

    @router.get("")
    def catalog_page(request: Request, who: Reader, project: CurrentProject) -> Response:
        query = request.query_params.get("q", "")[:MAX_QUERY]
        by = request.query_params.get("by", "any")
        by = by if by in SEARCH_BY else "any"
        entries = _catalog(get_stores(request), project.name)
        shown = search(entries, query, by)
        context = {
            "entries": shown,
            "total": len(entries),
            "query": query,
            "by": by,
            "search_by": SEARCH_BY,
        }
        return render(request, "contracts/catalog.html", context)

    @router.get("/pact")
    def pact_page(request: Request, who: Reader, project: CurrentProject) -> Response:
        return render(
            request,
            "contracts/pact.html",
            pact_context(get_stores(request), project.name, request),
        )

    @router.get("/subjects/{subject}")
    def subject_page(
        request: Request, subject: str, who: Reader, project: CurrentProject
    ) -> Response:
        context = _subject_context(get_stores(request), project.name, subject, request)
        context.update(_telemetry(request, project.name, subject))
        return render(request, "contracts/subject.html", context)

    return router


def dashboard_pages() -> list[DashboardPage]:
    """The contracts catalog (with its subject and Pact pages), in the navigation after
    Migrations."""
    return [DashboardPage("Contracts", "/contracts", 75, _router(), TEMPLATES)]
