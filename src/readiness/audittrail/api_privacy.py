"""The audit trail's privacy layer over HTTP: ``/api/v1/audit/privacy/...``.

The identity vault is access-controlled: mapping and erasing subjects needs ``admin``; looking
up, break-glass resolution and approving it need ``auditor``; handing a raw IP to the security
log needs ``writer`` (what applications hold). Every call that touches the vault is recorded in
the audit trail by pseudonym; a resolution is recorded before its answer is sent (fail-closed:
no record, no answer).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field

from readiness._common.canonical import jsonable_dict
from readiness.audit.privacy.runtime import privacy_service, security_log_engine
from readiness.audit.privacy.securitylog import record_ip
from readiness.audit.privacy.service import PrivacyService, check_justification
from readiness.web.deps import (
    Principal,
    get_clock,
    get_settings,
    get_stores,
    require_admin,
    require_auditor,
    require_writer,
)
from readiness.web.inputs import Int32, JsonBody, Line

router = APIRouter(prefix="/audit", tags=["audit"])

Admin = Annotated[Principal, Depends(require_admin)]
Auditor = Annotated[Principal, Depends(require_auditor)]
Writer = Annotated[Principal, Depends(require_writer)]
SOURCE = "readiness.api"


@contextmanager
def _service(request: Request) -> Iterator[PrivacyService]:
    with privacy_service(
        get_settings(request), get_clock(request), get_stores(request).audit, source=SOURCE
    ) as service:
        yield service


class SubjectBody(JsonBody):
    subject: Line = Field(min_length=1, max_length=320, description="e-mail, name or id")


class ResolveBody(JsonBody):
    pseudonym: Line = Field(min_length=1, max_length=64)
    justification: Line | None = Field(default=None, max_length=1024)


class IpBody(JsonBody):
    ip: Line = Field(min_length=1, max_length=64, description="the raw IPv4 or IPv6 address")
    action: Line = Field(min_length=1, max_length=128, description="e.g. authn_login_fail")
    request_id: Line | None = Field(default=None, max_length=256)


@router.post("/privacy/subjects")
def register_subject(request: Request, who: Admin, body: SubjectBody) -> dict[str, Any]:
    """The pseudonym of a subject, made (and audited) when it has none."""
    with _service(request) as service:
        pseudonym, created = service.register(body.subject, by=who.actor)
    return {"pseudonym": pseudonym, "created": created}


@router.post("/privacy/lookup")
def lookup_subject(request: Request, who: Auditor, body: SubjectBody) -> dict[str, Any]:
    """The pseudonym of a subject, or null (never registered, or erased). Audited."""
    with _service(request) as service:
        pseudonym = service.lookup(body.subject, by=who.actor)
    return {"pseudonym": pseudonym}


@router.post("/privacy/erase")
def erase_subject(request: Request, who: Admin, body: SubjectBody) -> dict[str, Any]:
    """Delete a subject's mapping and key (a pseudonym works too); its events stay."""
    with _service(request) as service:
        pseudonym, leaf = service.erase(body.subject, by=who.actor)
    return {"erased": pseudonym, "leaf_index": leaf}


@router.post("/privacy/resolve")
def resolve(request: Request, who: Auditor, body: ResolveBody) -> dict[str, Any]:
    """Break-glass: the identity behind a pseudonym (justification required; audited first)."""
    reason = check_justification(body.justification)
    with _service(request) as service:
        resolution = service.resolve(body.pseudonym, reason, by=who.actor)
    return jsonable_dict(resolution.as_dict())


@router.post("/privacy/resolve-requests/{request_id}/approve")
def approve(
    request: Request, who: Auditor, request_id: Annotated[Int32, Path(ge=1)]
) -> dict[str, Any]:
    """Approve another principal's resolution request (audited)."""
    with _service(request) as service:
        resolution = service.approve(request_id, by=who.actor)
    return jsonable_dict(resolution.as_dict())


@router.post("/privacy/ip-key/rotate")
def rotate_ip_key(request: Request, who: Admin) -> dict[str, Any]:
    """A new IP key; the old one is destroyed and its hashes become anonymous."""
    with _service(request) as service:
        old, new = service.rotate_ip_key(by=who.actor)
    return {"old_key_id": old, "key_id": new}


@router.post("/privacy/security-log")
def record_security_ip(request: Request, _who: Writer, body: IpBody) -> dict[str, Any]:
    """Keep a raw IP in the security log; the ``ip_hmac`` the audit event should carry."""
    settings = get_settings(request)
    with _service(request) as service, security_log_engine(settings, service.vault) as db:
        hashed = record_ip(
            db,
            service.vault,
            get_clock(request),
            ip=body.ip,
            action=body.action,
            request_id=body.request_id,
        )
    return {"ip_hmac": hashed}


class SecurityLogQuery(JsonBody):
    justification: Line | None = Field(default=None, max_length=1024)
    ip_hmac: Line | None = Field(default=None, max_length=200)
    limit: int = Field(default=100, ge=1, le=10_000)


@router.post("/privacy/security-log/search")
def search_security_log(
    request: Request, who: Auditor, body: SecurityLogQuery
) -> list[dict[str, Any]]:
    """Raw IPs, newest first (justification required; the read is recorded first)."""
    settings = get_settings(request)
    with _service(request) as service, security_log_engine(settings, service.vault) as db:
        found = service.read_security_log(
            db, body.justification, by=who.actor, ip_hmac=body.ip_hmac, limit=body.limit
        )
    return [jsonable_dict(asdict(e)) for e in found]


@router.post("/privacy/security-log/purge")
def purge_security_log(request: Request, who: Admin) -> dict[str, Any]:
    """Delete raw IPs older than ``audit.privacy.security_log_days``."""
    settings = get_settings(request)
    with _service(request) as service, security_log_engine(settings, service.vault) as db:
        purged = service.purge_security_log(db, by=who.actor)
    return {"purged": purged, "retention_days": settings.audit.privacy.security_log_days}
