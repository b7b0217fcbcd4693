"""The one error hierarchy of Readiness.

Every error a user can cause is a :class:`ReadinessError`; the CLI prints its message on one line
and exits 2, the server maps it to a status code and the JSON error shape
``{"error": {"code": ..., "message": ..., "details": {...}}}``.

::

    ReadinessError                      code            HTTP
    ├── ConfigError                     config          500 (server) / exit 2 (CLI)
    ├── InputError                      invalid_input   400
    │   ├── JUnitParseError             junit_invalid   400
    │   └── JUnitReportsError           junit_invalid   400
    ├── NotFoundError                   not_found       404
    ├── ConflictError                   conflict        409
    ├── AuthError                       unauthorized    401
    │   ├── PermissionDeniedError       forbidden       403
    │   └── SignatureError              bad_signature   401
    ├── StorageError                    storage         503
    ├── RemoteError                     remote          502
    └── GateError                       gate_error      500 (a check could not run: exit 2)

Messages say what was expected, what arrived and how to fix it.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ReadinessError(Exception):
    """Root of every error Readiness raises on purpose."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}

    def __str__(self) -> str:
        return self.message


class ConfigError(ReadinessError):
    """The configuration file or a READINESS_* variable is invalid."""

    code = "config"


class InputError(ReadinessError):
    """User input (a file, an argument, a request body) is malformed."""

    code = "invalid_input"
    http_status = 400


class JUnitParseError(InputError):
    """A JUnit XML file could not be parsed; the message names file, line and problem."""

    code = "junit_invalid"

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        where = f"{source} line {line}" if line is not None else source
        super().__init__(
            f"JUnit XML {where}: {problem}; nothing from this file was ingested",
            details={"source": source, "line": line, "problem": problem},
        )
        self.source = source
        self.line = line
        self.problem = problem


class JUnitReportsError(InputError):
    """Some JUnit XML files of one ingest could not be parsed; the message names each one, and
    none of the files was ingested."""

    code = "junit_invalid"


class NotFoundError(ReadinessError):
    """A named object does not exist."""

    code = "not_found"
    http_status = 404


class ConflictError(ReadinessError):
    """The request conflicts with the current state."""

    code = "conflict"
    http_status = 409


class AuthError(ReadinessError):
    """Missing or invalid credentials."""

    code = "unauthorized"
    http_status = 401


class PermissionDeniedError(AuthError):
    """Valid credentials whose role does not allow the action."""

    code = "forbidden"
    http_status = 403


class SignatureError(AuthError):
    """A webhook delivery's signature is missing, wrong or too old (``notify.verify_signature``)."""

    code = "bad_signature"


class StorageError(ReadinessError):
    """The database is unreachable or its schema is not what this version expects."""

    code = "storage"
    http_status = 503


class RemoteError(ReadinessError):
    """A Readiness server answered with an error or could not be reached."""

    code = "remote"
    http_status = 502


class GateError(ReadinessError):
    """A gate check could not run because its environment is broken (not a failed check)."""

    code = "gate_error"
