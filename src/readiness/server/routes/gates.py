"""Gate history over HTTP: ``/api/v1/gates/runs``. Readers list a project's gate runs; CI
(writer role) stores the runs of gates it evaluated against this server."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from readiness.gate.history import REVISION_LENGTH, SUMMARY_LENGTH, CheckLine, GateRun
from readiness.gate.service import list_gate_runs, record_gate_run
from readiness.web.deps import (
    CurrentProject,
    Principal,
    get_clock,
    get_settings,
    get_stores,
    require_reader,
    require_writer,
)
from readiness.web.inputs import INT32_MAX, JsonBody, Line, Text

router = APIRouter(prefix="/gates", tags=["gates"])

Reader = Annotated[Principal, Depends(require_reader)]
Writer = Annotated[Principal, Depends(require_writer)]
GateName = Literal["merge", "deploy", "verify"]
MAX_PAGE = 500
MAX_CHECKS = 1000
MAX_DURATION_S = 7 * 24 * 3600.0  # a week: longer is a broken clock, not a gate


class CheckLineRequest(JsonBody):
    """One check of a gate run: its id, status and summary."""

    id: Line = Field(min_length=1, max_length=200, examples=["tests.passed"])
    status: Literal["pass", "warn", "fail", "skip", "error"]
    summary: Text = Field(max_length=SUMMARY_LENGTH, examples=["All 412 tests passed"])


class GateRunRequest(JsonBody):
    """Body of ``POST /api/v1/gates/runs``: one gate evaluation (the server records when)."""

    gate: GateName
    commit: Line | None = Field(default=None, max_length=REVISION_LENGTH)
    base: Line | None = Field(default=None, max_length=REVISION_LENGTH)
    verdict: Literal["pass", "fail", "error"]
    checks: list[CheckLineRequest] = Field(max_length=MAX_CHECKS)
    duration_s: float = Field(ge=0, le=MAX_DURATION_S)


@router.get("/runs")
def runs(
    request: Request,
    _who: Reader,
    project: CurrentProject,
    gate: GateName | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
) -> dict[str, Any]:
    """The project's gate runs, newest first, a page at a time; ``total`` counts them all."""
    found, total = list_gate_runs(
        get_stores(request), project.name, gate=gate, limit=limit, offset=offset
    )
    return {
        "project": project.name,
        "total": total,
        "limit": limit,
        "offset": offset,
        "runs": [r.to_dict() for r in found],
    }


@router.post("/runs", status_code=201)
def record(
    request: Request, who: Writer, project: CurrentProject, body: GateRunRequest
) -> dict[str, Any]:
    """Store one gate evaluation of the project (``readiness gate`` does, against a server)."""
    clock = get_clock(request)
    run = GateRun(
        project=project.name,
        gate=body.gate,
        commit=body.commit or None,
        base=body.base or None,
        verdict=body.verdict,
        checks=tuple(CheckLine(c.id, c.status, c.summary) for c in body.checks),
        duration_s=body.duration_s,
        at=clock.now(),
        by=who.actor,
    )
    return record_gate_run(
        get_stores(request), run, clock=clock, notify=get_settings(request).notify
    ).to_dict()
