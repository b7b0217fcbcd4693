"""The two anonymous endpoints: liveness and version."""

from __future__ import annotations

from fastapi import APIRouter, Request

router = APIRouter(tags=["meta"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/version")
def version(request: Request) -> dict[str, str]:
    """The running Readiness version."""
    return {"version": str(request.app.state.version)}
