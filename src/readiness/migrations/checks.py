"""The ``migrations.lint`` merge-gate check: the configured migrations pass the linter."""

from __future__ import annotations

from readiness.gate.model import Check, CheckResult, CheckStatus, Gate, GateContext
from readiness.lint_reports.recorder import record_in_gate
from readiness.lint_reports.verdict import lint_verdict
from readiness.migrations import service
from readiness.migrations.model import Severity
from readiness.migrations.reports import SERVICE_NAME

REMEDIATION = (
    "Run `readiness migrations lint` and apply each finding's safe alternative, or suppress a "
    'finding you have checked with `-- readiness: allow RULE reason="..."`'
)


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
        record_in_gate(
            context, SERVICE_NAME, report, threshold, failed=service.fails(report, threshold)
        )
        return lint_verdict(
            report,
            threshold,
            counts={"statements": report.statements},
            unlinted="migration(s)",
            first=lambda f: f"{f.file}:{f.line} {f.rule}",
            scope=f"{report.files} migration file(s), {report.statements} statement(s)",
            remediation=REMEDIATION,
        )


def migration_checks() -> list[Check]:
    return [MigrationLintCheck()]
