"""``readiness notify``: webhooks (add, list, remove, test), the delivery log, the worker.

Local administration, like ``readiness tokens``: whoever can open the state database
configures its webhooks. Every change is audited.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from readiness.console import Format, FormatOption, console, emit_json, state

if TYPE_CHECKING:
    from readiness.notify.model import Delivery, Webhook
    from readiness.notify.service import NotifyService
    from readiness.notify.worker import Sweep
    from readiness.storage import Stores

app = typer.Typer(
    no_args_is_help=True,
    help="Notifications: webhooks, their delivery log, the delivery worker and the sweep.",
)
webhooks_app = typer.Typer(no_args_is_help=True, help="Webhooks: add, list, remove, test.")
app.add_typer(webhooks_app, name="webhooks")


class Kind(StrEnum):
    """Payload shapes (``readiness.notify.model.KINDS``)."""

    GENERIC = "generic"
    SLACK = "slack"


class EventChoice(StrEnum):
    """Event types (``readiness.notify.model.EVENT_TYPES``)."""

    TEST_FLAKY = "test.flaky"
    TEST_BROKEN = "test.broken"
    QUARANTINE_EXPIRING = "quarantine.expiring"
    QUARANTINE_EXPIRED = "quarantine.expired"
    GATE_FAILED = "gate.failed"
    AUDIT_VERIFY_FAILED = "audit.verify_failed"
    PACT_CONTENT_CHANGED = "pact.contract_content_changed"
    PACT_PUBLISHED = "pact.contract_published"
    PACT_VERIFICATION_PUBLISHED = "pact.provider_verification_published"
    PACT_VERIFICATION_SUCCEEDED = "pact.provider_verification_succeeded"
    PACT_VERIFICATION_FAILED = "pact.provider_verification_failed"


class StatusChoice(StrEnum):
    """Delivery statuses (``readiness.notify.model.STATUSES``)."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"


def _service(ctx: typer.Context, *, create: bool = False) -> tuple[NotifyService, Stores]:
    from readiness.notify.service import NotifyService
    from readiness.storage import open_stores

    st = state(ctx)
    stores = open_stores(st.settings, create=create)
    service = NotifyService(
        stores=stores, clock=st.clock, settings=st.settings.notify, actor=st.actor
    )
    return service, stores


def _hook_view(hook: Webhook) -> dict[str, object]:
    from readiness.notify.core import shown_url

    return {
        "id": hook.id,
        "project": hook.project,
        "url": shown_url(hook.url),
        "kind": hook.kind,
        "events": list(hook.events),
        "secret_prefix": hook.secret_prefix,
        "created_at": hook.created_at,
        "created_by": hook.created_by,
    }


def _delivery_view(d: Delivery) -> dict[str, object]:
    return {
        "id": d.id,
        "webhook_id": d.webhook_id,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "created_at": d.created_at,
        "delivered_at": d.delivered_at,
    }


@webhooks_app.command("add")
def add_cmd(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(metavar="URL", help="An http(s) URL that takes POSTs.")],
    kind: Annotated[Kind, typer.Option(help="Payload shape.")] = Kind.GENERIC,
    events: Annotated[
        list[EventChoice] | None,
        typer.Option("--event", help="An event to send (repeat it; default: every event)."),
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Add a webhook to the project; its secret is printed this once."""
    from readiness.notify.model import EVENT_TYPES
    from readiness.projects.service import ProjectService

    service, stores = _service(ctx, create=True)
    project = state(ctx).settings.project
    try:
        ProjectService(stores=stores, clock=service.clock, actor=service.actor).ensure(project)
        chosen = [e.value for e in events] if events else list(EVENT_TYPES)
        hook = service.add_webhook(project=project, url=url, kind=kind.value, events=chosen)
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json({**_hook_view(hook), "secret": hook.secret})
        return
    console.print(
        f"webhook {hook.id} added to project {hook.project} ({', '.join(hook.events)})",
        markup=False,
    )
    console.print(f"secret (shown once; the receiver verifies signatures with it): {hook.secret}")


@webhooks_app.command("list")
def list_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """List the project's webhooks (secrets by their prefix only)."""
    service, stores = _service(ctx)
    try:
        hooks = service.webhooks(project=state(ctx).settings.project)
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json([_hook_view(h) for h in hooks])
        return
    if not hooks:
        console.print("no webhooks; add one with `readiness notify webhooks add URL`", markup=False)
    for h in hooks:
        v = _hook_view(h)
        console.print(
            f"{h.id:>4}  {h.kind:<7}  {v['url']}  {','.join(h.events)}  secret {h.secret_prefix}",
            markup=False,
        )


WebhookId = Annotated[
    int, typer.Argument(metavar="ID", min=1, help="The id from `notify webhooks list`.")
]


@webhooks_app.command("remove")
def remove_cmd(ctx: typer.Context, webhook_id: WebhookId, fmt: Format = FormatOption) -> None:
    """Remove a webhook and its delivery log."""
    service, stores = _service(ctx)
    try:
        hook = service.remove_webhook(webhook_id, project=state(ctx).settings.project)
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json(_hook_view(hook))
        return
    console.print(f"webhook {hook.id} removed", markup=False)


@webhooks_app.command("test")
def test_cmd(ctx: typer.Context, webhook_id: WebhookId, fmt: Format = FormatOption) -> None:
    """Queue a test event for a webhook (the worker sends it: `readiness notify deliver`)."""
    service, stores = _service(ctx)
    try:
        delivery = service.send_test(webhook_id, project=state(ctx).settings.project)
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json(_delivery_view(delivery))
        return
    console.print(
        f"test event queued as delivery {delivery.id}; `readiness notify deliver --once` "
        "sends it now",
        markup=False,
    )


@app.command("deliveries")
def deliveries_cmd(
    ctx: typer.Context,
    status: Annotated[
        StatusChoice | None, typer.Option(help="Only this status (default: every status).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 50,
    fmt: Format = FormatOption,
) -> None:
    """The project's delivery log, newest first."""
    service, stores = _service(ctx)
    try:
        found = service.deliveries(
            project=state(ctx).settings.project,
            status=status.value if status else None,
            limit=limit,
        )
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json([_delivery_view(d) for d in found])
        return
    if not found:
        console.print("no deliveries", markup=False)
    for d in found:
        code = d.last_status_code if d.last_status_code is not None else "-"
        nxt = f"  next {d.next_attempt_at:%Y-%m-%d %H:%M:%S}" if d.next_attempt_at else ""
        console.print(
            f"{d.id:>5}  webhook {d.webhook_id}  {d.event_type:<20} {d.status:<9} "
            f"attempts {d.attempts}  response {code}{nxt}  {d.last_error or ''}",
            markup=False,
        )


def _sweeps(ctx: typer.Context) -> list[Sweep]:
    from readiness.plugins import get_plugin_manager

    settings = state(ctx).settings
    groups = get_plugin_manager().hook.readiness_notify_sweeps(settings=settings)
    return [sweep for group in groups for sweep in group]


@app.command("deliver")
def deliver_cmd(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="One round (sweeps, then what is due), then exit.")
    ] = False,
    fmt: Format = FormatOption,
) -> None:
    """Deliver due webhooks: one round with --once (for cron), else until interrupted."""
    from readiness.notify.worker import DeliveryWorker
    from readiness.storage import open_stores

    st = state(ctx)
    stores = open_stores(st.settings, create=False)
    worker = DeliveryWorker(
        stores,
        settings=st.settings.notify,
        clock=st.clock,
        sweeps=_sweeps(ctx),
    )
    try:
        if not once:
            worker.run()
            return
        attempts = worker.run_once()
    finally:
        stores.dispose()
    delivered = sum(1 for a in attempts if a.result.ok)
    if fmt is Format.JSON:
        emit_json({"attempts": len(attempts), "delivered": delivered})
        return
    console.print(
        f"{len(attempts)} attempts, {delivered} delivered, {len(attempts) - delivered} to retry "
        "or dead (see `readiness notify deliveries`)",
        markup=False,
    )


@app.command("sweep")
def sweep_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Queue the events found by looking (quarantine entries expiring or expired), once each."""
    from readiness.notify.worker import run_sweeps
    from readiness.storage import open_stores

    st = state(ctx)
    stores = open_stores(st.settings, create=False)
    try:
        queued = run_sweeps(_sweeps(ctx), stores, st.clock)
    finally:
        stores.dispose()
    if fmt is Format.JSON:
        emit_json({"queued": queued})
        return
    console.print(f"{queued} deliveries queued", markup=False)
