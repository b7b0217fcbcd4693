"""Dashboard sign-in (``/login`` takes a token once, with the form's CSRF token, and starts a
server-side session named by a signed cookie), sign-out (ends that session on the server) and
the project switcher (``/project``) and the admin's sessions page (``/admin/sessions``)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from readiness._common.words import plural
from readiness.auth.core import SessionData, check_login_csrf, read_session, sign_session
from readiness.auth.sessions import SessionService
from readiness.errors import AuthError, PermissionDeniedError
from readiness.web.deps import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    client_address,
    get_clock,
    get_settings,
    is_secure,
    project_service,
    require_admin,
    require_reader,
    session_key,
    session_service,
    token_service,
)
from readiness.web.inputs import INT32_MAX
from readiness.web.pages import is_htmx, remember_project, render, render_login

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would turn the login form into a phishing aid.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    """The sign-in form (with its CSRF token)."""
    return render_login(request, error=None, next=_safe_next(next))


LOGIN_CSRF_MESSAGE = "CSRF token missing or wrong; reload the page and submit the form again"


@router.post("/login")
def login(
    request: Request,
    token: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Check the form's CSRF token and the API token, then start a server-side session.

    The token itself is never put in the cookie: the cookie names the stored session, which
    sign-out or an admin ends.
    """
    sessions = session_service(request)
    client = request.headers.get("User-Agent", "")
    address = client_address(request)
    server = get_settings(request).server
    window = timedelta(minutes=server.sign_in_lock_minutes)
    now = get_clock(request).now()
    locked = sessions.sign_in_locked_until(
        address, limit=server.sign_in_max_failures, window=window
    )
    if locked is not None:
        sessions.login_failed("locked", client=client, address=address)
        return _locked_out(request, next, wait=locked - now)
    if not check_login_csrf(session_key(request), request.cookies.get(LOGIN_COOKIE), csrf_token):
        sessions.login_failed("csrf", client=client, address=address, window=window)
        raise PermissionDeniedError(LOGIN_CSRF_MESSAGE, details={"reason": "csrf"})
    try:
        info = token_service(request).authenticate(token.strip())
    except AuthError as exc:
        sessions.login_failed(exc.message, client=client, address=address, window=window)
        return render_login(request, error=exc.message, next=_safe_next(next), status_code=401)
    sessions.sign_in_succeeded(address)
    hours = server.session_hours
    expires = now + timedelta(hours=hours)
    if info.expires_at is not None:
        expires = min(expires, info.expires_at)
    actor = session_service(request, actor=f"{info.name}#{info.id}")
    _end_previous(request, actor)
    secret, _ = actor.start(info, expires_at=expires, client=client, address=address)
    cookie = sign_session(
        session_key(request),
        SessionData(token_id=info.id, expires=int(expires.timestamp()), session_id=secret),
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=max(1, int((expires - now).total_seconds())),
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
        path="/",
    )
    return response


def _locked_out(request: Request, next: str, *, wait: timedelta) -> Response:
    """The sign-in form refusing an address with too many recent failures (429, Retry-After)."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    minutes = math.ceil(seconds / 60)
    message = (
        f"Too many failed sign-ins from this address: try again in {plural(minutes, 'minute')}."
    )
    response = render_login(request, error=message, next=_safe_next(next), status_code=429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _end_previous(request: Request, sessions: SessionService) -> None:
    """Signing in again replaces the browser's session: the old cookie must not outlive it."""
    held = read_session(
        session_key(request), request.cookies.get(SESSION_COOKIE), now=get_clock(request).now()
    )
    previous = sessions.find_active(held.session_id) if held is not None else None
    if previous is not None:
        sessions.sign_out(previous.id, reason="replaced")


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session on the server (CSRF-checked like every dashboard form): a copy of the
    cookie is worthless afterwards."""
    who = await require_reader(request)
    session_id: int | None = getattr(request.state, "session_id", None)
    if who.via == "session" and session_id is not None:
        session_service(request, actor=who.actor).sign_out(session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/project")
async def switch_project(
    request: Request, project: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
) -> Response:
    """The project switcher: make ``project`` the dashboard's current project, then go back."""
    who = await require_reader(request)
    chosen = project_service(request).resolve(
        project,
        allowed=who.projects,
        default=get_settings(request).project,
        token=who.name,
    )
    target = _safe_next(next)
    response: Response
    if is_htmx(request):
        response = Response(status_code=200, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    remember_project(request, response, chosen.name)
    return response


@router.get("/admin/sessions", response_class=HTMLResponse)
async def sessions_page(request: Request, revoked: int | None = None) -> Response:
    """The open dashboard sessions, each with a revoke button (admin role)."""
    await require_admin(request)
    return render(
        request,
        "sessions.html",
        {
            "sessions": session_service(request).list(),
            "current_session": getattr(request.state, "session_id", None),
            "message": f"Session {revoked} revoked." if revoked is not None else None,
        },
    )


@router.post("/admin/sessions/{session_id}/revoke")
async def revoke_session_form(
    request: Request, session_id: Annotated[int, Path(ge=1, le=INT32_MAX)]
) -> Response:
    """End a session from the sessions page (admin role, CSRF-checked), then show the list."""
    who = await require_admin(request)
    session_service(request, actor=who.actor).revoke(session_id)
    return RedirectResponse(f"/admin/sessions?revoked={session_id}", status_code=303)
