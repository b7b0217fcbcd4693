"""testhealth dashboard pages: overview, flaky tests, one test, suite health, quarantine, runs."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from readiness.errors import InputError, NotFoundError, ReadinessError
from readiness.testhealth.api import STORED_ID_LENGTH, Reader, RunKey, TestId, Writer
from readiness.testhealth.detection.model import SuiteHealth
from readiness.testhealth.model import TestHealth, TestStatus
from readiness.testhealth.views import (
    figure_cells,
    figures_sentence,
    figures_view,
    run_detail_view,
)
from readiness.web import charts
from readiness.web.deps import get_clock, get_settings
from readiness.web.inputs import Line, Text
from readiness.web.pages import DashboardPage, is_htmx, render

STATUS_ORDER = [s.value for s in TestStatus]
# The flaky page's status filter: empty (the tests needing attention) or one status; anything
# else is a 422 naming these values. A test checks it matches TestStatus.
StatusFilter = Literal["", "healthy", "flaky", "broken", "quarantined", "fixed"]
TEMPLATES = Path(__file__).parent / "templates"


MAX_EXPIRY_DAYS = 36_500  # a quarantine expiry every database can store


def _duration_chart(suite: SuiteHealth) -> Markup:
    trend = suite.duration_trend
    return charts.line_chart(
        [t.bucket for t in trend],
        {"p50": [t.p50_s for t in trend], "p95": [t.p95_s for t in trend]},
        title="Suite duration per day",
        unit="s",
    )


def _headline(suite: SuiteHealth) -> dict[str, Any]:
    mttf = suite.mean_time_to_fix_s
    return {
        "flaky_rate": suite.flaky_run_rate,
        "retry_rate": suite.ci_retry_rate,
        "mttf_hours": mttf / 3600 if mttf is not None else None,
        "quarantine_size": suite.quarantine_trend[-1].size if suite.quarantine_trend else None,
    }


def _with_cells(tests: list[TestHealth]) -> list[tuple[TestHealth, dict[str, str]]]:
    """Each test with its figures in the words the CLI prints (one computation, one wording)."""
    return [(t, figure_cells(figures_view(t.figures))) for t in tests]


def _filter(tests: list[TestHealth], q: str, status: str) -> list[TestHealth]:
    q = q.strip().lower()
    return [
        t
        for t in tests
        if (not q or q in t.test_id.lower()) and (not status or t.status.value == status)
    ]


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


def _flaky_router() -> APIRouter:
    router = APIRouter()

    def _context(service: Reader, q: str, status: str) -> dict[str, Any]:
        known = service.health()
        # Without a status: the tests needing attention; with one, every test of that status.
        chosen = _filter(known, q, status) if status else _filter(service.flaky(), q, "")
        return {
            "tests": _with_cells(chosen),
            "known": bool(known),
            "q": q,
            "status": status,
            "statuses": STATUS_ORDER,
        }

    @router.get("")
    def flaky(
        request: Request, service: Reader, q: str = "", status: StatusFilter = ""
    ) -> Response:
        return render(request, "testhealth/flaky.html", _context(service, q, status))

    @router.get("/table")
    def table(
        request: Request, service: Reader, q: str = "", status: StatusFilter = ""
    ) -> Response:
        return render(request, "testhealth/_flaky_table.html", _context(service, q, status))

    return router


def _test_router() -> APIRouter:
    router = APIRouter()

    @router.get("/{test_id:path}")
    def test_page(request: Request, service: Reader, test_id: TestId) -> Response:
        found = service.health(test_id=test_id)
        if not found:
            raise NotFoundError(
                f"test {test_id!r} is unknown; the flaky-tests page lists known tests"
            )
        history = service.test_history(test_id, limit=100)
        durations = [float(h.get("duration_s") or 0.0) for h in reversed(history)]
        return render(
            request,
            "testhealth/test.html",
            {
                "test": found[0],
                "figures": figures_sentence(figure_cells(figures_view(found[0].figures))),
                "history": history,
                "duration_spark": charts.sparkline(durations, title=f"Duration of {test_id}"),
            },
        )

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
        )
        rates = charts.bar_chart(
            ["flaky runs", "CI retries", "runs with reruns"],
            [data.flaky_run_rate * 100, data.ci_retry_rate * 100, data.rerun_rate * 100],
            title="Flaky, retry and rerun rates",
            unit="%",
        )
        slowest = charts.bar_chart(
            [s.test_key for s in data.slow_tests],
            [s.mean_duration_s for s in data.slow_tests],
            title="Slowest tests (mean duration)",
            unit="s",
        )
        spread = charts.histogram(
            [t.mean_duration_s for t in service.health()],
            title="Distribution of mean test durations",
            unit="s",
        )
        budget = charts.line_chart(
            [b.day for b in data.budget_trend],
            {
                "suite": [b.suite_s for b in data.budget_trend],
                "budget": [data.time_budget_s for _ in data.budget_trend],
            },
            title="Suite runtime per day against its time budget",
            unit="s",
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

    @router.get("")
    def runs(request: Request, service: Reader) -> Response:
        return render(
            request,
            "testhealth/runs.html",
            {"runs": service.runs(limit=100), "clusters": service.clusters()},
        )

    @router.get("/{run_key}")
    def run_page(request: Request, service: Reader, run_key: RunKey) -> Response:
        detail = run_detail_view(service.run_detail(run_key), get_settings(request).links)
        return render(request, "testhealth/run.html", {"detail": detail})

    return router


def _quarantine_router() -> APIRouter:
    router = APIRouter()

    @router.get("")
    def quarantine(request: Request, service: Reader) -> Response:
        return render(
            request,
            "testhealth/quarantine.html",
            {"entries": service.quarantine_entries(), "message": None, "error": None},
        )

    @router.post("")
    def add(
        request: Request,
        service: Writer,
        *,
        test_id: Annotated[Text, Form(max_length=STORED_ID_LENGTH)],
        reason: Annotated[Text, Form(max_length=2000)],
        owner: Annotated[Line, Form(max_length=200)] = "",
        issue: Annotated[Line, Form(max_length=1000)] = "",
        expires_days: Annotated[int | None, Form(ge=1, le=MAX_EXPIRY_DAYS)] = None,
        allow_unknown: Annotated[bool, Form()] = False,
    ) -> Response:
        message = error = None
        try:
            if not test_id.strip() or not reason.strip():
                raise InputError("test id and reason are both required to quarantine a test")
            expires = (
                get_clock(request).now() + timedelta(days=expires_days) if expires_days else None
            )
            entry = service.quarantine_add(
                test_id.strip(),
                reason=reason.strip(),
                owner=owner.strip() or None,
                issue=issue.strip() or None,
                expires=expires,
                allow_unknown=allow_unknown,
            )
            message = f"Quarantined {entry.test_id} until {entry.expires:%Y-%m-%d}."
        except ReadinessError as exc:
            error = exc.message
        if not is_htmx(request):
            return RedirectResponse("/tests/quarantine", status_code=303)
        return render(
            request,
            "testhealth/_quarantine_list.html",
            {"entries": service.quarantine_entries(), "message": message, "error": error},
        )

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
