"""Dashboard session administration (admin role): ``/api/v1/sessions``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from readiness.auth.sessions import SessionInfo
from readiness.web.deps import Principal, require_admin, session_service
from readiness.web.inputs import INT32_MAX

router = APIRouter(prefix="/sessions", tags=["sessions"])

Admin = Annotated[Principal, Depends(require_admin)]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class SessionView(BaseModel):
    """A dashboard session as the API shows it: never its secret."""

    id: int
    token_id: int = Field(description="The token that signed in.")
    token_name: str
    created_at: Timestamp
    expires_at: Timestamp
    last_seen_at: Timestamp = Field(description="Last request (to the minute).")
    ended_at: Timestamp | None
    ended_by: str | None = Field(description="Who ended it (`name#id` of a token).")
    end_reason: Literal["signed-out", "replaced", "revoked"] | None
    client: str = Field(description="The browser's User-Agent (first 200 characters).")
    address: str = Field(description="The client's address as the server saw it.")


def session_view(info: SessionInfo) -> dict[str, Any]:
    """A session without its secret."""
    return {
        "id": info.id,
        "token_id": info.token_id,
        "token_name": info.token_name,
        "created_at": info.created_at.isoformat(),
        "expires_at": info.expires_at.isoformat(),
        "last_seen_at": info.last_seen_at.isoformat(),
        "ended_at": info.ended_at.isoformat() if info.ended_at else None,
        "ended_by": info.ended_by,
        "end_reason": info.end_reason,
        "client": info.client,
        "address": info.address,
    }


@router.get("", response_model=list[SessionView])
def list_sessions(
    request: Request,
    _: Admin,
    include_ended: Annotated[
        bool, Query(description="Also list sessions that ended or expired.")
    ] = False,
) -> list[dict[str, Any]]:
    """Dashboard sessions, newest first: the active ones unless ``include_ended``."""
    return [session_view(s) for s in session_service(request).list(include_ended=include_ended)]


@router.delete("/{session_id}", response_model=SessionView)
def revoke_session(
    request: Request, session_id: Annotated[int, Path(ge=1, le=INT32_MAX)], who: Admin
) -> dict[str, Any]:
    """End a session now: its cookie stops working at once (also for copies of it)."""
    return session_view(session_service(request, who.actor).revoke(session_id))
