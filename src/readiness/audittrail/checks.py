"""The ``audit.verified`` gate check (deploy and verify gates).

It reads the trail's facts from ``context.services["audit"]`` (an :class:`AuditFacts`; the
audit trail plugin provides one on the audit database, tests pass a fake) and judges them with
:func:`~readiness.audit.verification.status.trail_status`: it passes only when the newest
verification run verified, is no older than ``audit.verified_max_age``, and a checkpoint covers
the whole log. No data, no run: a failure marked as missing evidence (never a pass).
"""

from __future__ import annotations

from typing import Any, Protocol

from readiness.audit.verification.status import TrailFacts, trail_status
from readiness.config import duration_of
from readiness.gate.model import Check, CheckResult, CheckStatus, Gate, GateContext

SERVICE_NAME = "audit"
NO_SERVICE = (
    "the audit database is not reachable from this gate run (a remote server is configured); "
    "run the gate where the audit database is, or look at /audit on the server"
)
REMEDIATION = (
    "Run `readiness audit verify --record` (the server also verifies every "
    "audit.verify_interval) and `readiness audit checkpoint`; if verification fails, the "
    "trail was altered: investigate before deploying"
)


class AuditFacts(Protocol):
    """What the check reads (implemented on the audit database by the plugin)."""

    def facts(self) -> TrailFacts: ...


def _evidence(facts: TrailFacts) -> dict[str, Any]:
    run = facts.latest_run
    return {
        "log_size": facts.log_size,
        "checkpoint_size": facts.checkpoint_size,
        "latest_run": run.as_dict() if run is not None else None,
    }


class AuditVerifiedCheck:
    """Fails unless the audit trail verified recently and a checkpoint covers it."""

    id: str = "audit.verified"
    title: str = "The audit trail verified recently and is covered by a checkpoint"
    checklist_item: str = (
        "An independent verification job can walk the chain daily and alert on any discontinuity."
    )
    gates: tuple[Gate, ...] = (Gate.DEPLOY, Gate.VERIFY)

    def run(self, context: GateContext) -> CheckResult:
        source: AuditFacts | None = context.services.get(SERVICE_NAME)
        if source is None:
            return CheckResult(
                CheckStatus.FAIL,
                "No audit evidence: " + NO_SERVICE,
                remediation=REMEDIATION,
                missing_evidence=True,
            )
        facts = source.facts()
        max_age = duration_of(context.settings.audit.verified_max_age)
        status = trail_status(facts, now=context.clock.now(), max_age=max_age)
        if status.ok:
            return CheckResult(CheckStatus.PASS, status.summary, _evidence(facts))
        return CheckResult(
            CheckStatus.FAIL,
            status.summary,
            _evidence(facts),
            remediation=REMEDIATION,
            missing_evidence=status.missing,
        )


def audit_checks() -> list[Check]:
    return [AuditVerifiedCheck()]
