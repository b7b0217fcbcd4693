"""The ``logs.no_pii_in_log_calls`` merge-gate check: the configured code passes the log linter.

No configured path, or configured paths without a Python file, fail as missing evidence: a gate
that found nothing to read has not shown that no log call leaks personal data.
"""

from __future__ import annotations

from readiness.gate.model import Check, CheckResult, CheckStatus, Gate, GateContext
from readiness.lint_reports.recorder import record_in_gate
from readiness.logcheck import service
from readiness.logcheck.lint import Severity
from readiness.logcheck.reports import SERVICE_NAME

REMEDIATION = (
    "Run `readiness logs lint` and apply each finding's fix, or suppress a finding you have "
    'checked with `# readiness: allow RULE reason="..."`'
)
SHOWN = 10


class NoPiiInLogCallsCheck:
    """Fails when a log call of the configured code has a finding at or above ``fail_on``."""

    id: str = "logs.no_pii_in_log_calls"
    title: str = "Log calls attach no personal data, secrets or whole request objects"
    checklist_item: str = "No PII in logs"
    gates: tuple[Gate, ...] = (Gate.MERGE,)

    def run(self, context: GateContext) -> CheckResult:
        settings = context.settings
        paths = service.configured_paths(settings)
        if not paths:
            return CheckResult(
                CheckStatus.FAIL,
                "no code to lint: no lint_paths in [tool.readiness.logs], no src/ and no package "
                "at the project's root",
                remediation='Set lint_paths = ["src"] in [tool.readiness.logs]',
                missing_evidence=True,
            )
        existing = [p for p in paths if p.exists()]
        config = settings.logs
        report = service.lint(existing, service.options_from(config), base=settings.root)
        if not report.files:
            shown = [service.shown_path(p, settings.root) for p in paths]
            return CheckResult(
                CheckStatus.FAIL,
                f"no Python file found under lint_paths ({', '.join(shown)})",
                {"paths": shown},
                remediation="Point lint_paths in [tool.readiness.logs] at the service's code",
                missing_evidence=True,
            )
        threshold = Severity.parse(config.fail_on)
        failing = report.failing(threshold)
        record_in_gate(
            context, SERVICE_NAME, report, threshold, failed=service.fails(report, threshold)
        )
        evidence = {
            "files": report.files,
            "findings": [f.as_dict() for f in failing[:SHOWN]],
            "errors": [e.as_dict() for e in report.errors[:SHOWN]],
            "suppressed": report.suppressed,
        }
        if report.errors:
            first = report.errors[0]
            return CheckResult(
                CheckStatus.FAIL,
                f"{len(report.errors)} file(s) cannot be read or parsed "
                f"(first: {first.file}:{first.line}:{first.column}: {first.reason})",
                evidence,
                remediation=REMEDIATION,
            )
        if failing:
            first_f = failing[0]
            return CheckResult(
                CheckStatus.FAIL,
                f"{len(failing)} finding(s) at or above {threshold.label} in {report.files} "
                f"file(s) (first: {first_f.file}:{first_f.line} {first_f.rule} {first_f.name})",
                evidence,
                remediation=REMEDIATION,
            )
        below = len(report.findings)
        return CheckResult(
            CheckStatus.WARN if below else CheckStatus.PASS,
            f"{report.files} file(s): "
            + (f"{below} finding(s) below {threshold.label}" if below else "no findings"),
            evidence,
        )


def log_checks() -> list[Check]:
    return [NoPiiInLogCallsCheck()]
