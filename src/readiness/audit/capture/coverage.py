"""Proof that capture is complete: every route of an app mapped to the audit events it emits.

Static half: the app's routes, their methods, tags and decorators, and the configuration of
its :class:`~readiness.audit.capture.middleware.AuditMiddleware`, resolved with the same
:func:`~readiness.audit.capture.policy.resolve` the middleware runs. Observed half: the JSON
lines the middleware writes during the app's own test run (``READINESS_AUDIT_OBSERVED``).

A route (one method of one path) is *uncovered* when it belongs to a "must be logged"
category and no event is planned for it (``uncovered``), or when the tests sent it requests
and none of them emitted an event (``missed``). :func:`coverage_report` is pure given the app
object; :func:`load_app` and :func:`read_observed` do the I/O.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from readiness._common.words import plural
from readiness.audit.capture.middleware import AuditMiddleware
from readiness.audit.capture.policy import (
    CATEGORY_TITLES,
    SPEC_ATTR,
    CapturePolicy,
    Category,
    Planned,
    resolve,
)
from readiness.errors import InputError

if TYPE_CHECKING:
    from readiness.config import Settings

NO_APP = (
    "no app to analyse: give APP as module:attr (e.g. myapp.main:app) or set "
    "[audit.capture] app in readiness.toml"
)
EXTERNAL = (
    "outside the app: capture it with PostgreSQL triggers (readiness audit capture "
    "install-triggers) and pgaudit"
)


@dataclass(frozen=True)
class RouteCoverage:
    """One method of one route: what it emits and whether that covers its categories."""

    method: str
    path: str
    status: str  # covered | uncovered | missed | unexercised | exempt | not_audited
    action: str | None
    categories: tuple[tuple[Category, str], ...]
    reason: str
    observed: tuple[str, ...] = ()  # actions seen in the test run
    requests: int = 0

    @property
    def failing(self) -> bool:
        return self.status in {"uncovered", "missed"}

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "action": self.action,
            "categories": [{"category": c.value, "because": why} for c, why in self.categories],
            "reason": self.reason,
            "observed_actions": list(self.observed),
            "observed_requests": self.requests,
        }


@dataclass
class CoverageReport:
    """The routes of one app and the eight categories, each covered or not."""

    app: str
    middleware: bool
    observed_file: str | None
    routes: list[RouteCoverage] = field(default_factory=list)
    categories: dict[Category, tuple[str, str]] = field(default_factory=dict)  # status, detail
    unknown_observed: list[str] = field(default_factory=list)

    @property
    def uncovered(self) -> list[RouteCoverage]:
        return [r for r in self.routes if r.failing]

    @property
    def uncovered_categories(self) -> list[Category]:
        return [c for c, (status, _) in self.categories.items() if status == "uncovered"]

    @property
    def complete(self) -> bool:
        return not self.uncovered and not self.uncovered_categories

    def as_dict(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "complete": self.complete,
            "middleware": self.middleware,
            "observed_file": self.observed_file,
            "routes": [r.as_dict() for r in self.routes],
            "categories": [
                {"category": c.value, "title": CATEGORY_TITLES[c], "status": s, "detail": d}
                for c, (s, d) in self.categories.items()
            ],
            "uncovered": [f"{r.method} {r.path}" for r in self.uncovered],
            "unknown_observed_routes": list(self.unknown_observed),
        }


def load_app(spec: str, root: Path | None = None) -> Any:
    """The object ``module:attr`` names, imported with ``root`` (default: the current
    directory) on the import path.

    The import path is restored afterwards, and the modules imported from ``root`` are taken
    out of ``sys.modules`` again (the app keeps them): loading leaves the process as it was, so
    a second project's module of the same name is its own, not the first one's.
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise InputError(f"APP {spec!r}: expected module:attribute, e.g. myapp.main:app")
    folder = Path(root or Path.cwd()).resolve()
    saved_path = list(sys.path)
    before = set(sys.modules)
    sys.path.insert(0, str(folder))
    try:
        app = _import_app(spec, module_name, attr)
    finally:
        sys.path[:] = saved_path
        for name in set(sys.modules) - before:
            if _is_under(sys.modules.get(name), folder):
                del sys.modules[name]
    return app


def _is_under(module: Any, folder: Path) -> bool:
    origin = getattr(module, "__file__", None)
    return origin is not None and Path(origin).resolve().is_relative_to(folder)


def _import_app(spec: str, module_name: str, attr: str) -> Any:
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"APP {spec!r}: cannot import {module_name}: {exc}") from exc
    app = module
    for part in attr.split("."):
        if not hasattr(app, part):
            raise InputError(f"APP {spec!r}: {module_name} has no attribute {attr}")
        app = getattr(app, part)
    inner = app.app if isinstance(app, AuditMiddleware) else app
    if not hasattr(inner, "routes"):
        raise InputError(f"APP {spec!r}: not a FastAPI or Starlette application")
    return app


def report_for(settings: Settings, app: str | None, observed: str | None) -> CoverageReport:
    """The coverage report of ``app`` (default ``[audit.capture] app``) with ``observed``
    (default ``[audit.capture] observed``; relative paths from the project directory)."""
    spec = app or settings.audit.capture.app
    if not spec:
        raise InputError(NO_APP)
    given = observed or settings.audit.capture.observed
    path = settings.path(given) if given else None
    lines = read_observed(path) if path is not None else None
    loaded = load_app(spec, settings.root)
    return coverage_report(loaded, spec, lines, str(path) if path is not None else None)


def read_observed(path: Path) -> list[dict[str, Any]]:
    """The lines the middleware wrote; an InputError naming the first bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--observed {path}: cannot read it ({exc.strerror})") from exc
    lines: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            item = None
        if not isinstance(item, dict) or not isinstance(item.get("actions"), list):
            raise InputError(f"--observed {path} line {number}: not a line the middleware wrote")
        lines.append(item)
    return lines


def _middleware_policy(app: Any) -> CapturePolicy | None:
    if isinstance(app, AuditMiddleware):  # the app wrapped by hand: AuditMiddleware(app, ...)
        return app.policy
    for middleware in getattr(app, "user_middleware", []):
        cls = getattr(middleware, "cls", None)
        if isinstance(cls, type) and issubclass(cls, AuditMiddleware):
            policy = getattr(middleware, "kwargs", {}).get("policy")
            return policy if isinstance(policy, CapturePolicy) else CapturePolicy()
    return None


def _observations(
    lines: Iterable[Mapping[str, Any]],
) -> dict[tuple[str, str], tuple[int, set[str]]]:
    seen: dict[tuple[str, str], tuple[int, set[str]]] = {}
    for line in lines:
        route = line.get("route")
        if not isinstance(route, str):
            continue
        count, actions = seen.get((str(line.get("method")), route), (0, set()))
        seen[str(line.get("method")), route] = (count + 1, actions | set(line["actions"]))
    return seen


def coverage_report(
    app: Any,
    name: str,
    observed: list[dict[str, Any]] | None = None,
    observed_file: str | None = None,
) -> CoverageReport:
    """Map every route of ``app`` to its planned and observed audit events."""
    policy = _middleware_policy(app)
    report = CoverageReport(name, policy is not None, observed_file)
    seen = _observations(observed) if observed is not None else None
    known: set[tuple[str, str]] = set()
    for path, route in _routes(app.app if isinstance(app, AuditMiddleware) else app, ""):
        methods = getattr(route, "methods", None)
        if not methods:
            report.routes.append(_mounted(path, route))
            continue
        extra = (getattr(route, "openapi_extra", None) or {}).get("x-audit-category", [])
        declared = [extra] if isinstance(extra, str) else list(extra)
        for method in sorted(m for m in methods if m != "HEAD"):
            known.add((method, path))
            plan = resolve(
                policy or CapturePolicy(),
                path,
                method,
                getattr(route, "endpoint", None),
                tags=route_tags(route),
                extra=declared,
            )
            report.routes.append(_judge(policy, plan, f"{method} {path}", seen))
    if seen is not None:
        report.unknown_observed = sorted(f"{m} {p}" for m, p in seen if (m, p) not in known)
    report.categories = _categories(report, policy)
    return report


def _routes(app: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """``(full path template, route)`` of every HTTP route, mounted apps' routes included."""
    for route in getattr(app, "routes", None) or []:
        path = getattr(route, "path", None)
        if not isinstance(path, str) or type(route).__name__ == "WebSocketRoute":
            continue
        inner = getattr(route, "app", None)
        if getattr(route, "methods", None) is None and hasattr(inner, "routes"):
            yield from _routes(inner, prefix + path)
        else:
            yield prefix + path, route


def _mounted(path: str, route: Any) -> RouteCoverage:
    """A mounted ASGI app without routes (static files, another framework): its requests
    pass the middleware but cannot be mapped to events; listed so no one assumes they are."""
    kind = type(getattr(route, "app", route)).__name__
    return RouteCoverage(
        method="*",
        path=path,
        status="not_audited",
        action=None,
        categories=(),
        reason=f"a mounted {kind} app: its requests are not routes the report can map",
    )


def route_tags(route: Any) -> list[str]:
    return [str(t) for t in getattr(route, "tags", None) or []]


def _judge(
    policy: CapturePolicy | None,
    plan: Planned,
    route: str,
    seen: dict[tuple[str, str], tuple[int, set[str]]] | None,
) -> RouteCoverage:
    method, _, path = route.partition(" ")
    requests, actions = seen.get((method, path), (0, set())) if seen is not None else (0, set())
    observed = tuple(sorted(actions))
    action: str | None = None
    if policy is None:
        status = "uncovered" if plan.categories else "not_audited"
        reason = "no AuditMiddleware on the app"
    elif plan.exempt:
        status, reason = "exempt", plan.reason
    elif plan.action is None:
        status, reason = "not_audited", plan.reason
    else:
        action, status, reason = plan.action, "covered", f"planned by {plan.reason}"
        if seen is not None and requests == 0:
            status, reason = "unexercised", f"{reason}; the tests never requested it"
        elif seen is not None and not actions:
            status = "missed"
            reason = f"{reason}, but the tests' {requests} requests emitted no audit event"
    return RouteCoverage(
        method=method,
        path=path,
        status=status,
        action=action,
        categories=plan.categories,
        reason=reason,
        observed=observed,
        requests=requests,
    )


def _categories(
    report: CoverageReport, policy: CapturePolicy | None
) -> dict[Category, tuple[str, str]]:
    out: dict[Category, tuple[str, str]] = {}
    for category in Category:
        if category is Category.OPERATOR_DB_ACCESS:
            out[category] = ("external", EXTERNAL)
            continue
        if category is Category.AUTHORIZATION_FAILURE:
            if policy is None:
                out[category] = ("uncovered", "no AuditMiddleware on the app")
            elif not policy.record_denials:
                out[category] = ("uncovered", "the middleware's record_denials is off")
            else:
                out[category] = ("covered", "the middleware records every 401 and 403")
            continue
        routes = [r for r in report.routes if any(c is category for c, _ in r.categories)]
        failing = [f"{r.method} {r.path}" for r in routes if r.failing]
        if not routes:
            out[category] = ("no_routes", "no route of the app is in this category")
        elif failing:
            out[category] = ("uncovered", "not audited: " + ", ".join(failing))
        else:
            out[category] = ("covered", f"{plural(len(routes), 'route')} audited or exempted")
    return out


__all__ = ["SPEC_ATTR", "CoverageReport", "RouteCoverage", "coverage_report", "load_app"]


def report_lines(report: CoverageReport) -> list[str]:
    """The report as the CLI prints it: a verdict, one line per route, one per category."""
    if report.complete:
        verdict = "complete"
    else:
        verdict = (
            f"INCOMPLETE: {plural(len(report.uncovered), 'uncovered route')}, "
            f"{plural(len(report.uncovered_categories), 'uncovered category')}"
        )
    lines = [f"audit capture of {report.app}: {verdict}"]
    if report.observed_file:
        lines.append(f"observed: {report.observed_file}")
    for r in report.routes:
        line = f"  {r.status:<12} {r.method:<6} {r.path} -> {r.action or '-'}: {r.reason}"
        if r.categories:
            line += " [" + "; ".join(f"{c.value}: {why}" for c, why in r.categories) + "]"
        lines.append(line)
    lines.append("categories:")
    for category, (status, detail) in report.categories.items():
        lines.append(f"  {status:<12} {CATEGORY_TITLES[category]}: {detail}")
    lines.extend(
        f"  observed but not a route of the app: {route}" for route in report.unknown_observed
    )
    return lines
