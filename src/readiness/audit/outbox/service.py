"""Record, relay and read the platform's own audit events (see the package docstring)."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from readiness._common.clock import Clock, SystemClock
from readiness.audit.outbox import store
from readiness.audit.outbox.event import (
    MARKER_PREFIX,
    PlatformEvent,
    platform_entry,
    platform_event,
    read_entry,
)
from readiness.audit.outbox.relay import relay
from readiness.audit.outbox.worker import RelayWorker, running_worker
from readiness.errors import StorageError
from readiness.ledger.sequencer import Sequencer
from readiness.ledger.store import ledger_entries
from readiness.storage.engine import Stores

log = logging.getLogger(__name__)

READ_CHUNK = 512
_shared: dict[tuple[Engine, str], Sequencer] = {}
_shared_lock = threading.Lock()


def shared_sequencer(stores: Stores, clock: Clock) -> Sequencer:
    """This process's one sequencer of the platform's log on ``stores.audit`` (what every
    direct append shares: no thread per call), started on first use and closed by
    ``stores.dispose()``."""
    key = (stores.audit, _origin(stores))
    with _shared_lock:
        sequencer = _shared.get(key)
        if sequencer is None:
            sequencer = Sequencer(stores.audit, key[1], clock, window_ms=0)
            _shared[key] = sequencer
            stores.on_dispose.append(lambda: _close_shared(key))
    return sequencer


def _close_shared(key: tuple[Engine, str]) -> None:
    with _shared_lock:
        sequencer = _shared.pop(key, None)
    if sequencer is not None:
        sequencer.close()


def record(
    conn: Connection,
    *,
    clock: Clock,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    details: Mapping[str, Any] | None = None,
    result: str = "success",
    actor_type: str = "user",
) -> None:
    """Write a platform event to the outbox on ``conn``, inside the caller's state transaction:
    it is committed, or rolled back, with the change it records. An invalid event raises
    :class:`~readiness.errors.InputError` (and so rolls the change back)."""
    marker = uuid.uuid4().hex
    at = clock.now()
    event = platform_event(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or {},
        at=at,
        request_id=MARKER_PREFIX + marker,
        result=result,
        actor_type=actor_type,
    )
    store.insert(conn, marker=marker, action=action, entry=platform_entry(event), at=at)


def _origin(stores: Stores) -> str:
    if stores.audit_origin is None:
        raise StorageError(
            "these stores name no audit log (audit_origin); open them with "
            "readiness.storage.open_stores(settings), which takes it from audit.origin"
        )
    return stores.audit_origin


def relay_pending(stores: Stores, clock: Clock) -> int:
    """Move every committed outbox row into the audit log now; how many were moved."""
    return relay(stores.state, stores.audit, _origin(stores), clock)


def relay_after_commit(stores: Stores, clock: Clock) -> None:
    """Best effort, right after a state change committed. Where a :class:`~readiness.audit.
    outbox.worker.RelayWorker` runs (the server) this only wakes it. Otherwise (the CLI) the
    rows are relayed now: while another relay runs (it takes
    what is committed before its last round) this returns at once, and a failure leaves the
    rows in the outbox; either way the next relay moves them, and anything that reads the
    trail (``audit events``, ``audit verify``) relays first."""
    if stores.audit_origin is None:
        return
    worker = running_worker(stores.state)
    if worker is not None:  # the server: its relay worker moves them, not this request
        worker.wake()
        return
    try:
        relay(stores.state, stores.audit, stores.audit_origin, clock, wait=False)
    except Exception:  # the change is committed and its event safe in the outbox
        log.warning("audit outbox relay failed; the events wait in the outbox", exc_info=True)


def start_relay_worker(stores: Stores, clock: Clock) -> RelayWorker | None:
    """Relay this process's platform events in a background thread from now on (the server);
    None when ``stores`` name no audit log. Stop it with ``worker.stop()``."""
    if stores.audit_origin is None:
        return None
    worker = RelayWorker(stores, clock, relay_pending)
    worker.start()
    return worker


def append_direct(
    stores: Stores,
    *,
    clock: Clock,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    details: Mapping[str, Any] | None = None,
    result: str = "success",
) -> int:
    """Append a platform event that goes with no state change (a read of the trail) straight
    to the ledger, through the process's shared sequencer; its leaf index once durable."""
    event = platform_event(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or {},
        at=clock.now(),
        request_id=f"direct:{uuid.uuid4().hex}",
        result=result,
    )
    [index] = shared_sequencer(stores, clock).append([platform_entry(event)])
    return index


def list_events(
    stores: Stores,
    *,
    limit: int = 100,
    action_prefix: str | None = None,
    clock: Clock | None = None,
) -> list[PlatformEvent]:
    """The newest platform events in the ledger first (pending outbox rows relayed first),
    only actions starting with ``action_prefix`` when given."""
    origin = _origin(stores)
    relay_pending(stores, clock or SystemClock())
    return read_events(stores.audit, origin, limit=limit, action_prefix=action_prefix)


def read_events(
    audit: Engine, origin: str, *, limit: int = 100, action_prefix: str | None = None
) -> list[PlatformEvent]:
    """The newest platform events of log ``origin``, read back from the end of the log."""
    found: list[PlatformEvent] = []
    below: int | None = None
    e = ledger_entries
    with audit.connect() as conn:
        while len(found) < limit:
            query = (
                sa.select(e.c.leaf_index, e.c.entry)
                .where(e.c.log == origin)
                .order_by(e.c.leaf_index.desc())
                .limit(READ_CHUNK)
            )
            if below is not None:
                query = query.where(e.c.leaf_index < below)
            rows = conn.execute(query).all()
            for index, entry in rows:
                event = read_entry(int(index), bytes(entry))
                if event is None or (action_prefix and not event.action.startswith(action_prefix)):
                    continue
                found.append(event)
                if len(found) == limit:
                    break
            if len(rows) < READ_CHUNK:
                break
            below = int(rows[-1][0])
    return found


def waiting(stores: Stores, clock: Clock, *, older_than: timedelta) -> tuple[int, str | None]:
    """Outbox rows older than ``older_than`` that are not in the ledger: their number and the
    oldest one's time (ISO), for ``audit verify``'s warning."""
    with stores.state.connect() as conn:
        count, oldest = store.waiting(conn, older_than=clock.now() - older_than)
    return count, None if oldest is None else oldest.isoformat()
