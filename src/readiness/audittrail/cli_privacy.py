"""``readiness audit`` privacy commands: register, lookup, erase, resolve (break-glass),
approve-resolve, seal, unseal, rotate-ip-key and ``security-log`` (record, purge)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from readiness.audittrail.cli_io import read_input
from readiness.console import Format, FormatOption, console, emit_json, state

if TYPE_CHECKING:
    from readiness.audit.privacy.service import PrivacyService, Resolution

SOURCE = "readiness.cli"

security_log_app = typer.Typer(
    no_args_is_help=True, help="The security log: raw IPs, kept apart and purged after a while."
)


@contextmanager
def _service(ctx: typer.Context) -> Iterator[PrivacyService]:
    from readiness.audit.privacy.runtime import privacy_service
    from readiness.storage import open_stores

    settings = state(ctx).settings
    stores = open_stores(settings)
    try:
        with privacy_service(settings, state(ctx).clock, stores.audit, source=SOURCE) as service:
            yield service
    finally:
        stores.dispose()


def register_cmd(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="The real identity (e-mail, name, id).")],
    fmt: Format = FormatOption,
) -> None:
    """The pseudonym of SUBJECT in the identity vault (made when it has none)."""
    with _service(ctx) as service:
        pseudonym, created = service.register(subject, by=state(ctx).actor)
    if fmt is Format.JSON:
        emit_json({"pseudonym": pseudonym, "created": created})
        return
    console.print(pseudonym, markup=False)


def lookup_cmd(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="The real identity (e-mail, name, id).")],
    fmt: Format = FormatOption,
) -> None:
    """The pseudonym of SUBJECT (the lookup is audited); exit 1 when it has none."""
    with _service(ctx) as service:
        pseudonym = service.lookup(subject, by=state(ctx).actor)
    if fmt is Format.JSON:
        emit_json({"pseudonym": pseudonym})
    else:
        console.print(pseudonym or "no pseudonym: not in the identity vault", markup=False)
    raise typer.Exit(0 if pseudonym else 1)


def erase_cmd(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="The real identity, or its pseudonym.")],
    fmt: Format = FormatOption,
) -> None:
    """Erase SUBJECT: delete its mapping and key; its events stay, verify, and resolve to no one."""
    with _service(ctx) as service:
        pseudonym, leaf = service.erase(subject, by=state(ctx).actor)
    if fmt is Format.JSON:
        emit_json({"erased": pseudonym, "leaf_index": leaf})
        return
    console.print(
        f"erased {pseudonym}: its events resolve to no one (erasure recorded as event {leaf})",
        markup=False,
    )


def _show(resolution: Resolution, fmt: Format) -> None:
    if fmt is Format.JSON:
        emit_json(resolution.as_dict())
        return
    r = resolution
    if r.status == "pending":
        expires = r.expires_at.isoformat(timespec="seconds") if r.expires_at else "?"
        console.print(
            f"request {r.request_id}: {r.approvals} of {r.approvals_needed} approvals; another "
            f"principal runs `readiness audit approve-resolve {r.request_id}`, then ask again "
            f"before {expires}",
            markup=False,
        )
    elif r.status == "resolved":
        console.print(f"{r.pseudonym} is {r.identity}", markup=False)
    else:
        when = f" (erased {r.erased_at.isoformat(timespec='seconds')})" if r.erased_at else ""
        console.print(f"{r.pseudonym} resolves to no one{when}", markup=False)


def resolve_cmd(
    ctx: typer.Context,
    pseudonym: Annotated[str, typer.Argument(help="The pseudonym, e.g. usr_3f9c1a2b4d5e6f70.")],
    justification: Annotated[
        str | None,
        typer.Option(help="Why: incident number, legal hold (default: none, which is refused)."),
    ] = None,
    fmt: Format = FormatOption,
) -> None:
    """Break-glass: the identity behind PSEUDONYM, recorded in the trail before it is shown."""
    from readiness.audit.privacy.service import check_justification

    reason = check_justification(justification)  # before anything is opened: exit 2
    with _service(ctx) as service:
        resolution = service.resolve(pseudonym, reason, by=state(ctx).actor)
    _show(resolution, fmt)
    raise typer.Exit(1 if resolution.status == "no_one" else 0)


def approve_resolve_cmd(
    ctx: typer.Context,
    request_id: Annotated[int, typer.Argument(metavar="REQUEST_ID", min=1)],
    fmt: Format = FormatOption,
) -> None:
    """Approve another principal's resolution request (audit.privacy.resolve_approvers > 1)."""
    with _service(ctx) as service:
        resolution = service.approve(request_id, by=state(ctx).actor)
    if fmt is Format.JSON:
        emit_json(resolution.as_dict())
        return
    console.print(
        f"request {request_id}: {resolution.approvals} of {resolution.approvals_needed} "
        f"approvals ({resolution.status})",
        markup=False,
    )


def seal_cmd(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="Whose values these are (identity or pseudonym).")],
    field: Annotated[
        list[str], typer.Option("--field", help="A before/after field to seal (repeatable).")
    ],
    source: Annotated[str, typer.Argument(metavar="[FILE|-]", help="Events as JSON lines.")] = "-",
) -> None:
    """Print the events with the named before/after values sealed under SUBJECT's key (pipe
    them into `readiness audit append`)."""
    from readiness.audit.events import canonical, parse_lines
    from readiness.audit.privacy.sealing import seal_fields

    events = parse_lines(read_input(source, too_big="give fewer events"))
    with _service(ctx) as service:
        for event in events:
            sealed = seal_fields(event, subject, field, vault=service.vault)
            sys.stdout.write(canonical(sealed).decode() + "\n")


def unseal_cmd(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="[FILE|-]", help="Events as JSON lines.")] = "-",
    justification: Annotated[
        str | None,
        typer.Option(help="Why the values are needed, audited (default: none, refused)."),
    ] = None,
) -> None:
    """Print the events with sealed values opened (\\[erased] once the subject was erased);
    each opening is recorded in the trail first."""
    from readiness.audit.events import canonical, parse_lines
    from readiness.audit.privacy.sealing import open_fields, sealed_paths
    from readiness.audit.privacy.service import check_justification

    reason = check_justification(justification)
    events = parse_lines(read_input(source, too_big="give fewer events"))
    with _service(ctx) as service:
        actor = service.actor(state(ctx).actor)
        for event in events:
            paths = sealed_paths(event)
            if paths:
                service.record(
                    actor_id=actor,
                    action="privacy.unseal",
                    target_type=str(event["target_type"]),
                    target_id=str(event["target_id"]),
                    target_fields_accessed=paths,
                    justification=reason,
                )
            sys.stdout.write(canonical(open_fields(event, vault=service.vault)).decode() + "\n")


def rotate_ip_key_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Make a new IP key and destroy the old one: older ip_hmac values become anonymous."""
    with _service(ctx) as service:
        old, new = service.rotate_ip_key(by=state(ctx).actor)
    if fmt is Format.JSON:
        emit_json({"old_key_id": old, "key_id": new})
        return
    console.print(f"IP key {new} in use; {old or 'no older key'} destroyed", markup=False)


@security_log_app.command("record")
def security_log_record_cmd(
    ctx: typer.Context,
    ip: Annotated[str, typer.Argument(help="The raw IPv4 or IPv6 address.")],
    action: Annotated[str, typer.Option(help="What happened, e.g. authn_login_fail.")],
    fmt: Format = FormatOption,
) -> None:
    """Keep IP in the security log; print the ip_hmac an audit event should carry."""
    from readiness.audit.privacy.runtime import security_log_engine
    from readiness.audit.privacy.securitylog import record_ip

    with _service(ctx) as service, security_log_engine(state(ctx).settings, service.vault) as db:
        hashed = record_ip(db, service.vault, service.vault.clock, ip=ip, action=action)
    if fmt is Format.JSON:
        emit_json({"ip_hmac": hashed})
        return
    console.print(hashed, markup=False)


@security_log_app.command("show")
def security_log_show_cmd(
    ctx: typer.Context,
    justification: Annotated[
        str | None, typer.Option(help="Why raw IPs are needed, audited (default: none, refused).")
    ] = None,
    ip_hmac: Annotated[
        str | None, typer.Option("--ip-hmac", help="Only the lines of this ip_hmac (default: all).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many, newest first.")] = 100,
    fmt: Format = FormatOption,
) -> None:
    """Raw IPs of the security log, newest first; the read is recorded in the trail first."""
    from dataclasses import asdict

    from readiness.audit.privacy.runtime import security_log_engine
    from readiness.audit.privacy.service import check_justification

    reason = check_justification(justification, "to read raw IPs")
    with _service(ctx) as service, security_log_engine(state(ctx).settings, service.vault) as db:
        found = service.read_security_log(
            db, reason, by=state(ctx).actor, ip_hmac=ip_hmac, limit=limit
        )
    if fmt is Format.JSON:
        emit_json([asdict(e) for e in found])
        return
    for e in found:
        console.print(
            f"{e.occurred_at.isoformat(timespec='seconds')}  {e.ip:<39} {e.action}", markup=False
        )


@security_log_app.command("purge")
def security_log_purge_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Delete raw IPs older than audit.privacy.security_log_days (default 30)."""
    from readiness.audit.privacy.runtime import security_log_engine

    with _service(ctx) as service, security_log_engine(state(ctx).settings, service.vault) as db:
        purged = service.purge_security_log(db, by=state(ctx).actor)
    days = state(ctx).settings.audit.privacy.security_log_days
    if fmt is Format.JSON:
        emit_json({"purged": purged, "retention_days": days})
        return
    console.print(f"purged {purged} security-log lines older than {days} days", markup=False)


def register(app: typer.Typer) -> None:
    """Add the privacy commands to the ``readiness audit`` sub-app."""
    app.command("register")(register_cmd)
    app.command("lookup")(lookup_cmd)
    app.command("erase")(erase_cmd)
    app.command("resolve")(resolve_cmd)
    app.command("approve-resolve")(approve_resolve_cmd)
    app.command("seal")(seal_cmd)
    app.command("unseal")(unseal_cmd)
    app.command("rotate-ip-key")(rotate_ip_key_cmd)
    app.add_typer(security_log_app, name="security-log")
