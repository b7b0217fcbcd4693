"""``POST /api/v1/logs/scan`` (reader role): find PII in log lines sent as the request body.

The body is the log text itself (JSON lines or text lines, UTF-8, up to :data:`MAX_BODY`
bytes); the answer is the report of ``readiness logs scan -f json``: ``counts`` by type and
``findings`` with their line, type, masked sample and key path. Raw values never leave: samples
are masked, and nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from readiness.logs.scan import LogScanner
from readiness.web.deps import Principal, require_reader
from readiness.web.errors import PayloadTooLargeError
from readiness.web.limits import LOG_TEXT_LIMIT

router = APIRouter(prefix="/logs", tags=["logs"])
Reader = Annotated[Principal, Depends(require_reader)]
#: The largest body accepted, in bytes (the server's body-limit middleware must allow it too).
MAX_BODY = LOG_TEXT_LIMIT  # the server's body cap for this route (web.limits)
MAX_FINDINGS = 10_000


def _scan(text: str, types: str | None, max_findings: int) -> dict[str, object]:
    scanner = LogScanner(types=types.split(",") if types else None, max_findings=max_findings)
    for _ in scanner.lines(text.splitlines(), file="body"):
        pass
    return scanner.report.as_json()


@router.post(
    "/scan",
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}}
    },
)
async def scan(
    request: Request,
    _who: Reader,
    types: Annotated[
        str | None, Query(max_length=200, description="Comma-separated types, e.g. email,ip.")
    ] = None,
    max_findings: Annotated[int, Query(ge=0, le=MAX_FINDINGS)] = 1000,
) -> dict[str, Any]:
    """Counts by type and masked findings of the log lines in the body (file ``body``)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _too_large()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _too_large()
    text = body.decode("utf-8", errors="replace")
    return await run_in_threadpool(_scan, text, types, max_findings)


def _too_large() -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"request body exceeds {MAX_BODY} bytes; scan the logs in several requests or use "
        "`readiness logs scan`",
        details={"limit": MAX_BODY},
    )
