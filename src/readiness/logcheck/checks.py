"""The ``logs.no_pii_in_log_calls`` merge-gate check: the configured code passes the log linter.

No configured path, or configured paths without a Python file, fail as missing evidence: a gate
that found nothing to read has not shown that no log call leaks personal data.
"""

from __future__ import annotations

from readiness.gate.model import Check, CheckResult, CheckStatus, Gate, GateContext
from readiness.lint_reports.recorder import record_in_gate
from readiness.lint_reports.verdict import lint_verdict
from readiness.logcheck import service
from readiness.logcheck.lint import Severity
from readiness.logcheck.reports import SERVICE_NAME

REMEDIATION = (
    "Run `readiness logs lint` and apply each finding's fix, or suppress a finding you have "
    'checked with `# readiness: allow RULE reason="..."`'
)


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
        record_in_gate(
            context, SERVICE_NAME, report, threshold, failed=service.fails(report, threshold)
        )
        return lint_verdict(
            report,
            threshold,
            counts={},
            unlinted="file(s)",
            first=lambda f: f"{f.file}:{f.line} {f.rule} {f.name}",
            scope=f"{report.files} file(s)",
            remediation=REMEDIATION,
        )


def log_checks() -> list[Check]:
    return [NoPiiInLogCallsCheck()]
