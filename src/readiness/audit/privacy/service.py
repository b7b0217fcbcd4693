"""Use cases of the privacy layer: register, erase, break-glass resolution, IP key rotation,
security-log purge. Each one that touches personal data writes its audit event to the trail
(by pseudonym, never the real identity) through the ``append`` it is given — the application
trail's ``open_ledger(...).append`` in production.

Break-glass is fail-closed: the resolution is appended to the ledger **before** the identity is
returned, and when that append fails the caller gets the error and no identity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from readiness._common.clock import utc
from readiness.audit.events import entry_bytes, validate_event
from readiness.audit.privacy import securitylog
from readiness.audit.privacy.crypto import is_pseudonym
from readiness.audit.privacy.tables import resolve_approvals, resolve_requests
from readiness.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError

if TYPE_CHECKING:
    from readiness.audit.privacy.vault import Vault
    from readiness.config import PrivacySettings

Append = Callable[[Sequence[bytes]], list[int]]
MAX_JUSTIFICATION = 1024


def check_justification(text: str | None, purpose: str = "to resolve a pseudonym") -> str:
    """The justification, trimmed; InputError when it is missing, blank or too long."""
    value = (text or "").strip()
    if not value:
        raise InputError(
            f"justification: required {purpose}; say why (an incident number, a "
            'legal hold reference), e.g. --justification "INC-2041 account takeover"'
        )
    if len(value) > MAX_JUSTIFICATION:
        raise InputError(
            f"justification: longer than {MAX_JUSTIFICATION} characters ({len(value)})"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InputError("justification: holds a control character")
    return value


@dataclass(frozen=True)
class Resolution:
    """What a break-glass call gave: an identity (or no one), or a request awaiting approval."""

    status: str  # "resolved", "no_one", "pending"
    pseudonym: str
    identity: str | None = None
    request_id: int | None = None
    approvals: int = 0
    approvals_needed: int = 1
    expires_at: datetime | None = None
    erased_at: datetime | None = None
    leaf_index: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "pseudonym": self.pseudonym,
            "identity": self.identity,
            "request_id": self.request_id,
            "approvals": self.approvals,
            "approvals_needed": self.approvals_needed,
            "expires_at": self.expires_at,
            "erased_at": self.erased_at,
            "leaf_index": self.leaf_index,
        }


@dataclass
class PrivacyService:
    """The privacy use cases over a vault, the trail's append and the settings."""

    vault: Vault
    append: Append
    settings: PrivacySettings
    source: str = "readiness"
    _now: Callable[[], datetime] = field(init=False)

    def __post_init__(self) -> None:
        self._now = self.vault.clock.now

    def record(self, **event: Any) -> int:
        """Append one audit event (validated) to the trail; its leaf index. Raises on failure."""
        base = {
            "actor_type": "operator",
            "result": "success",
            "source": self.source,
            "occurred_at": self._now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        checked = validate_event({**base, **event})
        return self.append([entry_bytes(checked)])[0]

    def actor(self, principal: str) -> str:
        """The pseudonym an operator acts under (registered on first use)."""
        return self.vault.register(principal).pseudonym

    def lookup(self, subject: str, *, by: str) -> str | None:
        """The pseudonym of ``subject`` (None: none); the lookup is an audit event."""
        pseudonym = self.vault.lookup(subject)
        self.record(
            actor_id=self.actor(by),
            action="privacy.lookup",
            target_type="subject",
            target_id=pseudonym or "none",
            result="success" if pseudonym else "not_found",
        )
        return pseudonym

    # --- register / erase ---------------------------------------------------------------------

    def register(self, subject: str, *, by: str) -> tuple[str, bool]:
        """``(pseudonym, created)`` of ``subject``; a new mapping is an audit event."""
        found = self.vault.register(subject)
        if found.created:
            self.record(
                actor_id=self.actor(by),
                action="privacy.subject_register",
                target_type="subject",
                target_id=found.pseudonym,
            )
        return found.pseudonym, found.created

    def erase(self, subject: str, *, by: str) -> tuple[str, int]:
        """Delete the mapping and key of ``subject`` (or a pseudonym); ``(pseudonym, leaf)``.

        The ledger keeps every event: they still verify, but resolve to no one and their sealed
        values no longer open. The erasure is appended while the deletion's transaction is open,
        so a failed append erases nothing.
        """
        actor = self.actor(by)
        pseudonym = self.vault.find(subject)
        with self.vault.engine.begin() as conn:
            self.vault.delete_subject(conn, pseudonym)
            leaf = self.record(
                actor_id=actor,
                action="privacy.erase",
                target_type="subject",
                target_id=pseudonym,
            )
        self.vault.flush_erasure()
        return pseudonym, leaf

    # --- break-glass --------------------------------------------------------------------------

    def resolve(self, pseudonym: str, justification: str | None, *, by: str) -> Resolution:
        """Break-glass: the identity behind ``pseudonym``, recorded before it is returned.

        With ``resolve_approvers`` > 1 the first call opens a request that other principals
        approve (:meth:`approve`); a call by the requester within the window then answers.
        """
        reason = check_justification(justification)
        pseudonym = pseudonym.strip()
        if not is_pseudonym(pseudonym):
            raise InputError(
                f"pseudonym: {pseudonym[:40]!r} is not a pseudonym of this vault (usr_ and 16 hex "
                "digits, as `readiness audit lookup` prints)"
            )
        actor = self.actor(by)
        needed = self.settings.resolve_approvers
        request_id: int | None = None
        approvals = 0
        if needed > 1:
            request_id, approvals, expires_at = self._open_request(pseudonym, reason, actor)
            if approvals < needed - 1:
                return Resolution(
                    "pending",
                    pseudonym,
                    request_id=request_id,
                    approvals=approvals + 1,
                    approvals_needed=needed,
                    expires_at=expires_at,
                )
        identity = self.vault.identity(pseudonym)
        erased = self.vault.erased_at(pseudonym) if identity is None else None
        # Fail-closed: if this append raises, the identity never leaves this function.
        leaf = self.record(
            actor_id=actor,
            action="privacy.resolve",
            target_type="subject",
            target_id=pseudonym,
            justification=reason,
            result="success" if identity is not None else "no_one",
            **({"request_id": f"resolve-{request_id}"} if request_id is not None else {}),
        )
        return Resolution(
            "resolved" if identity is not None else "no_one",
            pseudonym,
            identity=identity,
            request_id=request_id,
            approvals=approvals + 1,
            approvals_needed=needed,
            erased_at=erased,
            leaf_index=leaf,
        )

    def _open_request(self, pseudonym: str, reason: str, actor: str) -> tuple[int, int, datetime]:
        """The requester's live request for ``pseudonym`` (made, and audited, when none is);
        ``(id, approvals by others, expires at)``."""
        now = self._now()
        with self.vault.engine.begin() as conn:
            row = conn.execute(
                sa.select(resolve_requests.c.id, resolve_requests.c.expires_at)
                .where(
                    resolve_requests.c.pseudonym == pseudonym,
                    resolve_requests.c.requested_by == actor,
                    resolve_requests.c.expires_at > now,
                )
                .order_by(resolve_requests.c.id.desc())
            ).first()
            if row is not None:
                count = conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(resolve_approvals)
                    .where(resolve_approvals.c.request_id == row.id)
                )
                return int(row.id), int(count or 0), _aware(row.expires_at)
            expires = now + timedelta(minutes=self.settings.resolve_window_minutes)
            inserted = conn.execute(
                resolve_requests.insert().values(
                    pseudonym=pseudonym,
                    justification=reason,
                    requested_by=actor,
                    requested_at=now,
                    expires_at=expires,
                    approvals_needed=self.settings.resolve_approvers,
                )
            ).inserted_primary_key
            assert inserted is not None  # an INSERT always has a primary key
            request_id = int(inserted[0])
            self.record(
                actor_id=actor,
                action="privacy.resolve_request",
                target_type="subject",
                target_id=pseudonym,
                justification=reason,
                result="pending",
                request_id=f"resolve-{request_id}",
            )
        return request_id, 0, expires

    def approve(self, request_id: int, *, by: str) -> Resolution:
        """Approve another principal's resolution request (audited); its state afterwards."""
        actor = self.actor(by)
        now = self._now()
        with self.vault.engine.begin() as conn:
            row = conn.execute(
                sa.select(resolve_requests).where(resolve_requests.c.id == request_id)
            ).first()
            if row is None:
                raise NotFoundError(f"resolution request {request_id}: no such request")
            if _aware(row.expires_at) <= now:
                raise ConflictError(
                    f"resolution request {request_id}: expired at "
                    f"{_aware(row.expires_at).isoformat(timespec='seconds')}; the requester "
                    "must ask again"
                )
            if row.requested_by == actor:
                raise PermissionDeniedError(
                    f"resolution request {request_id}: the requester cannot approve their own "
                    "request; another principal must"
                )
            done = conn.scalar(
                sa.select(sa.func.count())
                .select_from(resolve_approvals)
                .where(
                    resolve_approvals.c.request_id == request_id,
                    resolve_approvals.c.approver == actor,
                )
            )
            if done:
                raise ConflictError(f"resolution request {request_id}: you approved it already")
            conn.execute(
                resolve_approvals.insert().values(
                    request_id=request_id, approver=actor, approved_at=now
                )
            )
            approvals = int(
                conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(resolve_approvals)
                    .where(resolve_approvals.c.request_id == request_id)
                )
                or 0
            )
            self.record(
                actor_id=actor,
                action="privacy.resolve_approve",
                target_type="subject",
                target_id=str(row.pseudonym),
                justification=str(row.justification),
                request_id=f"resolve-{request_id}",
            )
        return Resolution(
            "pending" if approvals + 1 < int(row.approvals_needed) else "approved",
            str(row.pseudonym),
            request_id=request_id,
            approvals=approvals + 1,
            approvals_needed=int(row.approvals_needed),
            expires_at=_aware(row.expires_at),
        )

    # --- IPs ------------------------------------------------------------------------------

    def rotate_ip_key(self, *, by: str) -> tuple[str | None, str]:
        """A new IP key; the old one is destroyed (its hashes become anonymous). Audited."""
        old, new = self.vault.rotate_ip_key()
        self.record(
            actor_id=self.actor(by),
            action="privacy.ip_key_rotate",
            target_type="ip_key",
            target_id=new,
            before={"key_id": old},
            after={"key_id": new},
        )
        return old, new

    def read_security_log(
        self,
        engine: sa.Engine,
        justification: str | None,
        *,
        by: str,
        ip_hmac: str | None = None,
        limit: int = 100,
    ) -> list[securitylog.SecurityEntry]:
        """Raw IPs, newest first (only ``ip_hmac``'s when given); recorded before returned."""
        reason = check_justification(justification, "to read raw IPs")
        found = securitylog.entries(engine, ip_hmac=ip_hmac, limit=limit)
        self.record(
            actor_id=self.actor(by),
            action="privacy.security_log_read",
            target_type="security_log",
            target_id="security_log",
            target_fields_accessed=["ip", "ip_hmac", "action", "occurred_at"],
            justification=reason,
            after={"returned": len(found), "ip_hmac": ip_hmac},
        )
        return found

    def purge_security_log(self, engine: sa.Engine, *, by: str | None) -> int:
        """Delete raw IPs older than the retention; audited (``by`` None: the scheduler)."""
        days = self.settings.security_log_days
        purged = securitylog.purge(engine, self.vault.clock, days)
        if by is None and not purged:
            return 0  # the schedule runs hourly: an empty purge is not worth an event
        self.record(
            actor_id=self.actor(by) if by is not None else "readiness",
            actor_type="operator" if by is not None else "system",
            action="privacy.security_log_purge",
            target_type="security_log",
            target_id="security_log",
            after={"purged": purged, "retention_days": days},
        )
        return purged


def _aware(value: datetime) -> datetime:
    return utc(value)
