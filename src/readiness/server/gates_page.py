"""The dashboard's gates page: a project's gate runs, newest first, and their trends by day.

It reads the gate history (``readiness.gate.service``) and draws with the shared
``web.charts`` block (each chart carries its own data table); the table of figures per day
sits beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from readiness.gate.history import DayTrend, GateRun
from readiness.gate.service import gate_trend, list_gate_runs
from readiness.web import charts
from readiness.web.deps import CurrentProject, Principal, get_stores, require_reader
from readiness.web.pages import DashboardPage, render
from readiness.web.table_query import TableParams, TableQuery
from readiness.web.tables import Column, TableSpec, paginate

TEMPLATES = Path(__file__).parent / "templates"
TREND_RUNS = 2000  # the trends read the newest runs only: months of CI at a few runs a day
SHORT_HASH = 12
VERDICT_CLASS = {"pass": "status-healthy", "fail": "status-broken", "error": "status-flaky"}


# The runs table: sorted and paged in the database (the store's SORT_COLUMNS), filtered by gate.
GATE_RUNS: TableSpec[GateRun] = TableSpec(
    path="/gates",
    partial="/gates/table",
    target="gate-runs",
    columns=(
        Column("at", "When (UTC)", sortable=True, first="desc"),
        Column("gate", "Gate", sortable=True),
        Column("verdict", "Verdict", sortable=True),
        Column("commit", "Commit"),
        Column("checks", "Checks"),
        Column("findings", "Findings"),
        Column("duration", "Duration", sortable=True, numeric=True),
        Column("by", "By"),
    ),
    default_sort="at",
    default_direction="desc",
    filters=("gate",),
)
GateFilter = Literal["merge", "deploy", "verify"] | None


def _counts(run: GateRun) -> str:
    """``3 passed, 1 failed``: the statuses present in the run, in a fixed order."""
    order = ("pass", "warn", "fail", "skip", "error")
    words = {"pass": "passed", "warn": "warned", "fail": "failed", "skip": "skipped"}
    found = [(s, sum(1 for c in run.checks if c.status == s)) for s in order]
    return ", ".join(
        f"{n} {'error' if n == 1 else 'errors'}" if s == "error" else f"{n} {words[s]}"
        for s, n in found
        if n
    )


def _row(run: GateRun) -> dict[str, Any]:
    return {
        "at": run.at.strftime("%Y-%m-%d %H:%M"),
        "gate": run.gate,
        "verdict": run.verdict,
        "verdict_class": VERDICT_CLASS.get(run.verdict, ""),
        "commit": run.commit[:SHORT_HASH] if run.commit else None,
        "counts": _counts(run),
        "findings": [c for c in run.checks if c.status in ("fail", "error", "warn")],
        "duration": f"{run.duration_s:.1f} s",
        "by": run.by,
    }


def _trend_view(trend: list[DayTrend]) -> dict[str, Any]:
    days = [d.day.isoformat() for d in trend]
    return {
        "days": [
            {
                "day": d.day.isoformat(),
                "runs": d.runs,
                "passed": d.passed,
                "pass_rate": f"{d.pass_rate:.0%}",
                "median": f"{d.median_duration_s:.1f} s",
            }
            for d in reversed(trend)
        ],
        "pass_chart": charts.line_chart(
            days,
            {"pass rate": [d.pass_rate * 100 for d in trend]},
            title="Gate pass rate per day",
            unit="%",
            y_label="Pass rate",
            x_label="Day",
            y_max=100,
        ),
        "duration_chart": charts.line_chart(
            days,
            {"median": [d.median_duration_s for d in trend]},
            title="Median gate duration per day",
            unit="s",
            y_label="Median duration",
            x_label="Day",
        ),
    }


def _runs_context(request: Request, project: str, query: TableQuery, gate: str | None) -> Any:
    """The table of gate runs the request asks for (one page, sorted in the database)."""
    stores = get_stores(request)
    view = query.view(GATE_RUNS, gate=gate)

    def fetch(page: int) -> tuple[list[GateRun], int]:
        return list_gate_runs(
            stores,
            project,
            gate=gate,
            limit=view.per_page,
            offset=(page - 1) * view.per_page,
            sort=view.sort,
            descending=view.descending,
        )

    runs, total = fetch(view.page)
    pagination = paginate(view, total)
    if pagination.page != view.page:  # past the end: the last page instead
        runs, total = fetch(pagination.page)
    return {
        "runs": [_row(r) for r in runs],
        "total": total,
        "view": view.with_page(pagination.page),
        "pagination": pagination,
    }


def _router() -> APIRouter:
    router = APIRouter()

    @router.get("")
    def gates(
        request: Request,
        _who: Annotated[Principal, Depends(require_reader)],
        project: CurrentProject,
        query: TableParams,
        gate: GateFilter = None,
    ) -> Response:
        def link(name: str | None) -> str:
            params = {"project": project.name, "gate": name}
            return "/gates?" + urlencode({k: v for k, v in params.items() if v is not None})

        stores = get_stores(request)
        return render(
            request,
            "gates/gates.html",
            {
                "gate": gate,
                "gate_links": [
                    (name or "all", link(name), name == gate)
                    for name in (None, "merge", "deploy", "verify")
                ],
                **_runs_context(request, project.name, query, gate),
                **_trend_view(gate_trend(stores, project.name, gate=gate, runs=TREND_RUNS)),
            },
        )

    @router.get("/table")
    def gates_table(
        request: Request,
        _who: Annotated[Principal, Depends(require_reader)],
        project: CurrentProject,
        query: TableParams,
        gate: GateFilter = None,
    ) -> Response:
        context = _runs_context(request, project.name, query, gate)
        response = render(request, "gates/_runs_table.html", context)
        response.headers["HX-Push-Url"] = context["view"].url()
        return response

    return router


def gates_page() -> DashboardPage:
    """The gates page, in the navigation after the testhealth pages."""
    return DashboardPage("Gates", "/gates", 50, _router(), TEMPLATES)
