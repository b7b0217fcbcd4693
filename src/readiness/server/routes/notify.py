"""Webhook administration (admin role): ``/api/v1/notify/...`` and the ``/admin/webhooks`` page.

Webhooks belong to the request's project (``?project=``, or the dashboard's current project).
A webhook's secret is shown once, in the answer that creates it; afterwards only its prefix.
Every change is audited by :class:`readiness.notify.service.NotifyService`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, field_validator

from readiness.errors import InputError
from readiness.notify.core import check_webhook_url, shown_url
from readiness.notify.model import EVENT_TYPES, STATUSES, Delivery, Webhook
from readiness.notify.service import NotifyService
from readiness.web.deps import (
    CurrentProject,
    Principal,
    current_project,
    get_clock,
    get_settings,
    get_stores,
    require_admin,
)
from readiness.web.inputs import INT32_MAX, JsonBody
from readiness.web.pages import render

router = APIRouter(prefix="/notify", tags=["notify"])
page_router = APIRouter(include_in_schema=False)

Admin = Annotated[Principal, Depends(require_admin)]
EventType = Literal[
    "test.flaky",
    "test.broken",
    "quarantine.expiring",
    "quarantine.expired",
    "gate.failed",
    "audit.verify_failed",
    "pact.contract_content_changed",
    "pact.contract_published",
    "pact.provider_verification_published",
    "pact.provider_verification_succeeded",
    "pact.provider_verification_failed",
]
Status = Literal["pending", "sending", "delivered", "failed", "dead"]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
WebhookId = Annotated[int, Path(ge=1, le=INT32_MAX)]


def notify_service(request: Request, actor: str = "server") -> NotifyService:
    """The notification service of this server, acting as ``actor``."""
    return NotifyService(
        stores=get_stores(request),
        clock=get_clock(request),
        settings=get_settings(request).notify,
        actor=actor,
    )


class WebhookRequest(JsonBody):
    """Body of ``POST /api/v1/notify/webhooks``."""

    url: str = Field(max_length=2000, examples=["https://hooks.example.com/readiness"])
    kind: Literal["generic", "slack"] = "generic"
    events: list[EventType] = Field(min_length=1, max_length=len(EVENT_TYPES))

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            return check_webhook_url(value)
        except InputError as exc:
            raise ValueError(exc.message) from exc


class WebhookView(BaseModel):
    """A webhook as the API shows it: the secret's prefix only, the URL's start only."""

    id: int
    project: str
    url: str = Field(description="Scheme, host and the start of the path.")
    kind: Literal["generic", "slack"]
    events: list[str]
    secret_prefix: str
    created_at: Timestamp
    created_by: str


class CreatedWebhook(WebhookView):
    """A new webhook: the only answer that carries its secret."""

    secret: str = Field(description="Signs every delivery (X-Readiness-Signature); keep it.")


class DeliveryView(BaseModel):
    """One delivery and its latest attempt."""

    id: int
    webhook_id: int
    project: str
    event_id: str
    event_type: str
    status: Status
    attempts: int
    next_attempt_at: Timestamp | None
    last_status_code: int | None
    last_error: str | None
    created_at: Timestamp
    updated_at: Timestamp
    delivered_at: Timestamp | None


def webhook_view(hook: Webhook) -> dict[str, Any]:
    """A webhook without its secret."""
    return {
        "id": hook.id,
        "project": hook.project,
        "url": shown_url(hook.url),
        "kind": hook.kind,
        "events": list(hook.events),
        "secret_prefix": hook.secret_prefix,
        "created_at": hook.created_at.isoformat(),
        "created_by": hook.created_by,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def delivery_view(d: Delivery) -> dict[str, Any]:
    """A delivery without its payload."""
    return {
        "id": d.id,
        "webhook_id": d.webhook_id,
        "project": d.project,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": _iso(d.next_attempt_at),
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "created_at": d.created_at.isoformat(),
        "updated_at": d.updated_at.isoformat(),
        "delivered_at": _iso(d.delivered_at),
    }


@router.get("/webhooks", response_model=list[WebhookView])
def list_webhooks(request: Request, _: Admin, project: CurrentProject) -> list[dict[str, Any]]:
    """The project's webhooks, oldest first."""
    return [webhook_view(h) for h in notify_service(request).webhooks(project=project.name)]


@router.post("/webhooks", status_code=201, response_model=CreatedWebhook)
def add_webhook(
    request: Request, who: Admin, project: CurrentProject, body: WebhookRequest
) -> dict[str, Any]:
    """Add a webhook to the project; the answer carries its secret, once."""
    hook = notify_service(request, who.actor).add_webhook(
        project=project.name, url=body.url, kind=body.kind, events=list(body.events)
    )
    return {**webhook_view(hook), "secret": hook.secret}


@router.delete("/webhooks/{webhook_id}", response_model=WebhookView)
def remove_webhook(
    request: Request, webhook_id: WebhookId, who: Admin, project: CurrentProject
) -> dict[str, Any]:
    """Remove a webhook and its delivery log."""
    hook = notify_service(request, who.actor).remove_webhook(webhook_id, project=project.name)
    return webhook_view(hook)


@router.post("/webhooks/{webhook_id}/test", status_code=202, response_model=DeliveryView)
def test_webhook(
    request: Request, webhook_id: WebhookId, who: Admin, project: CurrentProject
) -> dict[str, Any]:
    """Queue a ``readiness.test`` event for the webhook; the worker delivers it."""
    delivery = notify_service(request, who.actor).send_test(webhook_id, project=project.name)
    return delivery_view(delivery)


@router.get("/deliveries", response_model=list[DeliveryView])
def list_deliveries(
    request: Request,
    _: Admin,
    project: CurrentProject,
    status: Annotated[Status | None, Query(description="Only deliveries in this status.")] = None,
    webhook: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """The project's delivery log, newest first."""
    found = notify_service(request).deliveries(
        project=project.name, status=status, webhook_id=webhook, limit=limit
    )
    return [delivery_view(d) for d in found]


# ------------------------------------------------------------------------------ the page


_MESSAGES = {
    "removed": "Webhook removed.",
    "tested": "Test event queued: it appears in the delivery log below.",
}


def _page(
    request: Request,
    *,
    project: str,
    status: str | None = None,
    created: Webhook | None = None,
    message: str | None = None,
) -> HTMLResponse:
    service = notify_service(request)
    return render(
        request,
        "webhooks.html",
        {
            "webhooks": [webhook_view(h) for h in service.webhooks(project=project)],
            "deliveries": service.deliveries(project=project, status=status, limit=100),
            "status": status,
            "statuses": STATUSES,
            "event_types": EVENT_TYPES,
            "created": created,
            "message": message,
        },
    )


@page_router.get("/admin/webhooks", response_class=HTMLResponse)
async def webhooks_page(
    request: Request,
    status: Annotated[Status | None, Query()] = None,
    message: Annotated[Literal["removed", "tested"] | None, Query()] = None,
) -> Response:
    """The project's webhooks (add, remove, send a test event) and the delivery log."""
    await require_admin(request)
    project = current_project(request, None)
    return _page(
        request,
        project=project.name,
        status=status,
        message=_MESSAGES[message] if message else None,
    )


@page_router.post("/admin/webhooks", response_class=HTMLResponse)
async def add_webhook_form(
    request: Request,
    url: Annotated[str, Form(max_length=2000)],
    kind: Annotated[Literal["generic", "slack"], Form()] = "generic",
    events: Annotated[list[EventType] | None, Form()] = None,
) -> Response:
    """Add a webhook from the page (admin role, CSRF-checked). The answer is the page itself,
    showing the new secret this once (no redirect: a URL must never bring it back)."""
    who = await require_admin(request)
    project = current_project(request, None)
    hook = notify_service(request, who.actor).add_webhook(
        project=project.name, url=url, kind=kind, events=list(events or [])
    )
    return _page(request, project=project.name, created=hook, message="Webhook added.")


@page_router.post("/admin/webhooks/{webhook_id}/remove")
async def remove_webhook_form(request: Request, webhook_id: WebhookId) -> Response:
    """Remove a webhook from the page (admin role, CSRF-checked)."""
    who = await require_admin(request)
    project = current_project(request, None)
    notify_service(request, who.actor).remove_webhook(webhook_id, project=project.name)
    return RedirectResponse("/admin/webhooks?message=removed", status_code=303)


@page_router.post("/admin/webhooks/{webhook_id}/test")
async def test_webhook_form(request: Request, webhook_id: WebhookId) -> Response:
    """Queue a test event from the page (admin role, CSRF-checked)."""
    who = await require_admin(request)
    project = current_project(request, None)
    notify_service(request, who.actor).send_test(webhook_id, project=project.name)
    return RedirectResponse("/admin/webhooks?message=tested", status_code=303)
