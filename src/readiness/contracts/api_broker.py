"""The Pact broker's whole router: publishing and verification (:mod:`api_pact`), the
deployment side (:mod:`api_pact_deploy`) and contract coverage (:mod:`api_pact_coverage`),
mounted under the API prefix and at the root by the plugin."""

from __future__ import annotations

from fastapi import APIRouter

from readiness.contracts.api_pact import router as publishing
from readiness.contracts.api_pact_coverage import router as coverage
from readiness.contracts.api_pact_deploy import router as deployment


def api_router() -> APIRouter:
    """The broker's router: ``create_app(..., extra_routers=[api_router()])``."""
    whole = APIRouter()
    whole.include_router(publishing)
    whole.include_router(deployment)
    whole.include_router(coverage)
    return whole
