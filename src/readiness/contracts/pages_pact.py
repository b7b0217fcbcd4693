"""The context of the dashboard's Pact page (``/contracts/pact``, :mod:`.pages`), read through
:class:`~readiness.contracts.pact.service.PactService`."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from readiness.storage.engine import Stores
from readiness.web.deps import get_clock


def pact_context(stores: Stores, project: str, request: Request) -> dict[str, Any]:
    """What the Pact page shows: pacticipants, the matrix of the newest pacts with their
    verification status, can-i-deploy of each latest version to each environment, and the
    contract coverage of each provider with a stored interface."""
    from readiness.contracts.pact.service import PactService

    service = PactService(stores, get_clock(request), project)
    snap = service.snapshot()
    environments = [str(e["name"]) for e in service.environments()]
    names = sorted({v.pacticipant for v in snap.versions} | set(snap.main_branches))
    latest: dict[str, Any] = {}
    for v in snap.versions:
        if v.pacticipant not in latest or v.seq > latest[v.pacticipant].seq:
            latest[v.pacticipant] = v
    pacticipants = [
        {
            "name": n,
            "main_branch": snap.main_branches.get(n),
            "versions": sum(1 for v in snap.versions if v.pacticipant == n),
            "latest": latest[n].number if n in latest else None,
        }
        for n in names
    ]
    newest: dict[tuple[str, str], Any] = {}
    for pact in snap.pacts:
        key = (pact.consumer, pact.provider)
        if key not in newest or pact.seq > newest[key].seq:
            newest[key] = pact
    matrix = []
    for (consumer, provider), pact in sorted(newest.items()):
        results = sorted(
            (
                x
                for x in snap.verifications
                if x.consumer == consumer and x.provider == provider and x.sha == pact.sha
            ),
            key=lambda x: x.seq,
        )
        last = results[-1] if results else None
        matrix.append(
            {
                "consumer": consumer,
                "consumer_version": pact.consumer_version,
                "provider": provider,
                "provider_version": last.provider_version if last else None,
                "status": "unverified"
                if last is None
                else "verified"
                if last.success
                else "failed",
                "published": pact.created_at,
            }
        )
    deploy = []
    for n in names:
        if n not in latest:
            continue
        for env in environments:
            decision = service.can_i_deploy(n, latest[n].number, env)
            deploy.append(
                {
                    "pacticipant": n,
                    "version": latest[n].number,
                    "environment": env,
                    "deployable": decision.deployable,
                    "reason": decision.reason,
                }
            )
    coverage = []
    for found, recorded in service.stored_coverage():
        coverage.append(
            {
                "provider": found.provider,
                "recorded": recorded,
                "endpoints": len(found.endpoints),
                "endpoints_covered": sum(1 for c in found.endpoints if c.consumers),
                "messages": len(found.messages),
                "messages_covered": sum(1 for c in found.messages if c.consumers),
                "uncovered": [
                    *(
                        {"kind": "endpoint", "name": c.name}
                        for c in found.endpoints
                        if not c.consumers
                    ),
                    *(
                        {"kind": "message type", "name": c.name}
                        for c in found.messages
                        if not c.consumers
                    ),
                ],
            }
        )
    return {
        "pacticipants": pacticipants,
        "matrix": matrix,
        "environments": environments,
        "deploy": deploy,
        "coverage": coverage,
    }
