"""``POST /api/v1/logs/debug-grants`` (admin role): a debug grant for per-request DEBUG/TRACE.

The answer holds the grant (send it as ``X-Debug-Grant`` with ``X-Log-Level``, to a service whose
``DebugOverride`` middleware has the same key), its id, level and expiry. Issuing one is recorded
in the audit trail (``logs.debug_grant``, with the grant's id, level and TTL, never the grant).
The key is derived from the server's secret key (``server.secret_key_file``, the one that signs
dashboard sessions) with a purpose label, so neither is ever sent or logged. See docs/logs.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from readiness.audit.outbox.event import rfc3339
from readiness.audit.service import append_direct
from readiness.logs import override
from readiness.web.deps import Principal, get_clock, get_stores, require_admin, session_key

AUDIT_ACTION = "logs.debug_grant"
#: The longest grant the server issues (the handbook: an override reverts on its own).
MAX_TTL_SECONDS = override.DEFAULT_MAX_TTL_SECONDS
Admin = Annotated[Principal, Depends(require_admin)]


class GrantRequest(BaseModel):
    level: Literal["debug", "trace"] = Field(
        default="debug", description="The most verbose level the grant allows."
    )
    ttl_seconds: int = Field(
        default=override.DEFAULT_TTL_SECONDS,
        ge=1,
        le=MAX_TTL_SECONDS,
        description="How long the grant is valid, in seconds (default: 3600).",
    )


def grant_key(request: Request) -> bytes:
    """The grant key of this server (derived from its secret key)."""
    return override.derive_key(session_key(request))


def debug_grants_router(*, max_ttl_seconds: int = MAX_TTL_SECONDS) -> APIRouter:
    """The router, issuing grants of at most ``max_ttl_seconds`` (default: one hour)."""
    router = APIRouter(prefix="/logs", tags=["logs"])

    @router.post("/debug-grants")
    def issue(request: Request, who: Admin, body: GrantRequest) -> dict[str, Any]:
        """A new debug grant for the caller: the grant, its id, level and expiry."""
        clock = get_clock(request)
        now = clock.now()
        token, grant = override.issue_grant(
            grant_key(request),
            subject=who.actor,
            level=body.level,
            now=int(now.timestamp()),
            ttl_seconds=body.ttl_seconds,
            max_ttl_seconds=max_ttl_seconds,
        )
        expires_at = rfc3339(datetime.fromtimestamp(grant.expires, tz=UTC))
        append_direct(
            get_stores(request),
            clock=clock,
            actor=who.actor,
            action=AUDIT_ACTION,
            target_type="debug_grant",
            target_id=grant.grant_id,
            details={
                "level": grant.level,
                "ttl_seconds": body.ttl_seconds,
                "expires_at": expires_at,
            },
        )
        return {
            "grant": token,
            "grant_id": grant.grant_id,
            "level": grant.level,
            "subject": grant.subject,
            "expires_at": expires_at,
            "headers": {"X-Log-Level": grant.level, "X-Debug-Grant": token},
        }

    return router


router = debug_grants_router()
