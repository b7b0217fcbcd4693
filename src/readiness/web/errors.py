"""One JSON error shape for every failure: ``{"error": {"code", "message", "details"}}``.

Dashboard (non-``/api``) requests get the same information as an HTML page instead; an
anonymous dashboard visitor gets the sign-in form with status 401. Never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from readiness.errors import AuthError, InputError, PermissionDeniedError, ReadinessError
from readiness.web.headers import SECURITY_HEADERS
from readiness.web.routing import is_api

log = logging.getLogger("readiness.server")


class PayloadTooLargeError(InputError):
    """A request body exceeds the server's limit for that route."""

    code = "too_large"
    http_status = 413


class ErrorDetail(BaseModel):
    """What went wrong: a stable ``code``, a sentence for people, and structured ``details``."""

    code: str = Field(examples=["invalid_input"], description="Stable, for programs to branch on.")
    message: str = Field(
        examples=["query parameter 'limit': Input should be less than or equal to 1000 (got 5)"],
        description="What was expected, what arrived and how to fix it.",
    )
    details: dict[str, Any] = Field(
        examples=[{"field": "limit", "location": "query", "errors": 1}],
        description="Structured facts about the error (the field, the limit, the bad files...).",
    )


class ErrorResponse(BaseModel):
    """The one error shape of every API response with a status of 400 or more."""

    error: ErrorDetail


_MEANING = {
    400: "The input is malformed (an invalid report, project name or multipart part).",
    401: "No credentials, or a token that is unknown, expired or revoked.",
    403: "The token's role or project limits do not allow this, or a CSRF token is missing.",
    404: "The project, test or token named does not exist.",
    409: "The request conflicts with what is stored.",
    413: "The request body is larger than the route accepts.",
    422: "A parameter or body field is invalid; the message names it.",
    503: "The database is unreachable or its schema is not this version's.",
}
API_ERRORS = (400, 401, 403, 404, 413, 422, 503)  # what any authenticated API route may answer


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring ``statuses`` in the one error shape."""
    return {
        status: {"model": ErrorResponse, "description": _MEANING[status]} for status in statuses
    }


def json_error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """As :func:`error_responses`, for a router whose own answers are another media type (the
    Pact broker's HAL): its errors are still ``application/json`` in the one error shape."""
    ref = {"$ref": "#/components/schemas/ErrorResponse"}
    return {
        status: {"description": _MEANING[status], "content": {"application/json": {"schema": ref}}}
        for status in statuses
    }


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one error shape."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _respond(request: Request, status: int, code: str, message: str, details: Any) -> Response:
    response = _error_response(request, status, code, message, details)
    # A 500 is answered outside the middleware stack: its security headers are set here.
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _error_response(
    request: Request, status: int, code: str, message: str, details: Any
) -> Response:
    if is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)
    from readiness.web.pages import render, render_login

    if status == 401:
        response = render_login(request, error=None, next=request.url.path, status_code=401)
        if request.headers.get("HX-Request"):
            response.headers["HX-Redirect"] = "/login"
        return response
    return render(
        request,
        "error.html",
        {"status": status, "code": code, "message": message},
        status_code=status,
    )


def _problem(error: Mapping[str, Any]) -> tuple[str, str]:
    """What is wrong with one value, and how to show what arrived (pydantic's words, except
    where they speak of validation internals)."""
    kind, ctx, got = error.get("type"), error.get("ctx") or {}, error.get("input")
    if kind in ("too_long", "too_short") and isinstance(got, str | list | dict):
        bound = "most" if kind == "too_long" else "least"
        limit = ctx.get("max_length" if kind == "too_long" else "min_length")
        what = "String" if isinstance(got, str) else "List" if isinstance(got, list) else "Object"
        unit = "characters" if isinstance(got, str) else "items"
        return f"{what} should have at {bound} {limit} {unit}", f" (got {len(got)})"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if got is None or isinstance(got, dict):
        return message, ""
    if isinstance(got, list):
        return message, f" (got {len(got)} items)"
    return message, f" (got {str(got)[:80]!r})"


def _validation_message(exc: RequestValidationError) -> tuple[str, dict[str, Any]]:
    errors = exc.errors()
    if not errors:
        return "request is not valid", {}
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ())]
    where = loc[0] if loc else "request"
    field = ".".join(loc[1:]) or where
    kind = {
        "query": "query parameter",
        "path": "path parameter",
        "body": "body field",
        "header": "header",
        "cookie": "cookie",
    }.get(where, where)
    problem, got_text = _problem(first)
    message = f"{kind} {field!r}: {problem}{got_text}"
    details = {"field": field, "location": where, "errors": len(errors)}
    return message, details


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the one shape (JSON for the API, HTML for the dashboard)."""

    @app.exception_handler(ReadinessError)
    async def _readiness(request: Request, exc: ReadinessError) -> Response:
        if not isinstance(exc, AuthError | InputError) or isinstance(exc, PermissionDeniedError):
            log.info("request failed: %s %s -> %s", request.method, request.url.path, exc.code)
        return _respond(request, exc.http_status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        message, details = _validation_message(exc)
        return _respond(request, 422, "invalid_input", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            where = (
                "the API is described at /openapi.json"
                if is_api(request)
                else "the link below leads back to the dashboard"
            )
            message = f"nothing at {request.method} {request.url.path}; {where}"
            return _respond(request, 404, "not_found", message, {})
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
            return _respond(request, 405, "method_not_allowed", message, {})
        code = "invalid_input" if exc.status_code == 400 else "http_error"
        return _respond(request, exc.status_code, code, str(exc.detail), {})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # The traceback goes to the server log only; the client gets the shape.
        log.error(
            "unexpected error on %s %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
            exc_info=exc,
        )
        return _respond(
            request, 500, "internal", "internal server error; the server log has the details", {}
        )
