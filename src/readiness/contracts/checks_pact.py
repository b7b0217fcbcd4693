"""Gate checks of the Pact broker: ``contracts.can_i_deploy`` (deploy gate): the broker's matrix
says this version may go to the target environment; ``contracts.verified`` (merge gate): this
provider version verified, successfully, the pacts its build had to verify (see
:mod:`readiness.contracts.pact.evidence`); a pending pact's failure is a warning; no pacts at all
is a failure for missing evidence unless ``allow_no_pacts`` of ``[tool.readiness.contracts]``
is set.

It reads ``context.services["contracts_pact"]`` (anything with ``can_i_deploy(pacticipant,
version, environment)``, e.g. :class:`~readiness.contracts.pact.service.PactService`); the
pacticipant is ``context.services["contracts_pacticipant"]`` (default: the project's name), the
version ``context.head``, the environment ``context.environment``. Missing any of them, or a
broker that has no evidence, is a FAIL: this check never passes without a verified matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from readiness.errors import ReadinessError
from readiness.gate.model import Check, CheckResult, CheckStatus, Gate, GateContext

SERVICE_NAME = "contracts_pact"
PACTICIPANT = "contracts_pacticipant"
ALLOW_NO_PACTS = "contracts_allow_no_pacts"
REMEDIATION = (
    "Verify the pacts with the versions deployed to the target environment (the provider's "
    "build publishes verification results), then run `readiness contracts can-i-deploy`"
)


class Verdict(Protocol):
    """What the check reads of a can-i-deploy answer (a ``Decision``, or a remote one)."""

    @property
    def deployable(self) -> bool: ...
    @property
    def reason(self) -> str: ...
    @property
    def rows(self) -> Sequence[object]: ...


class Broker(Protocol):
    def can_i_deploy(self, pacticipant: str, version: str, environment: str) -> Verdict: ...


class PactEvidence(Protocol):
    """One pact the provider version had to verify (an ``Evidence``, or a remote one)."""

    @property
    def consumer(self) -> str: ...
    @property
    def consumer_version(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def pending(self) -> bool: ...


class VerificationEvidence(Protocol):
    def evidence(self, provider: str, provider_version: str) -> Sequence[PactEvidence]: ...


VERIFY_REMEDIATION = (
    "Run the provider's pact verification for this version with results published "
    "(pact-python's Verifier: broker_source(...) and set_publish_options(version=...))"
)


class VerifiedCheck:
    """The pacts this provider version had to verify are verified, successfully."""

    id: str = "contracts.verified"
    title: str = "Consumer pacts verified by this provider version"
    checklist_item: str = "Consumer-driven contracts verified before merging"
    gates: tuple[Gate, ...] = (Gate.MERGE,)

    def run(self, context: GateContext) -> CheckResult:
        broker: VerificationEvidence | None = context.services.get(SERVICE_NAME)
        provider = str(context.services.get(PACTICIPANT) or context.settings.project)
        if broker is None or not context.head:
            missing = [
                name
                for name, value in (
                    ("a Pact broker (contracts_pact service)", broker),
                    ("the version (--head)", context.head),
                )
                if not value
            ]
            return CheckResult(
                CheckStatus.FAIL,
                "No verification evidence: missing " + ", ".join(missing),
                {"missing": missing},
                remediation=VERIFY_REMEDIATION,
                missing_evidence=True,
            )
        try:
            found = broker.evidence(provider, context.head)
        except ReadinessError as exc:
            message = f"verification evidence unreadable: {exc.message}"
            return CheckResult(CheckStatus.ERROR, message)
        return _judge(provider, context.head, found, bool(context.services.get(ALLOW_NO_PACTS)))


def _judge(
    provider: str, version: str, found: Sequence[PactEvidence], allow_none: bool
) -> CheckResult:
    rows = [
        {
            "consumer": e.consumer,
            "consumer_version": e.consumer_version,
            "state": e.state,
            "pending": e.pending,
        }
        for e in found
    ]
    evidence = {"provider": provider, "version": version, "pacts": rows}
    if not found:
        if allow_none:
            return CheckResult(
                CheckStatus.PASS, f"{provider} has no consumer pacts (allowed)", evidence
            )
        return CheckResult(
            CheckStatus.FAIL,
            f"{provider} has no consumer pacts: nothing was verified",
            evidence,
            remediation=(
                "Publish the consumers' pacts, or set allow_no_pacts = true in "
                "[tool.readiness.contracts]"
            ),
            missing_evidence=True,
        )
    blocking = [e for e in found if e.state != "verified" and not e.pending]
    pending = [e for e in found if e.state != "verified" and e.pending]

    def named(items: list[PactEvidence]) -> str:
        return ", ".join(f"{e.consumer} {e.consumer_version} ({e.state})" for e in items)

    if blocking:
        return CheckResult(
            CheckStatus.FAIL,
            f"{provider} {version} did not verify: {named(blocking)}",
            evidence,
            remediation=VERIFY_REMEDIATION,
            missing_evidence=all(e.state == "unverified" for e in blocking),
        )
    if pending:
        return CheckResult(
            CheckStatus.WARN,
            f"{provider} {version}: pending pacts not verified: {named(pending)}",
            evidence,
            remediation=VERIFY_REMEDIATION,
        )
    return CheckResult(
        CheckStatus.PASS,
        f"{provider} {version} verified {len(found)} pact(s) successfully",
        evidence,
    )


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


CHECKS: list[Check] = [VerifiedCheck(), CanIDeployCheck()]


def gate_services(settings: Any, stores: Any) -> dict[str, Any]:
    """What a ``readiness_gate_services`` hook returns for this check: the project's broker, the
    local one or, for a gate against a server (``READINESS_URL``), the server's."""
    allow = {ALLOW_NO_PACTS: settings.contracts.allow_no_pacts}
    if stores is None:
        if not settings.is_remote:
            return {}
        from readiness.contracts.pact.remote_gate import RemoteGateBroker

        remote = RemoteGateBroker(str(settings.url), settings.resolved_token(), settings.project)
        return {SERVICE_NAME: remote, **allow}
    from readiness._common.clock import SystemClock
    from readiness.contracts.pact.service import PactService

    local = PactService(stores, SystemClock(), settings.project, notify=settings.notify)
    return {SERVICE_NAME: local, **allow}
