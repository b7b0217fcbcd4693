"""Contract coverage over HTTP: ``POST /pact/pacticipants/{provider}/coverage`` with the provider's
OpenAPI document (``openapi``) and message types (``messages``) answers which of them no consumer
contract exercises (reader role; nothing is stored); ``PUT /pact/pacticipants/{provider}/openapi``
with the same body stores them (writer role, JSON only, at most 1 MiB) so the dashboard's Pact page
shows the provider's coverage; ``GET`` of the same path answers what is stored (reader role) and
``DELETE`` forgets it (writer role); both answer 404 when nothing is stored."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from starlette.concurrency import run_in_threadpool

from readiness.contracts.api_pact import Reader, Service, Writer
from readiness.errors import InputError
from readiness.web.errors import API_ERRORS, json_error_responses

router = APIRouter(prefix="/pact", tags=["pact"], responses=json_error_responses(*API_ERRORS))
MAX_MESSAGES = 1000


@router.post("/pacticipants/{provider}/coverage")
def coverage(
    provider: str,
    body: Annotated[dict[str, Any], Body()],
    service: Service,
    _who: Reader,
) -> dict[str, Any]:
    """Endpoints and message types of ``provider`` with the consumers whose newest pact exercises
    each, and the ``uncovered`` ones (body: ``{"openapi": {...}, "messages": ["..."]}``)."""
    messages = body.get("messages", [])
    if (
        not isinstance(messages, list)
        or len(messages) > MAX_MESSAGES
        or not all(isinstance(m, str) and m for m in messages)
    ):
        raise InputError(f"'messages' must be a list of at most {MAX_MESSAGES} non-empty strings")
    if "openapi" not in body and not messages:
        raise InputError("give the provider's OpenAPI document as 'openapi', or 'messages'")
    return service.coverage(provider, body.get("openapi", {}), messages).as_json()


@router.put("/pacticipants/{provider}/openapi")
async def record_interface(
    provider: str, request: Request, service: Service, _who: Writer
) -> dict[str, Any]:
    """Store ``provider``'s OpenAPI document and message types (body: ``{"openapi": {...},
    "messages": ["..."]}``, replacing what was stored) and answer its coverage."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise InputError("the request body must be JSON (Content-Type: application/json)")
    try:
        body = json.loads(await request.body())
    except (ValueError, RecursionError):
        raise InputError("the request body is not valid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("openapi"), dict):
        raise InputError("the request body needs 'openapi', the provider's OpenAPI document")
    messages = body.get("messages", [])
    if not isinstance(messages, list):
        raise InputError("'messages' must be a list of message type names")
    found = await run_in_threadpool(service.record_interface, provider, body["openapi"], messages)
    return found.as_json()


@router.get("/pacticipants/{provider}/openapi")
def stored_interface(provider: str, service: Service, _who: Reader) -> dict[str, Any]:
    """``provider``'s stored OpenAPI document and message types, with when they were recorded
    (``{"provider", "openapi", "messages", "updated_at"}``; 404 when none is stored)."""
    return service.interface(provider).as_json()


@router.delete("/pacticipants/{provider}/openapi")
def forget_interface(provider: str, service: Service, _who: Writer) -> dict[str, Any]:
    """Forget ``provider``'s stored OpenAPI document and message types: the dashboard stops
    showing its coverage (404 when none is stored)."""
    service.delete_interface(provider)
    return {"provider": provider, "deleted": True}
