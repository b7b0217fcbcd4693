"""Contract coverage over HTTP: ``POST /pact/pacticipants/{provider}/coverage`` with the provider's
OpenAPI document (``openapi``) and message types (``messages``) answers which of them no consumer
contract exercises (reader role; nothing is stored)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from readiness.contracts.api_pact import Reader, Service
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
