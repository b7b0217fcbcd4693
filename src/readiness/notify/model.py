"""Data types of notifications: event types, webhooks, events and deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

TEST_FLAKY = "test.flaky"
TEST_BROKEN = "test.broken"
QUARANTINE_EXPIRING = "quarantine.expiring"
QUARANTINE_EXPIRED = "quarantine.expired"
GATE_FAILED = "gate.failed"
AUDIT_VERIFY_FAILED = "audit.verify_failed"  # a scheduled verification of the trail failed
# The Pact broker's webhook events (its own names, under "pact.").
PACT_CONTENT_CHANGED = "pact.contract_content_changed"  # a pact differs from the pair's previous
PACT_PUBLISHED = "pact.contract_published"  # every publication, changed or not
PACT_VERIFICATION_PUBLISHED = "pact.provider_verification_published"
PACT_VERIFICATION_SUCCEEDED = "pact.provider_verification_succeeded"
PACT_VERIFICATION_FAILED = "pact.provider_verification_failed"
TEST_EVENT = "readiness.test"  # what ``notify webhooks test`` sends; every webhook accepts it

EVENT_TYPES: tuple[str, ...] = (
    TEST_FLAKY,
    TEST_BROKEN,
    QUARANTINE_EXPIRING,
    QUARANTINE_EXPIRED,
    GATE_FAILED,
    AUDIT_VERIFY_FAILED,
    PACT_CONTENT_CHANGED,
    PACT_PUBLISHED,
    PACT_VERIFICATION_PUBLISHED,
    PACT_VERIFICATION_SUCCEEDED,
    PACT_VERIFICATION_FAILED,
)

KINDS: tuple[str, ...] = ("generic", "slack")

PENDING = "pending"
SENDING = "sending"  # claimed by a worker; back to pending (or on) when its attempt ends
DELIVERED = "delivered"
FAILED = "failed"  # an attempt failed; another is scheduled at ``next_attempt_at``
DEAD = "dead"  # every attempt failed; nothing more is tried
STATUSES: tuple[str, ...] = (PENDING, SENDING, DELIVERED, FAILED, DEAD)


@dataclass(frozen=True, slots=True)
class Event:
    """Something a feature reports: its type, project, time and type-specific ``data``."""

    id: str
    type: str
    project: str
    occurred_at: datetime
    data: dict[str, Any]
    link: str | None = None  # the dashboard page that shows it (a path, or a full URL)


@dataclass(frozen=True, slots=True)
class Webhook:
    """A configured receiver. ``secret`` signs its deliveries and is never shown in full."""

    id: int
    project: str
    url: str
    kind: str
    events: tuple[str, ...]
    secret: str
    created_at: datetime
    created_by: str

    @property
    def secret_prefix(self) -> str:
        """What listings show of the secret: enough to tell two apart."""
        return secret_prefix(self.secret)

    def wants(self, event_type: str) -> bool:
        """Whether this webhook subscribes to ``event_type`` (the test event always)."""
        return event_type == TEST_EVENT or event_type in self.events


def secret_prefix(secret: str) -> str:
    """The first characters of a secret and an ellipsis."""
    return secret[:10] + "…"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event on its way to one webhook, with what its attempts so far returned."""

    id: int
    webhook_id: int
    project: str
    event_id: str
    event_type: str
    payload: str  # the exact body sent (JSON)
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one HTTP attempt returned: a status code, or an error (connection, timeout)."""

    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300
