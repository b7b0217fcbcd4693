"""The ``migrations.lint`` merge-gate check: the configured migrations pass the linter."""

from __future__ import annotations

from readiness.gate.model import Check, CheckResult, CheckStatus, Gate, GateContext
from readiness.lint_reports.recorder import record_in_gate
from readiness.migrations import service
from readiness.migrations.model import Severity
from readiness.migrations.reports import SERVICE_NAME

REMEDIATION = (
    "Run `readiness migrations lint` and apply each finding's safe alternative, or suppress a "
    'finding you have checked with `-- readiness: allow RULE reason="..."`'
)
SHOWN = 10


class MigrationLintCheck:
    """Fails when a configured migration has a finding at or above ``fail_on``."""

    id: str = "migrations.lint"
    title: str = (
        "Migrations take no blocking lock, rewrite no table and keep the old version working"
    )
    checklist_item: str = "Schema migration is rollback-safe"
    gates: tuple[Gate, ...] = (Gate.MERGE,)

    def run(self, context: GateContext) -> CheckResult:
        settings = context.settings
        paths = service.configured_paths(settings)
        if not paths:
            return CheckResult(
                CheckStatus.SKIP,
                "no migrations configured ([tool.readiness.migrations] paths)",
                remediation='Set paths = ["migrations"] in [tool.readiness.migrations]',
            )
        config = settings.migrations
        report = service.lint(paths, service.options_from(config))
        threshold = Severity.parse(config.fail_on)
        failing = report.failing(threshold)
        record_in_gate(
            context, SERVICE_NAME, report, threshold, failed=service.fails(report, threshold)
        )
        evidence = {
            "files": report.files,
            "statements": report.statements,
            "findings": [f.as_dict() for f in failing[:SHOWN]],
            "errors": [e.as_dict() for e in report.errors[:SHOWN]],
            "suppressed": report.suppressed,
        }
        if report.errors:
            first = report.errors[0]
            return CheckResult(
                CheckStatus.FAIL,
                f"{len(report.errors)} migration(s) cannot be read or parsed "
                f"(first: {first.file}:{first.line}:{first.column}: {first.reason})",
                evidence,
                remediation=REMEDIATION,
            )
        if failing:
            first_f = failing[0]
            return CheckResult(
                CheckStatus.FAIL,
                f"{len(failing)} finding(s) at or above {threshold.label} in {report.files} "
                f"file(s) (first: {first_f.file}:{first_f.line} {first_f.rule})",
                evidence,
                remediation=REMEDIATION,
            )
        below = len(report.findings)
        status = CheckStatus.WARN if below else CheckStatus.PASS
        return CheckResult(
            status,
            f"{report.files} migration file(s), {report.statements} statement(s): "
            + (f"{below} finding(s) below {threshold.label}" if below else "no findings"),
            evidence,
        )


def migration_checks() -> list[Check]:
    return [MigrationLintCheck()]
