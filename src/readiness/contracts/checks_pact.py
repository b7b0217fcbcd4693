"""Gate check ``contracts.can_i_deploy`` (deploy gate): the broker's matrix says this version
may go to the target environment.

It reads ``context.services["contracts_pact"]`` (anything with ``can_i_deploy(pacticipant,
version, environment)``, e.g. :class:`~readiness.contracts.pact.service.PactService`); the
pacticipant is ``context.services["contracts_pacticipant"]`` (default: the project's name), the
version ``context.head``, the environment ``context.environment``. Missing any of them, or a
broker that has no evidence, is a FAIL: this check never passes without a verified matrix.
"""

from __future__ import annotations

from typing import Any, Protocol

from readiness.contracts.pact.model import Decision
from readiness.errors import ReadinessError
from readiness.gate.model import Check, CheckResult, CheckStatus, Gate, GateContext

SERVICE_NAME = "contracts_pact"
PACTICIPANT = "contracts_pacticipant"
REMEDIATION = (
    "Verify the pacts with the versions deployed to the target environment (the provider's "
    "build publishes verification results), then run `readiness contracts can-i-deploy`"
)


class Broker(Protocol):
    def can_i_deploy(self, pacticipant: str, version: str, environment: str) -> Decision: ...


class CanIDeployCheck:
    """This version's contracts are verified against everything in the target environment."""

    id: str = "contracts.can_i_deploy"
    title: str = "Contracts verified against the target environment (can-i-deploy)"
    checklist_item: str = "Consumer-driven contracts verified before deploying"
    gates: tuple[Gate, ...] = (Gate.DEPLOY,)

    def run(self, context: GateContext) -> CheckResult:
        broker: Broker | None = context.services.get(SERVICE_NAME)
        pacticipant = str(context.services.get(PACTICIPANT) or context.settings.project)
        missing = [
            name
            for name, value in (
                ("a Pact broker (contracts_pact service)", broker),
                ("the version (--head)", context.head),
                ("the target environment (--environment)", context.environment),
            )
            if not value
        ]
        if missing or broker is None or not context.head or not context.environment:
            return CheckResult(
                CheckStatus.FAIL,
                "No contract evidence: missing " + ", ".join(missing),
                {"missing": missing},
                remediation=REMEDIATION,
                missing_evidence=True,
            )
        try:
            decision = broker.can_i_deploy(pacticipant, context.head, context.environment)
        except ReadinessError as exc:
            return CheckResult(CheckStatus.ERROR, f"can-i-deploy could not run: {exc.message}")
        evidence = {
            "pacticipant": pacticipant,
            "version": context.head,
            "environment": context.environment,
            "rows": len(decision.rows),
        }
        if decision.deployable and decision.rows:
            return CheckResult(CheckStatus.PASS, decision.reason, evidence)
        reason = (
            decision.reason
            if decision.rows or not decision.deployable
            else (f"{pacticipant} has no pacts as consumer or provider: nothing was verified")
        )
        return CheckResult(
            CheckStatus.FAIL,
            reason,
            evidence,
            remediation=REMEDIATION,
            missing_evidence=not decision.rows,
        )


CHECKS: list[Check] = [CanIDeployCheck()]


def gate_services(settings: Any, stores: Any) -> dict[str, Any]:
    """What a ``readiness_gate_services`` hook returns for this check: the project's broker
    (nothing without stores, and the check then fails for missing evidence)."""
    if stores is None:
        return {}
    from readiness._common.clock import SystemClock
    from readiness.contracts.pact.service import PactService

    return {SERVICE_NAME: PactService(stores, SystemClock(), settings.project)}
