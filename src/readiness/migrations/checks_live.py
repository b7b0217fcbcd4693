"""Gate checks ``migrations.rollback_safe`` (merge) and ``migrations.applied`` (deploy).

Both read a :class:`~readiness.migrations.live.gate.LiveGate` from
``context.services["migrations_live"]`` (the plugin builds it with ``LiveGate.from_settings``;
tests pass a fake). Neither passes without evidence: with no database configured the live check
is skipped with the reason, and an unknown database head fails as missing evidence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from readiness._common.words import plural
from readiness.errors import ReadinessError
from readiness.gate.model import Check, CheckResult, CheckStatus, Gate, GateContext

if TYPE_CHECKING:
    from readiness.migrations.live.verify import VerifyReport

SERVICE_NAME = "migrations_live"
SAFE_REMEDIATION = (
    "Make the change in expand/contract steps (`readiness migrations plan rename-column ...`): "
    "each step must keep the previous application version working"
)
APPLIED_REMEDIATION = (
    "Run the pending migrations on the deployed database before the new version takes traffic, "
    "or set expected_head in [tool.readiness.migrations] to the head this release expects"
)


class LiveFacts(Protocol):
    """What the checks read (see :class:`readiness.migrations.live.gate.LiveGate`)."""

    def verify_missing(self) -> list[str]: ...

    def run_verify(self) -> VerifyReport: ...

    def expected(self) -> str | None: ...

    def applied(self) -> tuple[str, str] | None: ...


def _evidence(report: VerifyReport) -> dict[str, Any]:
    data = report.as_dict()
    keys = ("previous", "head", "queries", "broken_queries", "migration_error", "roundtrip")
    return {k: data[k] for k in keys}


class RollbackSafeCheck:
    """The previous application version's queries still work after the pending migrations."""

    id: str = "migrations.rollback_safe"
    title: str = "Pending migrations keep the previous application version working"
    checklist_item: str = "Schema migration is rollback-safe"
    gates: tuple[Gate, ...] = (Gate.MERGE,)

    def run(self, context: GateContext) -> CheckResult:
        facts: LiveFacts | None = context.services.get(SERVICE_NAME)
        missing = facts.verify_missing() if facts is not None else ["migrations_live service"]
        if facts is None or missing:
            return CheckResult(
                CheckStatus.SKIP,
                "No database configured for the live rollback-safety check: set "
                + ", ".join(missing)
                + " in [tool.readiness.migrations]",
            )
        try:
            report = facts.run_verify()
        except ReadinessError as exc:
            return CheckResult(CheckStatus.ERROR, f"The live check could not run: {exc.message}")
        if report.ok:
            return CheckResult(
                CheckStatus.PASS,
                f"{plural(report.queries, 'query')} of version {report.previous} replayed "
                f"cleanly at {report.head}",
                _evidence(report),
            )
        broken = len(report.broken)
        what = (
            f"{plural(broken, 'old query', 'old queries')} broke"
            if broken
            else "the migrations do not apply cleanly"
        )
        return CheckResult(
            CheckStatus.FAIL,
            f"Not rollback-safe: {what} ({report.previous} -> {report.head})",
            _evidence(report),
            remediation=SAFE_REMEDIATION,
        )


class AppliedCheck:
    """The deployed database is at the head this release expects."""

    id: str = "migrations.applied"
    title: str = "The database schema is at the expected migration head"
    checklist_item: str = "Schema migration is rollback-safe"
    gates: tuple[Gate, ...] = (Gate.DEPLOY,)

    def run(self, context: GateContext) -> CheckResult:
        facts: LiveFacts | None = context.services.get(SERVICE_NAME)
        try:
            expected = facts.expected() if facts is not None else None
            applied = facts.applied() if facts is not None else None
        except ReadinessError as exc:
            return CheckResult(CheckStatus.ERROR, f"Cannot read the migration head: {exc.message}")
        if expected is None or applied is None:
            unknown = "expected head" if expected is None else "database head"
            return CheckResult(
                CheckStatus.FAIL,
                f"Unknown {unknown}: set database_url and directory (or expected_head) in "
                "[tool.readiness.migrations]",
                {"expected": expected, "applied": applied[1] if applied else None},
                remediation=APPLIED_REMEDIATION,
                missing_evidence=True,
            )
        tool, head = applied
        evidence = {"expected": expected, "applied": head, "tool": tool}
        from readiness.migrations.sources.ordered import same_version

        if same_version(head, expected):
            return CheckResult(CheckStatus.PASS, f"Database at {head} ({tool})", evidence)
        return CheckResult(
            CheckStatus.FAIL,
            f"Database at {head} ({tool}), expected {expected}",
            evidence,
            remediation=APPLIED_REMEDIATION,
        )


def live_checks() -> list[Check]:
    """The checks of this module, for the plugin's ``readiness_gate_checks`` hook."""
    return [RollbackSafeCheck(), AppliedCheck()]
