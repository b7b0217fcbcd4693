"""Token administration (admin role): ``/api/v1/tokens``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from readiness.auth.core import MAX_EXPIRES_DAYS, TokenInfo
from readiness.web.deps import Principal, require_admin, token_service
from readiness.web.inputs import INT32_MAX, JsonBody, Line

router = APIRouter(prefix="/tokens", tags=["tokens"])

Admin = Annotated[Principal, Depends(require_admin)]
Role = Literal["reader", "writer", "admin", "auditor"]  # readiness.auth.core.ROLES


class TokenRequest(JsonBody):
    """Body of ``POST /api/v1/tokens``."""

    name: Line = Field(min_length=1, max_length=200)
    role: Role
    expires_days: int | None = Field(default=None, ge=1, le=MAX_EXPIRES_DAYS)
    projects: list[Annotated[Line, Field(max_length=200)]] | None = Field(
        max_length=100,
        default=None,
        description="Limit the token to these projects (omit: every project; not for admins).",
        examples=[["shop", "billing"]],
    )


Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class TokenView(BaseModel):
    """A token as the API shows it: never its secret."""

    id: int
    name: str
    role: Role
    prefix: str = Field(description="The first characters of the token, to recognise it.")
    created_at: Timestamp
    created_by: str
    expires_at: Timestamp | None
    revoked_at: Timestamp | None
    last_used_at: Timestamp | None
    projects: list[str] | None = Field(description="The projects it is limited to (null: all).")


class CreatedToken(TokenView):
    """A new token: the only response that carries its secret."""

    token: str = Field(description="The secret (`rdy_...`); only its SHA-256 is stored.")


def token_view(info: TokenInfo) -> dict[str, Any]:
    """A token without its secret."""
    return {
        "id": info.id,
        "name": info.name,
        "role": info.role,
        "prefix": info.prefix,
        "created_at": info.created_at.isoformat(),
        "created_by": info.created_by,
        "expires_at": info.expires_at.isoformat() if info.expires_at else None,
        "revoked_at": info.revoked_at.isoformat() if info.revoked_at else None,
        "last_used_at": info.last_used_at.isoformat() if info.last_used_at else None,
        "projects": list(info.projects) if info.projects is not None else None,
    }


@router.get("", response_model=list[TokenView])
def list_tokens(request: Request, _: Admin) -> list[dict[str, Any]]:
    """Every token, without secrets."""
    return [token_view(t) for t in token_service(request).list()]


@router.post("", status_code=201, response_model=CreatedToken)
def create_token(request: Request, body: TokenRequest, who: Admin) -> dict[str, Any]:
    """Create a token; the response is the only time its secret is shown."""
    token, info = token_service(request, who.actor).create(
        name=body.name, role=body.role, expires_days=body.expires_days, projects=body.projects
    )
    return {"token": token, **token_view(info)}


@router.delete("/{token_id}", response_model=TokenView)
def revoke_token(
    request: Request, token_id: Annotated[int, Path(ge=1, le=INT32_MAX)], who: Admin
) -> dict[str, Any]:
    """Revoke a token for good."""
    return token_view(token_service(request, who.actor).revoke(token_id))
