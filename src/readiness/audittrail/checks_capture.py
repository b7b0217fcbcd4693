"""Gate check ``audit.capture_coverage`` (merge gate): every route that must be audited is.

It analyses the app named by ``[audit.capture] app`` with the observed file of its test run
(``[audit.capture] observed``) when one is configured, as ``readiness audit coverage`` does.
It never passes on missing evidence: no app configured, or an observed file that is required
or configured but absent, fails with ``missing_evidence``; an app that cannot be imported is
an error.
"""

from __future__ import annotations

from readiness._common.words import plural
from readiness.audit.capture.coverage import CoverageReport, report_for
from readiness.audit.capture.policy import CATEGORY_TITLES
from readiness.errors import ReadinessError
from readiness.gate.model import Check, CheckResult, CheckStatus, Gate, GateContext

NO_APP = (
    'Set [audit.capture] app = "module:attr" in readiness.toml (the FastAPI app to analyse), '
    "add AuditMiddleware to it, and run its tests with READINESS_AUDIT_OBSERVED=FILE, "
    "naming FILE in [audit.capture] observed."
)
NO_OBSERVED = (
    "Run the app's tests with READINESS_AUDIT_OBSERVED={path} so the middleware records the "
    "audit events each route emits, then run the gate again."
)
FIX = (
    "Add AuditMiddleware to the app, or mark each uncovered route with @audited (or exempt it "
    "with @not_audited and a reason); see docs/audit-capture.md."
)
SHOWN = 5


class CaptureCoverageCheck:
    """Fails when a route in a "must be logged" category emits no audit event."""

    id: str = "audit.capture_coverage"
    title: str = "Audit capture covers every route that must be logged"
    checklist_item: str = (
        "Audit logging must be a framework concern, not per-developer responsibility. Use "
        "middleware or interceptors so it cannot be bypassed. One missed endpoint is a "
        "compliance failure."
    )
    gates: tuple[Gate, ...] = (Gate.MERGE,)

    def run(self, context: GateContext) -> CheckResult:
        capture = context.settings.audit.capture
        if not capture.app:
            return CheckResult(
                CheckStatus.FAIL,
                "No app is configured for the audit capture coverage check",
                remediation=NO_APP,
                missing_evidence=True,
            )
        if capture.observed:
            path = context.settings.path(capture.observed)
            if not path.is_file():
                return CheckResult(
                    CheckStatus.FAIL,
                    f"No observed audit capture of the app's test run at {path}",
                    {"app": capture.app, "observed_file": str(path)},
                    remediation=NO_OBSERVED.format(path=path),
                    missing_evidence=True,
                )
        elif capture.require_observed:
            return CheckResult(
                CheckStatus.FAIL,
                "No observed file is configured and [audit.capture] require_observed is set",
                {"app": capture.app},
                remediation=NO_OBSERVED.format(path="audit-observed.jsonl")
                + " Name the file in [audit.capture] observed.",
                missing_evidence=True,
            )
        try:
            report = report_for(context.settings, None, None)
        except ReadinessError as exc:
            return CheckResult(CheckStatus.ERROR, f"Cannot analyse {capture.app}: {exc}")
        return judge(report)


def judge(report: CoverageReport) -> CheckResult:
    """Pass when the report is complete, else fail naming each uncovered route and category."""
    evidence = report.as_dict()
    audited = sum(1 for r in report.routes if r.status in {"covered", "unexercised"})
    if report.complete:
        exempt = sum(1 for r in report.routes if r.status == "exempt")
        return CheckResult(
            CheckStatus.PASS,
            f"Capture of {report.app} is complete: {plural(audited, 'route')} audited, "
            f"{exempt} exempt",
            evidence,
        )
    named = [f"{r.method} {r.path} ({r.status})" for r in report.uncovered]
    named += [CATEGORY_TITLES[c] for c in report.uncovered_categories]
    shown = ", ".join(named[:SHOWN]) + (
        f" and {len(named) - SHOWN} more" if len(named) > SHOWN else ""
    )
    return CheckResult(
        CheckStatus.FAIL,
        f"{plural(len(report.uncovered), 'uncovered route')} and "
        f"{plural(len(report.uncovered_categories), 'uncovered category')} "
        f"in {report.app}: {shown}",
        evidence,
        remediation=FIX,
    )


def capture_checks() -> list[Check]:
    """The audit trail's capture checks."""
    return [CaptureCoverageCheck()]
