"""FastAPI dependencies: settings, stores, clock, the signed-in principal and role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request

from readiness._common.clock import Clock
from readiness.auth.core import (
    check_csrf,
    csrf_token,
    parse_authorization,
    read_session,
    role_allows,
)
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.errors import AuthError, PermissionDeniedError
from readiness.storage.engine import Stores

SESSION_COOKIE = "readiness_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's id, name and role, and how it was presented."""

    token_id: int
    name: str
    role: str
    via: str  # "token" (Authorization header) or "session" (dashboard cookie)

    @property
    def actor(self) -> str:
        """How this caller appears in audit events and ``created_by`` fields."""
        return f"{self.name}#{self.token_id}"


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_stores(request: Request) -> Stores:
    stores: Stores = request.app.state.stores
    return stores


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def session_key(request: Request) -> bytes:
    key: bytes = request.app.state.session_key
    return key


def token_service(request: Request, actor: str = "server") -> TokenService:
    return TokenService(stores=get_stores(request), clock=get_clock(request), actor=actor)


def resolve_principal(request: Request) -> Principal | None:
    """The caller, from the Authorization header or else the session cookie; cached per request.

    A presented but invalid token is an AuthError; a stale session cookie is just anonymous.
    """
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    principal: Principal | None = None
    request.state.csrf_token = ""
    header = request.headers.get("Authorization")
    token = parse_authorization(header)
    if header is not None and token is None:
        raise AuthError(
            "Authorization header not understood; send 'Bearer <token>' or Basic with the "
            "token as password"
        )
    if token is not None:
        info = token_service(request).authenticate(token)
        principal = Principal(info.id, info.name, info.role, "token")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        session = read_session(session_key(request), cookie, now=get_clock(request).now())
        if session is not None and cookie is not None:
            try:
                info = token_service(request).authenticate_id(session.token_id)
            except AuthError:
                info = None
            if info is not None:
                principal = Principal(info.id, info.name, info.role, "session")
                request.state.csrf_token = csrf_token(session_key(request), cookie)
    request.state.principal = principal
    return principal


async def _check_csrf(request: Request) -> None:
    cookie = request.cookies.get(SESSION_COOKIE, "")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not check_csrf(session_key(request), cookie, given):
        raise PermissionDeniedError(
            "CSRF token missing or wrong; reload the page and submit the form again",
            details={"reason": "csrf"},
        )


def require(role: str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that admits callers whose role allows ``role`` (and checks CSRF)."""

    async def dependency(request: Request) -> Principal:
        principal = resolve_principal(request)
        if principal is None:
            raise AuthError(
                "authentication required; send 'Authorization: Bearer <token>' or sign in at /login"
            )
        if not role_allows(principal.role, role):
            raise PermissionDeniedError(
                f"role {principal.role!r} may not do this; it needs the {role!r} role",
                details={"role": principal.role, "required": role},
            )
        if principal.via == "session" and request.method not in SAFE_METHODS:
            await _check_csrf(request)
        return principal

    dependency.__name__ = f"require_{role}"
    return dependency


require_reader = require("reader")
require_writer = require("writer")
require_admin = require("admin")
require_auditor = require("auditor")
