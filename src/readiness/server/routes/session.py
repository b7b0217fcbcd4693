"""Dashboard sign-in (``/login`` takes a token once and sets a signed session cookie), sign-out
and the project switcher (``/project``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from readiness.auth.core import SessionData, sign_session
from readiness.errors import AuthError
from readiness.web.deps import (
    SESSION_COOKIE,
    get_clock,
    get_settings,
    project_service,
    require_reader,
    session_key,
    token_service,
)
from readiness.web.pages import is_htmx, remember_project, render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would turn the login form into a phishing aid.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    return render(request, "login.html", {"error": None, "next": _safe_next(next)})


@router.post("/login")
def login(
    request: Request, token: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
) -> Response:
    """Check the token and start a session; the token itself is never put in the cookie."""
    try:
        info = token_service(request).authenticate(token.strip())
    except AuthError as exc:
        return render(
            request,
            "login.html",
            {"error": exc.message, "next": _safe_next(next)},
            status_code=401,
        )
    now = get_clock(request).now()
    hours = get_settings(request).server.session_hours
    expires = now + timedelta(hours=hours)
    if info.expires_at is not None:
        expires = min(expires, info.expires_at)
    cookie = sign_session(
        session_key(request), SessionData(token_id=info.id, expires=int(expires.timestamp()))
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=max(1, int((expires - now).total_seconds())),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session (CSRF-checked like every dashboard form)."""
    await require_reader(request)
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
