"""The relay: committed outbox rows into the ledger, exactly once, one relay at a time.

Each round, under the relay lock:

1. read the oldest rows without a leaf index;
2. rows an earlier attempt claimed (``attempt_from`` set) are looked for in the ledger from
   that size on, by the marker their entry carries: found ones are only marked;
3. the others are claimed (``attempt_from`` = the ledger's size, committed), appended through
   the ledger's sequencer (durable when it returns), and
4. every row's leaf index is stored (committed).

A crash after 3's claim and before 4 leaves rows claimed but unmarked: the next relay finds
what reached the ledger (step 2) and appends only what did not. A crash before the claim
leaves rows unclaimed: they are appended then. So every committed row is in the ledger once.

The lock: on PostgreSQL a session advisory lock of the state schema (released when the
holder's connection ends, a killed process included); on SQLite an exclusive ``flock`` of
``<state.db>.relay-lock`` beside the database (released by the kernel when the process dies).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness._common.clock import Clock
from readiness.audit.outbox import store
from readiness.audit.outbox.event import entry_marker
from readiness.ledger import store as ledger_store
from readiness.ledger.sequencer import Sequencer
from readiness.storage.engine import sqlite_path

DEFAULT_BATCH = 2000
# The advisory lock is (class, schema): two installations in one database, in two schemas
# (a shared server, the test suite's schema per test), each have their own relay.
_LOCK_CLASS = int.from_bytes(
    hashlib.sha256(b"readiness.audit.outbox.relay").digest()[:4], "big", signed=True
)
_LOCK_ARGS = "(:cls, hashtext(current_schema()))"
_thread_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_guard = threading.Lock()

StageHook = Callable[[str], None]


@contextmanager
def relay_lock(state: Engine, *, wait: bool = True) -> Iterator[bool]:
    """Hold the one relay lock of the state database ``state`` (see the module); with
    ``wait=False`` give up at once when another relay holds it (yields False then)."""
    if state.dialect.name == "postgresql":
        with state.connect() as conn:
            take = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
            got = conn.execute(sa.text(f"SELECT {take}{_LOCK_ARGS}"), {"cls": _LOCK_CLASS}).scalar()
            conn.commit()
            if got is False:
                yield False
                return
            try:
                yield True
            finally:
                conn.execute(
                    sa.text(f"SELECT pg_advisory_unlock{_LOCK_ARGS}"), {"cls": _LOCK_CLASS}
                )
                conn.commit()
        return
    with _guard:
        local = _thread_locks.setdefault(state, threading.Lock())
    if not local.acquire(blocking=wait):
        yield False
        return
    try:
        path = sqlite_path(state.url.render_as_string(hide_password=False))
        if path is None:  # in memory: this process is the only one that can see it
            yield True
            return
        fd = os.open(f"{path}.relay-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # releases the flock
    finally:
        local.release()


def _found_in_ledger(audit: Engine, origin: str, rows: Sequence[store.OutboxRow]) -> dict[int, int]:
    """``{row id: leaf index}`` of claimed rows whose entry already reached the ledger."""
    claimed = {row.marker: row.id for row in rows if row.attempt_from is not None}
    if not claimed:
        return {}
    start = min(row.attempt_from for row in rows if row.attempt_from is not None)
    found: dict[int, int] = {}
    with audit.connect() as conn:
        for index, entry, _ in ledger_store.iter_entries(conn, origin, start):
            marker = entry_marker(entry)
            if marker in claimed:
                found[claimed.pop(marker)] = index
                if not claimed:
                    break
    return found


def relay(
    state: Engine,
    audit: Engine,
    origin: str,
    clock: Clock,
    *,
    batch: int = DEFAULT_BATCH,
    stage_hook: StageHook | None = None,
    wait: bool = True,
) -> int:
    """Move every committed outbox row of ``state`` into the log ``origin`` of ``audit``;
    how many rows were placed. ``stage_hook(stage)`` runs after ``claimed``, ``appended`` and
    ``marked`` (what crash tests use to stop the process at each point). ``wait=False``
    returns 0 at once while another relay runs: it moves every row committed before its last
    round, and the next relay the rest."""
    placed_total = 0
    sequencer: Sequencer | None = None
    with relay_lock(state, wait=wait) as held:
        if not held:
            return 0
        try:
            while True:
                with state.connect() as conn:
                    rows = store.pending(conn, batch)
                if not rows:
                    break
                placed = _found_in_ledger(audit, origin, rows)
                fresh = [row for row in rows if row.id not in placed]
                if fresh:
                    ids = [row.id for row in fresh]
                    with audit.connect() as conn:
                        size = ledger_store.stored_size(conn, origin)
                    with state.begin() as conn:
                        store.mark_attempt(conn, ids, size)
                    if stage_hook is not None:
                        stage_hook("claimed")
                    if sequencer is None:
                        sequencer = Sequencer(audit, origin, clock, window_ms=0)
                    indices = sequencer.append([row.entry for row in fresh])
                    if stage_hook is not None:
                        stage_hook("appended")
                    placed.update(zip(ids, indices, strict=True))
                with state.begin() as conn:
                    store.mark_relayed(conn, placed, clock.now())
                if stage_hook is not None:
                    stage_hook("marked")
                placed_total += len(placed)
        finally:
            if sequencer is not None:
                sequencer.close()
    return placed_total
