"""FastAPI dependencies: settings, stores, clock, the signed-in principal, role checks and the
project a request acts on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyCookie, HTTPBasic, HTTPBearer
from starlette.requests import HTTPConnection

from readiness._common.clock import Clock
from readiness.auth.core import (
    check_csrf,
    csrf_token,
    parse_authorization,
    read_session,
    role_allows,
)
from readiness.auth.service import TokenService
from readiness.auth.sessions import SessionService
from readiness.config import Settings
from readiness.errors import AuthError, PermissionDeniedError, ReadinessError
from readiness.projects.service import ProjectService
from readiness.storage.engine import Stores
from readiness.storage.projects import Project

SESSION_COOKIE = "readiness_session"
LOGIN_COOKIE = "readiness_login"  # the sign-in form's CSRF nonce (before any session exists)
PROJECT_COOKIE = "readiness_project"  # the dashboard's current project (a preference, not a right)
PROJECT_PARAM = "project"
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
    projects: frozenset[str] | None = None  # None: every project

    @property
    def actor(self) -> str:
        """How this caller appears in audit events and ``created_by`` fields."""
        return f"{self.name}#{self.token_id}"


def may(principal: Principal | None, role: str) -> bool:
    """Whether ``principal`` (None: signed out) holds a role that allows ``role``'s actions.

    The dashboard's templates call it (a Jinja global) to draw an action only for those who
    may run it; the routes behind actions check the same rule with :func:`require`.
    """
    return principal is not None and role_allows(principal.role, role)


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


def session_service(request: Request, actor: str = "server") -> SessionService:
    return SessionService(stores=get_stores(request), clock=get_clock(request), actor=actor)


def client_address(request: Request) -> str:
    """The peer's address (the proxy's, behind one), for session listings and audit events."""
    return request.client.host if request.client is not None else ""


def is_secure(request: Request) -> bool:
    """Whether the browser reached us over HTTPS: directly, or through a trusted proxy saying so.

    ``X-Forwarded-Proto`` is believed only from an address in ``server.trusted_proxies``.
    """
    if request.url.scheme == "https":
        return True
    trusted = get_settings(request).server.trusted_proxies
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return forwarded == "https" and client_address(request) in trusted


def _limits(projects: tuple[str, ...] | None) -> frozenset[str] | None:
    return None if projects is None else frozenset(projects)


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
        principal = Principal(info.id, info.name, info.role, "token", _limits(info.projects))
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        session = read_session(session_key(request), cookie, now=get_clock(request).now())
        stored = session_service(request).find_active(session.session_id) if session else None
        if session is not None and cookie is not None and stored is not None:
            try:
                info = token_service(request).authenticate_id(stored.token_id)
            except AuthError:
                info = None
            if info is not None and info.id == session.token_id:
                request.state.session_id = stored.id
                principal = Principal(
                    info.id, info.name, info.role, "session", _limits(info.projects)
                )
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


class _Declared:
    """A security scheme declared for the OpenAPI document only: :func:`resolve_principal`
    reads the credentials itself (one parser for the header and the cookie, one error shape)."""

    async def __call__(self, request: HTTPConnection) -> None:
        return None


# The mixin comes first: its __call__ replaces the parsers of FastAPI's classes.
class _Bearer(_Declared, HTTPBearer):
    pass


class _Basic(_Declared, HTTPBasic):
    pass


class _Cookie(_Declared, APIKeyCookie):
    pass


BEARER = _Bearer(
    scheme_name="bearerAuth",
    description="An API token: `Authorization: Bearer rdy_...` (`readiness tokens create`).",
    auto_error=False,
)
BASIC = _Basic(
    scheme_name="basicAuth",
    description="HTTP Basic with the API token as the password (any user name), for clients "
    "that only speak Basic.",
    auto_error=False,
)
SESSION = _Cookie(
    name=SESSION_COOKIE,
    scheme_name="sessionCookie",
    description="The dashboard's session (sign in at /login); requests other than GET, HEAD "
    f"and OPTIONS also need the CSRF token in `{CSRF_HEADER}` or the `{CSRF_FIELD}` field.",
    auto_error=False,
)


def _credentials(
    _bearer: Annotated[None, Security(BEARER)],
    _basic: Annotated[None, Security(BASIC)],
    _session: Annotated[None, Security(SESSION)],
) -> None:
    """How a caller may authenticate; each route's requirement lists the role it needs."""


AUTH_REQUIRED = "authentication required; send 'Authorization: Bearer <token>' or sign in at /login"


def require(role: str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that admits callers whose role allows ``role`` (and checks CSRF)."""

    declared = Security(_credentials, scopes=[role])

    # ``_security`` only declares the route's security in the OpenAPI document.
    async def dependency(request: Request, _security: None = declared) -> Principal:
        principal = resolve_principal(request)
        if principal is None:
            raise AuthError(AUTH_REQUIRED)
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


def project_service(request: Request, actor: str = "server") -> ProjectService:
    return ProjectService(stores=get_stores(request), clock=get_clock(request), actor=actor)


def _is_dashboard(request: Request) -> bool:
    from readiness.web.routing import is_api

    return not is_api(request)


def _remembered(request: Request, service: ProjectService, principal: Principal) -> str | None:
    """The dashboard's current project from its cookie, when it is still usable."""
    name = request.cookies.get(PROJECT_COOKIE)
    if not name or (principal.projects is not None and name not in principal.projects):
        return None
    try:
        return name if service.find(name) is not None else None
    except ReadinessError:  # a cookie is user input: a malformed one is ignored
        return None


def current_project(
    request: Request,
    project: Annotated[
        str | None,
        Query(
            alias=PROJECT_PARAM,
            max_length=200,
            description="The project to act on (default: the token's only project when it is "
            "limited to one, else the server's default project).",
        ),
    ] = None,
) -> Project:
    """The project this request acts on: 404 when unknown, 403 when the token may not use it.

    API calls name it with ``?project=``; without it they act on the token's only project
    (when limited to one) or the server's default project. The dashboard also remembers the
    project chosen with the switcher (or last named in a link) in a cookie, and starts a
    reader limited to other projects on the first of theirs.
    """
    cached: Project | None = getattr(request.state, "project", None)
    if cached is not None:
        return cached
    principal = resolve_principal(request)
    if principal is None:
        raise AuthError(AUTH_REQUIRED)
    service = project_service(request)
    default = get_settings(request).project
    dashboard = _is_dashboard(request)
    requested = project
    if requested is None and dashboard:
        requested = _remembered(request, service, principal)
        limits = principal.projects
        if requested is None and limits and default not in limits and len(limits) > 1:
            requested = min(limits)
    chosen = service.resolve(
        requested, allowed=principal.projects, default=default, token=principal.name
    )
    request.state.project = chosen
    if dashboard:
        request.state.project_choices = [p.name for p in service.list(allowed=principal.projects)]
        request.state.remember_project = project is not None
    return chosen


CurrentProject = Annotated[Project, Depends(current_project)]


Refusal = Callable[[Request, Principal, str], None]


def require_recorded(role: str, on_refusal: Refusal) -> Callable[[Request], Awaitable[Principal]]:
    """Like :func:`require`, and a signed-in caller refused for their role is first passed to
    ``on_refusal(request, principal, role)`` (the audit trail records such refusals)."""
    inner = require(role)
    declared = Security(_credentials, scopes=[role])

    async def dependency(request: Request, _security: None = declared) -> Principal:
        try:
            return await inner(request)
        except PermissionDeniedError as exc:
            principal = resolve_principal(request)
            if principal is not None and exc.details.get("reason") != "csrf":
                on_refusal(request, principal, role)
            raise

    dependency.__name__ = f"require_{role}_recorded"
    return dependency
