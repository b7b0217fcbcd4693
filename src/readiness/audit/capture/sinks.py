"""Where captured events go: the ledger, or memory (tests), behind one protocol.

A sink's :meth:`~AuditSink.write` is durable when it returns (the ledger acknowledges only
committed entries) and raises when it could not write; :meth:`~AuditSink.check` raises when
the sink cannot take writes now (the fail-closed middleware asks before a mutation runs).
Every event is validated (:func:`~readiness.audit.events.validate_event`) before it is written.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from readiness.audit.events import entry_bytes, validate_event

if TYPE_CHECKING:
    from readiness.ledger.service import LedgerService


class AuditSink(Protocol):
    """Anything that durably stores audit events. The middleware runs its methods in a worker
    thread unless the sink has ``blocking = False``."""

    def write(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Store ``events`` (all or none); raise when they could not be stored."""
        ...

    def check(self) -> None:
        """Raise when the sink cannot store events now."""
        ...


class LedgerSink:
    """Appends events to the audit trail's ledger (:func:`readiness.audit.trail.open_ledger`)."""

    def __init__(self, ledger: LedgerService) -> None:
        self._ledger = ledger

    def write(self, events: Sequence[Mapping[str, Any]]) -> None:
        entries = [entry_bytes(validate_event(e)) for e in events]
        if entries:
            self._ledger.append(entries)

    def check(self) -> None:
        self._ledger.size()  # a round trip to the audit database


class RecordingSink:
    """Keeps events in memory, validated as the ledger would; for tests. ``fail`` makes every
    write and check raise :class:`ConnectionError` (an audit store that is down)."""

    blocking = False  # the middleware may call it on the event loop

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail = False
        self._lock = threading.Lock()

    def write(self, events: Sequence[Mapping[str, Any]]) -> None:
        if self.fail:
            raise ConnectionError("the recording sink is set to fail")
        checked = [validate_event(e) for e in events]
        with self._lock:
            self.events.extend(checked)

    def check(self) -> None:
        if self.fail:
            raise ConnectionError("the recording sink is set to fail")

    def actions(self) -> list[str]:
        """The action of every event, in order."""
        return [str(e["action"]) for e in self.events]
