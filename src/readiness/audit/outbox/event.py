"""Platform events as ledger entries: the mapping onto the event schema (pure).

A platform action ("alice created token 5") becomes an application event of
:mod:`readiness.audit.events`: ``actor_id`` a pseudonymous id, ``action`` dotted,
``target_type``/``target_id``, ``result``, ``occurred_at`` (RFC 3339, UTC, ``Z``), and the
action's details as ``after``. ``source`` is :data:`SOURCE` (what tells platform events from an
application's), and ``request_id`` is unique: ``outbox:<marker>`` for an event relayed from the
outbox (by which the relay recognises an entry it already appended), ``direct:<uuid>`` for one
appended straight away, ``audit_events:<seq>`` for one moved from the old hash chain.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from readiness._common.canonical import to_jsonable
from readiness._common.clock import utc
from readiness.audit.events import MAX_ID, entry_bytes, validate_event

SOURCE = "readiness"
MARKER_PREFIX = "outbox:"
ACTOR_TYPES = ("user", "token", "service")

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/\-]*\Z")
_EMAILISH = re.compile(r"@|%40|\[at\]", re.IGNORECASE)
_TOKEN_ACTOR = re.compile(r".*#(\d+)\Z", re.DOTALL)


def pseudonym(text: str) -> str:
    """``text`` as an event id: itself when it is one (letters, digits, ``_ . : / -``, no
    e-mail address); ``token:<id>`` for a dashboard or API caller (``<name>#<id>``); otherwise
    ``sha256:`` and 32 hex digits of its hash, a stable pseudonym that names no one."""
    if text and len(text) <= MAX_ID and _ID.match(text) and not _EMAILISH.search(text):
        return text
    token = _TOKEN_ACTOR.match(text)
    if token:
        return f"token:{token.group(1)}"
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def rfc3339(at: datetime) -> str:
    """``at`` as RFC 3339 UTC with milliseconds and ``Z``: ``2026-03-10T09:30:00.000Z``."""
    return utc(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def platform_event(
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    details: Mapping[str, Any],
    at: datetime,
    request_id: str,
    result: str = "success",
    actor_type: str = "user",
) -> dict[str, Any]:
    """The validated event of one platform action (see the module)."""
    after = to_jsonable(dict(details))
    target = pseudonym(target_id)
    if target != target_id:
        after = {**after, "target": target_id}  # not an id (a test id with brackets): kept here
    return validate_event(
        {
            "actor_id": pseudonym(actor),
            "actor_type": actor_type,
            "action": action,
            "target_type": target_type,
            "target_id": target,
            "result": result,
            "occurred_at": rfc3339(at),
            "source": SOURCE,
            "request_id": request_id,
            "after": after,
        }
    )


def platform_entry(event: Mapping[str, Any]) -> bytes:
    """The ledger entry of a platform event (RFC 8785 canonical JSON)."""
    return entry_bytes(event)


@dataclass(frozen=True)
class PlatformEvent:
    """A platform event as read back from the ledger."""

    index: int
    occurred_at: datetime
    actor_id: str
    actor_type: str
    action: str
    target_type: str
    target_id: str
    result: str
    details: dict[str, Any]

    @property
    def target(self) -> str:
        """``<target_type>:<target_id>``, as the CLI shows it."""
        return f"{self.target_type}:{self.target_id}"


def read_entry(index: int, entry: bytes) -> PlatformEvent | None:
    """The platform event stored as leaf ``index``; None for an application's own event."""
    try:
        value = json.loads(entry)
    except ValueError:
        return None
    if not isinstance(value, dict) or value.get("source") != SOURCE:
        return None
    stamp = str(value.get("occurred_at", ""))
    return PlatformEvent(
        index=index,
        occurred_at=datetime.fromisoformat(stamp.replace("Z", "+00:00")),
        actor_id=str(value.get("actor_id")),
        actor_type=str(value.get("actor_type")),
        action=str(value.get("action")),
        target_type=str(value.get("target_type")),
        target_id=str(value.get("target_id")),
        result=str(value.get("result")),
        details=dict(value.get("after") or {}),
    )


def entry_marker(entry: bytes) -> str | None:
    """The outbox marker an entry carries (None: not a relayed platform event)."""
    if MARKER_PREFIX.encode() not in entry:  # the cheap test first: most entries are not ours
        return None
    try:
        value = json.loads(entry)
    except ValueError:
        return None
    if not isinstance(value, dict) or value.get("source") != SOURCE:
        return None
    request_id = value.get("request_id")
    if not isinstance(request_id, str):
        return None
    return request_id.removeprefix(MARKER_PREFIX) if request_id.startswith(MARKER_PREFIX) else None
