"""Pure rules of audit queries: filters and their limits, keyset cursors, index rows, as-of.

No database, no clock. Every refusal is an :class:`~readiness.errors.InputError` that names the
filter, what it got and what it expects.

**As-of reconstruction** (:func:`fold_as_of`): the state of a target at time ``T`` is folded
from its events with ``occurred_at <= T`` in order ``(occurred_at, leaf_index)``:

- an event with ``after`` merges it into the state: every field of ``after`` overrides the
  field of that name; fields it does not name keep their value (``after`` may be a diff);
- an event with ``before`` and no ``after`` is a deletion: the target no longer exists and its
  state is emptied; a later event with ``after`` creates it again from nothing;
- an event with neither (a read, a failed attempt) changes nothing;
- an event whose ``result`` is not ``success`` changes nothing: a refused change did not happen.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from readiness.errors import InputError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_LIMIT = 1000
DEFAULT_LIMIT = 50
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})\Z"
)
_FRACTION = re.compile(r"\.(\d{1,9})")
_CURSOR = re.compile(r"[A-Za-z0-9_\-]{1,64}\Z")
_FILTER_TEXT = re.compile(r"[A-Za-z0-9_.:/\-]{1,256}\Z")
INDEXED = (
    "actor_id",
    "actor_type",
    "action",
    "target_type",
    "target_id",
    "result",
    "tenant",
    "source",
)


def parse_time(text: str, what: str) -> datetime:
    """``text`` (``2026-04-10``, or an RFC 3339 time with a zone) as an aware UTC datetime."""
    value = text.strip()
    try:
        if _DATE.match(value):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        if _TIME.match(value):
            # Python keeps microseconds: nanoseconds are cut (events are ordered by leaf after).
            trimmed = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value, count=1)
            return datetime.fromisoformat(trimmed.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        pass
    raise InputError(
        f"{what}: {text[:40]!r} is not a date (2026-04-10) or a time with a zone "
        "(2026-04-10T14:23:01Z)",
        details={"field": what},
    )


def occurred_at(event: Mapping[str, Any]) -> datetime:
    """The ``occurred_at`` of a stored event as a datetime (microseconds; UTC)."""
    return parse_time(str(event["occurred_at"]), "occurred_at")


def iso(at: datetime) -> str:
    """An aware datetime as RFC 3339 UTC with microseconds: ``2026-04-10T14:23:01.000000Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the event ``(occurred_at, leaf_index)``, newest first."""

    occurred_at: datetime
    leaf_index: int

    def encode(self) -> str:
        raw = f"{_epoch_micros(self.occurred_at)}.{self.leaf_index}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        problem = f"cursor: {text[:40]!r} is not a cursor this query returned (next_cursor)"
        if not _CURSOR.match(text):
            raise InputError(problem, details={"field": "cursor"})
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
            micros_text, _, leaf_text = raw.partition(".")
            micros, leaf = int(micros_text), int(leaf_text)
            if leaf < 0 or not micros_text.lstrip("-").isdigit() or not leaf_text.isdigit():
                raise ValueError(raw)
            at = EPOCH + timedelta(microseconds=micros)
        except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError) as exc:
            raise InputError(problem, details={"field": "cursor"}) from exc
        return cls(at, leaf)


def _epoch_micros(at: datetime) -> int:
    delta = at.astimezone(UTC) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass(frozen=True)
class Filters:
    """What a query asks for. ``action`` ending in ``*`` is a prefix (``invoice.*``)."""

    actor_id: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    action: str | None = None
    result: str | None = None
    tenant: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = DEFAULT_LIMIT
    cursor: Cursor | None = None

    @property
    def action_prefix(self) -> str | None:
        return self.action[:-1] if self.action and self.action.endswith("*") else None

    def as_record(self) -> dict[str, Any]:
        """The filters given, as plain JSON (what the audit event of the read records)."""
        out: dict[str, Any] = {}
        for name in ("actor_id", "target_type", "target_id", "action", "result", "tenant"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.since is not None:
            out["since"] = iso(self.since)
        if self.until is not None:
            out["until"] = iso(self.until)
        out["limit"] = self.limit
        if self.cursor is not None:
            out["cursor"] = self.cursor.encode()
        return out

    def after(self, cursor: Cursor | None) -> Filters:
        return replace(self, cursor=cursor)


def make_filters(
    *,
    actor_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    action: str | None = None,
    result: str | None = None,
    tenant: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    max_limit: int = MAX_LIMIT,
) -> Filters:
    """Checked filters from text as users type it (CLI options, query parameters)."""
    texts = {
        "actor": actor_id,
        "target_type": target_type,
        "target_id": target_id,
        "result": result,
        "tenant": tenant,
    }
    for name, value in texts.items():
        if value is not None and not _FILTER_TEXT.match(value):
            raise InputError(
                f"{name}: {value[:40]!r} is not an id or name (1 to 256 letters, digits, "
                "_ . : / -)",
                details={"field": name},
            )
    if action is not None:
        body = action[:-1] if action.endswith("*") else action
        if not (body or action == "*") or (body and not _FILTER_TEXT.match(body)):
            raise InputError(
                f"action: {action[:40]!r} is not an action (invoice.update) or a prefix "
                "ending in * (invoice.*)",
                details={"field": "action"},
            )
        if action == "*":
            action = None
    if target_id is not None and target_type is None:
        raise InputError(
            "target_id: give target_type too (an id is unique only within its type)",
            details={"field": "target_id"},
        )
    if not 1 <= limit <= max_limit:
        raise InputError(
            f"limit: {limit} is out of range; give 1 to {max_limit}", details={"field": "limit"}
        )
    start = parse_time(since, "since") if since is not None else None
    end = parse_time(until, "until") if until is not None else None
    if start is not None and end is not None and start > end:
        raise InputError(
            f"since: {iso(start)} is after until {iso(end)}; give since <= until",
            details={"field": "since"},
        )
    return Filters(
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
        action=action,
        result=result,
        tenant=tenant,
        since=start,
        until=end,
        limit=limit,
        cursor=Cursor.decode(cursor) if cursor is not None else None,
    )


def index_row(log: str, leaf_index: int, event: Mapping[str, Any]) -> dict[str, Any]:
    """The index row of the event stored at ``leaf_index`` of ``log``."""
    row: dict[str, Any] = {"log": log, "leaf_index": leaf_index, "occurred_at": occurred_at(event)}
    for name in INDEXED:
        value = event.get(name)
        row[name] = str(value) if value is not None else None
    return row


def decode_entry(entry: bytes) -> dict[str, Any] | None:
    """A ledger entry as an event object, or None when it is not one (nothing to index)."""
    try:
        value = json.loads(entry)
    except (ValueError, UnicodeDecodeError):
        return None
    required = ("actor_id", "actor_type", "action", "target_type", "target_id", "result")
    if not isinstance(value, dict) or any(not isinstance(value.get(k), str) for k in required):
        return None
    if not isinstance(value.get("occurred_at"), str) or not _TIME.match(value["occurred_at"]):
        return None
    return value


# --- as-of ---------------------------------------------------------------------------------


@dataclass
class AsOf:
    """The state of one target at ``at`` (see the module docstring for the rules)."""

    target_type: str
    target_id: str
    at: datetime | None
    exists: bool = False
    state: dict[str, Any] = field(default_factory=dict)
    fields_set_by: dict[str, int] = field(default_factory=dict)  # field -> leaf index
    events: int = 0  # events at or before `at`
    applied: int = 0  # of those, the ones that changed the state
    last_leaf_index: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "target_type": self.target_type,
            "target_id": self.target_id,
            "as_of": iso(self.at) if self.at is not None else None,
            "exists": self.exists,
            "state": self.state if self.exists else None,
            "fields_set_by": self.fields_set_by if self.exists else {},
            "events": self.events,
            "applied": self.applied,
            "last_leaf_index": self.last_leaf_index,
        }


def fold_as_of(
    target_type: str,
    target_id: str,
    events: Iterable[tuple[int, Mapping[str, Any]]],
    at: datetime | None,
) -> AsOf:
    """Fold ``(leaf_index, event)`` of one target, in ``(occurred_at, leaf_index)`` order,
    into its state at ``at`` (None: after every event)."""
    out = AsOf(target_type, target_id, at)
    for leaf_index, event in events:
        if at is not None and occurred_at(event) > at:
            break
        out.events += 1
        out.last_leaf_index = leaf_index
        if event.get("result") != "success":
            continue
        after, before = event.get("after"), event.get("before")
        if isinstance(after, Mapping):
            out.exists = True
            out.state.update(after)
            out.fields_set_by.update(dict.fromkeys(after, leaf_index))
            out.applied += 1
        elif before is not None:
            out.exists = False
            out.state.clear()
            out.fields_set_by.clear()
            out.applied += 1
    return out
