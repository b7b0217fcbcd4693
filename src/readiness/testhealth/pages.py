"""testhealth dashboard pages: overview, flaky tests, one test, suite health, quarantine, runs."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from readiness.testhealth import lists, triage
from readiness.testhealth.api import Reader, RunKey, TestHealthAPI, TestId
from readiness.testhealth.api.listing import FlakyFilters, flaky_list
from readiness.testhealth.detection.model import SuiteHealth
from readiness.testhealth.model import TestStatus
from readiness.testhealth.store.listing import RunQuery
from readiness.testhealth.views import (
    figure_cells,
    figures_view,
    impact_row,
    run_detail_view,
)
from readiness.web import charts
from readiness.web.actions import ActionResult
from readiness.web.deps import get_clock, get_settings
from readiness.web.inputs import Line, Text
from readiness.web.pages import DashboardPage, render
from readiness.web.table_query import TableParams, TableQuery
from readiness.web.tables import page_of, paginate

STATUS_ORDER = [s.value for s in TestStatus]
StatusFilter = lists.StatusFilter  # the flaky page's status filter (see ``lists``)
TEMPLATES = Path(__file__).parent / "templates"


def _duration_chart(suite: SuiteHealth) -> Markup:
    trend = suite.duration_trend
    return charts.line_chart(
        [t.bucket for t in trend],
        {"p50": [t.p50_s for t in trend], "p95": [t.p95_s for t in trend]},
        title="Suite duration per day",
        unit="s",
        y_label="Duration",
        x_label="Day",
    )


def _headline(suite: SuiteHealth) -> dict[str, Any]:
    mttf = suite.mean_time_to_fix_s
    return {
        "flaky_rate": suite.flaky_run_rate,
        "retry_rate": suite.ci_retry_rate,
        "mttf_hours": mttf / 3600 if mttf is not None else None,
        "quarantine_size": suite.quarantine_trend[-1].size if suite.quarantine_trend else None,
    }


def _overview_router() -> APIRouter:
    router = APIRouter()

    @router.get("/")
    def overview(request: Request, service: Reader) -> Response:
        tests = service.health()
        counts = Counter(t.status.value for t in tests)
        suite = service.suite_health()
        return render(
            request,
            "testhealth/overview.html",
            {
                "counts": [(s, counts.get(s, 0)) for s in STATUS_ORDER],
                "total": len(tests),
                **_headline(suite),
                "duration_chart": _duration_chart(suite),
            },
        )

    return router


SearchText = Annotated[Text, Query(max_length=200)]
BranchName = Annotated[Line, Query(max_length=255)]


def _flaky_router() -> APIRouter:
    router = APIRouter()

    def _context(
        request: Request, service: Reader, query: TableQuery, filters: dict[str, str]
    ) -> dict[str, Any]:
        view = query.view(lists.FLAKY, **filters)
        found = flaky_list(service, view, get_clock(request).now())
        pagination = paginate(view, len(found.rows))
        shown = page_of(found.rows, pagination)
        return {
            "rows": [
                (
                    r,
                    figure_cells(figures_view(r.test.figures)),
                    impact_row(r.impact) if r.impact is not None else None,
                )
                for r in shown
            ],
            "view": view.with_page(pagination.page),
            "pagination": pagination,
            "known": bool(found.known),
            "filtered": any(n != "status" for n, _ in view.filters),
            "status": view.filter("status"),
            "statuses": ["all", *STATUS_ORDER],
            "owners": sorted({o for o in found.owners.values() if o}, key=str.lower),
            "branches": service.branches(),
        }

    @router.get("")
    def flaky(
        request: Request, service: Reader, query: TableParams, filters: FlakyFilters
    ) -> Response:
        context = _context(request, service, query, filters)
        return render(request, "testhealth/flaky.html", context)

    @router.get("/table")
    def table(
        request: Request, service: Reader, query: TableParams, filters: FlakyFilters
    ) -> Response:
        context = _context(request, service, query, filters)
        response = render(request, "testhealth/_flaky_table.html", context)
        response.headers["HX-Push-Url"] = context["view"].url()
        return response

    return router


def render_test_page(
    request: Request, service: TestHealthAPI, test_id: str, result: ActionResult | None = None
) -> Response:
    """The test page of ``test_id``, with the result of an action when one just ran."""
    return render(
        request, "testhealth/test.html", triage.test_page_context(request, service, test_id, result)
    )


def _test_router() -> APIRouter:
    router = APIRouter()
    # The actions' POST routes (…/quarantine, …/release, …/owner, …/issue) re-render the page.
    triage.add_test_actions(router, render_test_page)

    @router.get("/{test_id:path}")
    def test_page(request: Request, service: Reader, test_id: TestId) -> Response:
        return render_test_page(request, service, test_id)

    return router


def _suite_router() -> APIRouter:
    router = APIRouter()

    @router.get("")
    def suite(request: Request, service: Reader) -> Response:
        data = service.suite_health()
        quarantine = charts.line_chart(
            [q.day for q in data.quarantine_trend],
            {"quarantined": [float(q.size) for q in data.quarantine_trend]},
            title="Quarantined tests per day",
            y_label="Tests",
            x_label="Day",
        )
        rates = charts.bar_chart(
            ["flaky runs", "CI retries", "runs with reruns"],
            [data.flaky_run_rate * 100, data.ci_retry_rate * 100, data.rerun_rate * 100],
            title="Flaky, retry and rerun rates",
            unit="%",
            y_label="Share of runs",
            y_max=100,
        )
        slowest = charts.bar_chart(
            [s.test_key for s in data.slow_tests],
            [s.mean_duration_s for s in data.slow_tests],
            title="Slowest tests (mean duration)",
            unit="s",
            y_label="Mean duration",
            x_label="Test",
        )
        spread = charts.histogram(
            [t.mean_duration_s for t in service.health()],
            title="Distribution of mean test durations",
            unit="s",
            x_label="Mean duration",
            y_label="Tests",
        )
        budget = charts.line_chart(
            [b.day for b in data.budget_trend],
            {
                "suite": [b.suite_s for b in data.budget_trend],
                "budget": [data.time_budget_s for _ in data.budget_trend],
            },
            title="Suite runtime per day against its time budget",
            unit="s",
            y_label="Runtime",
            x_label="Day",
        )
        return render(
            request,
            "testhealth/suite_health.html",
            {
                "suite": data,
                "headline": _headline(data),
                "duration_chart": _duration_chart(data),
                "quarantine_chart": quarantine,
                "rates_chart": rates,
                "slowest_chart": slowest,
                "duration_histogram": spread,
                "budget_chart": budget,
            },
        )

    return router


def _runs_router() -> APIRouter:
    router = APIRouter()

    def _context(service: Reader, query: TableQuery, q: str, branch: str) -> dict[str, Any]:
        view = query.view(lists.RUNS, q=q, branch=branch)
        asked = RunQuery(
            branch=branch or None,
            text=q.strip() or None,
            sort=view.sort,  # type: ignore[arg-type]  # RUNS sorts only by RunSort keys
            descending=view.descending,
            offset=(view.page - 1) * view.per_page,
            limit=view.per_page,
        )
        rows, total = service.runs_page(asked)
        pagination = paginate(view, total)
        if pagination.page != view.page:  # past the end: the last page instead
            rows, total = service.runs_page(replace(asked, offset=pagination.offset))
        return {
            "runs": rows,
            "view": view.with_page(pagination.page),
            "pagination": pagination,
            "filtered": bool(view.filters),
            "branches": service.branches(),
        }

    @router.get("")
    def runs(
        request: Request,
        service: Reader,
        query: TableParams,
        q: SearchText = "",
        branch: BranchName = "",
    ) -> Response:
        context = _context(service, query, q, branch)
        context["clusters"] = service.clusters()
        return render(request, "testhealth/runs.html", context)

    @router.get("/table")
    def runs_table(
        request: Request,
        service: Reader,
        query: TableParams,
        q: SearchText = "",
        branch: BranchName = "",
    ) -> Response:
        context = _context(service, query, q, branch)
        response = render(request, "testhealth/_runs_table.html", context)
        response.headers["HX-Push-Url"] = context["view"].url()
        return response

    @router.get("/{run_key}")
    def run_page(request: Request, service: Reader, run_key: RunKey) -> Response:
        detail = run_detail_view(service.run_detail(run_key), get_settings(request).links)
        return render(request, "testhealth/run.html", {"detail": detail})

    return router


def render_quarantine_page(
    request: Request, service: TestHealthAPI, result: ActionResult | None = None
) -> Response:
    """The quarantine page, with the result of an action when one just ran."""
    entries = service.quarantine_entries()
    days = get_settings(request).testhealth.quarantine_default_days
    return render(
        request,
        "testhealth/quarantine.html",
        {
            "entries": entries,
            "actions": triage.quarantine_page_actions(entries, days=days),
            "quarantine_file": get_settings(request).testhealth.quarantine_file,
            "result": result,
        },
    )


def _quarantine_router() -> APIRouter:
    router = APIRouter()

    @router.get("")
    def quarantine(request: Request, service: Reader) -> Response:
        return render_quarantine_page(request, service)

    # Quarantine a test (POST "") and release one (POST /release), as action blocks.
    triage.add_quarantine_actions(router, render_quarantine_page)
    return router


def dashboard_pages() -> list[DashboardPage]:
    """The testhealth dashboard pages, in navigation order."""
    return [
        DashboardPage("Overview", "/", 0, _overview_router(), TEMPLATES),
        DashboardPage("Flaky tests", "/tests/flaky", 10, _flaky_router(), TEMPLATES),
        DashboardPage("Test", "/tests/t", None, _test_router(), TEMPLATES),
        DashboardPage("Suite health", "/tests/health", 20, _suite_router(), TEMPLATES),
        DashboardPage("Quarantine", "/tests/quarantine", 30, _quarantine_router(), TEMPLATES),
        DashboardPage("Runs", "/tests/runs", 40, _runs_router(), TEMPLATES),
    ]
