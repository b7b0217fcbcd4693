"""The dashboard's audit page (auditor role) and the public checkpoint for external monitors.

``/audit``: the verification status of the trail in words (verified or not, when, the log's
size, what failed), the history of verification runs (the table block, paged), the signed
checkpoints, the newest checkpoint's witness cosignatures against ``audit.witness_quorum``
and a link to the search. Viewing it is recorded in the audit trail.
``/audit/checkpoint``: the newest signed checkpoint with its cosignatures, as ``text/plain``,
for any valid token (external monitors and witnesses poll it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response

from readiness.audit.verification import store as runs_store
from readiness.audit.verification.service import read_facts
from readiness.audit.verification.status import trail_status
from readiness.audit.verification.store import VerificationRun
from readiness.audittrail.access import AuditorRecorded
from readiness.audittrail.api_ledger import checkpoint_rows, ledger_of, record_read
from readiness.config import duration_of
from readiness.errors import NotFoundError
from readiness.web.deps import Principal, get_clock, get_settings, get_stores, require_reader
from readiness.web.pages import DashboardPage, render
from readiness.web.table_query import TableParams
from readiness.web.tables import Column, TableSpec, page_of, paginate, sort_rows

TEMPLATES = Path(__file__).parent / "templates"
HISTORY = 1000  # runs the table pages through: years of daily runs
CHECKPOINTS_SHOWN = 20
ROOT_PREFIX = 16

RUNS: TableSpec[VerificationRun] = TableSpec(
    path="/audit",
    partial="/audit/runs",
    target="verification-runs",
    columns=(
        Column("started", "Started (UTC)", value=lambda r: r.started_at, first="desc"),
        Column("result", "Result", value=lambda r: r.verified),
        Column("size", "Events", value=lambda r: r.size, numeric=True),
        Column("checkpoints", "Checkpoint files", numeric=True),
        Column("duration", "Duration", value=lambda r: r.finished_at - r.started_at, numeric=True),
        Column("trigger", "By"),
        Column("errors", "Errors"),
    ),
    default_sort="started",
    default_direction="desc",
    tiebreak="started",
    per_page=20,
)


def _run_row(run: VerificationRun) -> dict[str, Any]:
    seconds = (run.finished_at - run.started_at).total_seconds()
    return {
        "started": run.started_at.strftime("%Y-%m-%d %H:%M"),
        "verified": run.verified,
        "size": f"{run.size:,}",
        "checkpoints": run.checkpoints,
        "duration": f"{seconds:.1f} s",
        "trigger": run.trigger,
        "errors": run.errors,
    }


def _runs_context(request: Request, query: Any) -> dict[str, Any]:
    settings = get_settings(request)
    runs = runs_store.list_runs(get_stores(request).audit, settings.audit_origin, limit=HISTORY)
    view = query.view(RUNS)
    pagination = paginate(view, len(runs))
    shown = page_of(sort_rows(runs, view), pagination)
    return {
        "runs": [_run_row(r) for r in shown],
        "runs_total": len(runs),
        "view": view.with_page(pagination.page),
        "pagination": pagination,
    }


def _status_context(request: Request) -> dict[str, Any]:
    settings = get_settings(request)
    facts = read_facts(settings, get_stores(request).audit)
    now = get_clock(request).now()
    status = trail_status(facts, now=now, max_age=duration_of(settings.audit.verified_max_age))
    run = facts.latest_run
    return {
        "status": status,
        "latest": _run_row(run) if run is not None else None,
        "log_size": f"{facts.log_size:,}",
        "checkpoint_size": facts.checkpoint_size,
        "verify_interval": settings.audit.verify_interval,
        "checkpoint_interval": settings.audit.checkpoint_interval,
        "max_age": settings.audit.verified_max_age,
        "retention": _retention(request, now),
    }


def _retention(request: Request, now: Any) -> str:
    from readiness.audit.retention.core import Policy
    from readiness.audit.retention.prune import summary

    settings = get_settings(request)
    policy = Policy.of(settings.audit.retention.frameworks)
    with get_stores(request).audit.connect() as conn:
        return summary(conn, settings.audit_origin, policy, now.date())


def _checkpoints_context(request: Request) -> dict[str, Any]:
    rows = checkpoint_rows(request)
    return {
        "checkpoints": [
            {
                "id": c["id"],
                "size": f"{c['size']:,}",
                "root": c["root"][:ROOT_PREFIX],
                "at": c["created_at"][:16].replace("T", " "),
                "cosignatures": len(c["cosignatures"]),
                "timestamps": len(c["timestamps"]),
            }
            for c in rows[:CHECKPOINTS_SHOWN]
        ],
        "checkpoints_total": len(rows),
        "public_key": ledger_of(request).verifier.vkey,
    }


def _witness_context(request: Request) -> dict[str, Any]:
    """Who cosigned the newest checkpoint, which configured witnesses did not, the quorum."""
    from readiness.ledger.witness.publish import witness_targets
    from readiness.ledger.witness.quorum import newest_standing

    settings = get_settings(request)
    targets = witness_targets(settings)
    quorum = settings.audit.witness_quorum
    verifiers = [t.verifier for t in targets]
    standing = newest_standing(get_stores(request).audit, settings.audit_origin, verifiers, quorum)
    return {
        "witness_quorum": quorum,
        "witnesses_configured": len(targets),
        "standing": standing,
        "cosigned": [
            {
                "name": c.name,
                "key_id": f"{c.key_id:08x}",
                "size": f"{c.size:,}",
                "at": c.time.strftime("%Y-%m-%d %H:%M:%S") if c.time else "unreadable",
                "state": "valid" if c.valid else "invalid" if c.configured else "not configured",
            }
            for c in (standing.cosigned if standing is not None else ())
        ],
        "missing": [
            {"name": v.name, "key_id": f"{v.key_id:08x}"}
            for v in (standing.missing if standing is not None else verifiers)
        ],
    }


def _router() -> APIRouter:
    router = APIRouter()

    @router.get("")
    def overview(request: Request, who: AuditorRecorded, query: TableParams) -> Response:
        context = {
            **_status_context(request),
            **_runs_context(request, query),
            **_checkpoints_context(request),
            **_witness_context(request),
        }
        record_read(request, who, "dashboard /audit", {"runs": context["runs_total"]})
        return render(request, "audittrail/overview.html", context)

    @router.get("/runs")
    def runs_table(request: Request, who: AuditorRecorded, query: TableParams) -> Response:
        context = _runs_context(request, query)
        record_read(request, who, "dashboard /audit/runs", {"runs": context["runs_total"]})
        response = render(request, "audittrail/_runs_table.html", context)
        response.headers["HX-Push-Url"] = context["view"].url()
        return response

    @router.get("/checkpoint", response_class=PlainTextResponse)
    def public_checkpoint(
        request: Request, _who: Annotated[Principal, Depends(require_reader)]
    ) -> Response:
        """The newest signed checkpoint and its witness cosignatures (text/plain)."""
        ledger = ledger_of(request)
        stored = ledger.checkpoints()
        if not stored:
            raise NotFoundError(
                "the audit log has no checkpoint yet; an admin signs one with "
                "`readiness audit checkpoint` or POST /api/v1/audit/checkpoints"
            )
        note = ledger.cosigned_note(stored[-1].id)
        return PlainTextResponse(note, media_type="text/plain; charset=utf-8")

    return router


def dashboard_pages() -> list[DashboardPage]:
    """The audit page, in the navigation after Gates for the roles that may open it."""
    return [DashboardPage("Audit", "/audit", 60, _router(), TEMPLATES, role="auditor")]
