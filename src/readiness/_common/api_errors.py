"""A Readiness server's error answer as the ReadinessError a local call would raise.

Every client of the API (the remote testhealth facade, the gate's run recorder) reads an
error the same way: the message of the one JSON error shape, else the start of the body, and
the status mapped onto the error hierarchy, so a remote call fails like the local one.
"""

from __future__ import annotations

from typing import Any

from readiness.errors import (
    AuthError,
    InputError,
    NotFoundError,
    ReadinessError,
    RemoteError,
)

_BY_STATUS: dict[int, type[ReadinessError]] = {
    400: InputError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
}


def error_from_response(response: Any, prefix: str) -> ReadinessError:
    """The error for an HTTP ``response`` (status >= 400), its message after ``prefix``."""
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text[:200] or response.reason_phrase
    error = _BY_STATUS.get(response.status_code, RemoteError)
    return error(f"{prefix}{message}")
