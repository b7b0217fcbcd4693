"""Dashboard pages contributed by plugins, and the one template renderer they share."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from readiness.auth.core import login_csrf_token
from readiness.web.deps import LOGIN_COOKIE, PROJECT_COOKIE, is_secure, may, session_key

TEMPLATES_DIR = Path(__file__).parent / "templates"
PROJECT_COOKIE_DAYS = 365


@dataclass(frozen=True)
class DashboardPage:
    """A dashboard page: its navigation entry and the router serving it.

    The router's routes are relative to ``path`` (``""`` is the page itself); a page with
    ``nav_order=None`` is served but not listed in the navigation (e.g. per-test pages).
    ``role``: the role a principal needs to open the page; the navigation lists the page only
    for principals who hold it (None: every signed-in role).
    """

    title: str
    path: str
    nav_order: int | None
    router: APIRouter
    templates: Path | None = None
    role: str | None = None


def make_templates(feature_dirs: Iterable[Path] = ()) -> Jinja2Templates:
    """The Jinja2 environment (autoescaping on) for every dashboard template.

    The shared templates (``base.html``, ``login.html``, ``error.html``) come first; each
    feature keeps its own under ``<feature>/templates/<feature>/`` and names them with that prefix.
    """
    dirs = [str(TEMPLATES_DIR), *dict.fromkeys(str(d) for d in feature_dirs)]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(dirs), autoescape=True)
    env.globals["may"] = may  # may(principal, "writer"): draw an action only for its roles
    return Jinja2Templates(env=env)


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render ``template`` with the navigation, the signed-in principal and the CSRF token."""
    state = request.app.state
    principal = getattr(request.state, "principal", None)
    base = {
        "nav": state.nav,
        "principal": principal,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "current_path": request.url.path,
        "version": state.version,
        **_project_context(request),
    }
    response: HTMLResponse = state.templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
    if getattr(request.state, "remember_project", False):
        remember_project(request, response, base["project"])
    return response


def _project_context(request: Request) -> dict[str, Any]:
    """The current project and the switcher's choices, when the page acts on a project."""
    project = getattr(request.state, "project", None)
    return {
        "project": project.name if project is not None else None,
        "project_choices": getattr(request.state, "project_choices", []),
    }


def remember_project(request: Request, response: Response, name: str) -> None:
    """Keep ``name`` as the dashboard's current project (the switcher and ``?project=`` links)."""
    response.set_cookie(
        PROJECT_COOKIE,
        name,
        max_age=PROJECT_COOKIE_DAYS * 86400,
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
        path="/",
    )


def is_htmx(request: Request) -> bool:
    """True for requests htmx sends (partial refreshes)."""
    return request.headers.get("HX-Request") == "true"


_NONCE = re.compile(r"[A-Za-z0-9_-]{22,64}")


def login_nonce(request: Request) -> str:
    """The nonce of the sign-in form's pre-session cookie: the one the browser holds, else new."""
    held = request.cookies.get(LOGIN_COOKIE, "")
    if _NONCE.fullmatch(held):
        return held
    return base64.urlsafe_b64encode(os.urandom(18)).decode("ascii")


def render_login(
    request: Request, *, error: str | None, next: str, status_code: int = 200
) -> HTMLResponse:
    """The sign-in form with its CSRF token, and the cookie holding the nonce it is bound to."""
    nonce = login_nonce(request)
    csrf = login_csrf_token(session_key(request), nonce)
    response = render(
        request,
        "login.html",
        {"error": error, "next": next, "login_csrf_token": csrf},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
        path="/login",
    )
    return response
