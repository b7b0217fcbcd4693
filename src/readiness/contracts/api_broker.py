"""The Pact broker's whole router: publishing and verification (:mod:`api_pact`) and the
deployment side (:mod:`api_pact_deploy`), mounted under the API prefix by the plugin."""

from __future__ import annotations

from fastapi import APIRouter

from readiness.contracts.api_pact import router as publishing
from readiness.contracts.api_pact_deploy import router as deployment


def api_router() -> APIRouter:
    """The broker's router: ``create_app(..., extra_routers=[api_router()])``."""
    whole = APIRouter()
    whole.include_router(publishing)
    whole.include_router(deployment)
    return whole
