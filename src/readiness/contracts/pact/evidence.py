"""What a provider version's verification evidence is, pure: the pacts its build had to verify
(the consumers' main branches and what is deployed or released, else each consumer's latest pact),
each with the version's verification result and whether the pact is still pending."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from readiness.contracts.pact.core import is_pending, pacts_for_verification
from readiness.contracts.pact.model import Pact, Selector, Snapshot, Verification

DEFAULT_SELECTORS = (Selector(main_branch=True), Selector(deployed_or_released=True))


@dataclass(frozen=True, slots=True)
class Evidence:
    """One pact the provider version had to verify and what it published for it."""

    pact: Pact
    verification: Verification | None  # this provider version's latest result, if any
    pending: bool  # never verified successfully from the provider's main branch

    @property
    def consumer(self) -> str:
        return self.pact.consumer

    @property
    def consumer_version(self) -> str:
        return self.pact.consumer_version

    @property
    def state(self) -> str:
        """``verified``, ``failed`` or ``unverified``."""
        if self.verification is None:
            return "unverified"
        return "verified" if self.verification.success else "failed"


def provider_evidence(snap: Snapshot, provider: str, provider_version: str) -> list[Evidence]:
    """The evidence for ``provider`` at ``provider_version`` (empty: it has no pacts at all)."""
    selected = pacts_for_verification(snap, provider, DEFAULT_SELECTORS)
    if not selected:  # no consumer has a main branch nor a deployment yet: each one's latest
        selected = pacts_for_verification(snap, provider, [Selector(latest=True)])
    out: list[Evidence] = []
    for item in selected:
        found = [
            v
            for v in snap.verifications
            if v.provider == provider
            and v.sha == item.pact.sha
            and v.provider_version == provider_version
        ]
        verification = max(found, key=lambda v: v.seq) if found else None
        out.append(Evidence(item.pact, verification, is_pending(snap, item.pact, None)))
    return out


def evidence_json(provider: str, provider_version: str, found: list[Evidence]) -> dict[str, Any]:
    """The evidence as the API answers it (what a remote gate reads)."""
    return {
        "provider": provider,
        "version": provider_version,
        "pacts": [
            {
                "consumer": e.consumer,
                "consumer_version": e.consumer_version,
                "sha": e.pact.sha,
                "state": e.state,
                "pending": e.pending,
            }
            for e in found
        ],
    }
