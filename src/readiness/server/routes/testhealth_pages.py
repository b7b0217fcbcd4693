"""testhealth dashboard pages: overview, flaky tests, one test, suite health, quarantine."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from readiness.errors import InputError, NotFoundError, ReadinessError
from readiness.server import charts
from readiness.server.deps import get_clock
from readiness.server.pages import DashboardPage, is_htmx, render
from readiness.server.routes.testhealth import Reader, Writer
from readiness.testhealth.model import TestHealth, TestStatus

STATUS_ORDER = [s.value for s in TestStatus]


def _series(points: Any, key: str) -> tuple[list[str], list[float | None]]:
    """Days and values of a trend given as ``[{"day": ..., key: ...}, ...]``."""
    if not isinstance(points, list):
        return [], []
    days = [str(p.get("day", "")) for p in points if isinstance(p, dict)]
    values = [p.get(key) for p in points if isinstance(p, dict)]
    return days, [float(v) if isinstance(v, int | float) else None for v in values]


def _headline(value: Any, key: str) -> float | None:
    """The latest value of a metric given as a number or as a trend."""
    if isinstance(value, int | float):
        return float(value)
    _, values = _series(value, key)
    known = [v for v in values if v is not None]
    return known[-1] if known else None


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
        days, p50 = _series(suite.get("duration"), "p50")
        _, p95 = _series(suite.get("duration"), "p95")
        chart = charts.line_chart(
            days, {"p50": p50, "p95": p95}, title="Suite duration per day", unit="s"
        )
        return render(
            request,
            "overview.html",
            {
                "counts": [(s, counts.get(s, 0)) for s in STATUS_ORDER],
                "total": len(tests),
                "flaky_rate": _headline(suite.get("flaky_rate"), "rate"),
                "retry_rate": _headline(suite.get("retry_rate"), "rate"),
                "mttf_hours": _headline(suite.get("mttf_hours"), "hours"),
                "quarantine_size": _headline(suite.get("quarantine_size"), "size"),
                "duration_chart": chart,
            },
        )

    return router


def _flaky_router() -> APIRouter:
    router = APIRouter()

    def _context(service: Reader, q: str, status: str) -> dict[str, Any]:
        tests = _filter(service.flaky(), q, status)
        return {"tests": tests, "q": q, "status": status, "statuses": STATUS_ORDER}

    @router.get("")
    def flaky(request: Request, service: Reader, q: str = "", status: str = "") -> Response:
        return render(request, "flaky.html", _context(service, q, status))

    @router.get("/table")
    def table(request: Request, service: Reader, q: str = "", status: str = "") -> Response:
        return render(request, "_flaky_table.html", _context(service, q, status))

    return router


def _test_router() -> APIRouter:
    router = APIRouter()

    @router.get("/{test_id:path}")
    def test_page(request: Request, service: Reader, test_id: str) -> Response:
        found = service.health(test_id=test_id)
        if not found:
            raise NotFoundError(
                f"test {test_id!r} is unknown; the flaky-tests page lists known tests"
            )
        history = service.test_history(test_id, limit=100)
        durations = [float(h.get("duration_s") or 0.0) for h in reversed(history)]
        return render(
            request,
            "test.html",
            {
                "test": found[0],
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
        days, p50 = _series(data.get("duration"), "p50")
        _, p95 = _series(data.get("duration"), "p95")
        metric_charts = [
            charts.line_chart(
                days, {"p50": p50, "p95": p95}, title="Suite duration per day", unit="s"
            )
        ]
        for key, value_key, title in (
            ("flaky_rate", "rate", "Flaky rate per day"),
            ("quarantine_size", "size", "Quarantined tests per day"),
            ("retry_rate", "rate", "Retry rate per day"),
            ("mttf_hours", "hours", "Mean time to fix flaky tests (hours)"),
        ):
            xs, ys = _series(data.get(key), value_key)
            metric_charts.append(charts.line_chart(xs, {key: ys}, title=title))
        slowest = [s for s in data.get("slowest", []) if isinstance(s, dict)]
        bars = charts.bar_chart(
            [str(s.get("test_id")) for s in slowest],
            [float(s.get("mean_s") or 0.0) for s in slowest],
            title="Slowest tests (mean duration)",
            unit="s",
        )
        spread = charts.histogram(
            [t.mean_duration_s for t in service.health()],
            title="Distribution of mean test durations",
            unit="s",
        )
        return render(
            request,
            "suite_health.html",
            {
                "charts": metric_charts,
                "slowest_chart": bars,
                "duration_histogram": spread,
                "slowest_share": data.get("slowest_share"),
                "headline": {
                    "flaky_rate": _headline(data.get("flaky_rate"), "rate"),
                    "retry_rate": _headline(data.get("retry_rate"), "rate"),
                    "mttf_hours": _headline(data.get("mttf_hours"), "hours"),
                },
            },
        )

    return router


def _quarantine_router() -> APIRouter:
    router = APIRouter()

    @router.get("")
    def quarantine(request: Request, service: Reader) -> Response:
        return render(
            request,
            "quarantine.html",
            {"entries": service.quarantine_entries(), "message": None, "error": None},
        )

    @router.post("")
    def add(
        request: Request,
        service: Writer,
        *,
        test_id: Annotated[str, Form()],
        reason: Annotated[str, Form()],
        owner: Annotated[str, Form()] = "",
        issue: Annotated[str, Form()] = "",
        expires_days: Annotated[int | None, Form()] = None,
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
            )
            message = f"Quarantined {entry.test_id} until {entry.expires:%Y-%m-%d}."
        except ReadinessError as exc:
            error = exc.message
        if not is_htmx(request):
            return RedirectResponse("/tests/quarantine", status_code=303)
        return render(
            request,
            "_quarantine_list.html",
            {"entries": service.quarantine_entries(), "message": message, "error": error},
        )

    return router


def pages() -> list[DashboardPage]:
    """The testhealth dashboard pages, in navigation order."""
    return [
        DashboardPage("Overview", "/", 0, _overview_router()),
        DashboardPage("Flaky tests", "/tests/flaky", 10, _flaky_router()),
        DashboardPage("Test", "/tests/t", None, _test_router()),
        DashboardPage("Suite health", "/tests/health", 20, _suite_router()),
        DashboardPage("Quarantine", "/tests/quarantine", 30, _quarantine_router()),
    ]
