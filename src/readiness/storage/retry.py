"""Waiting for a busy database: bounded retries with backoff, and SQLite's write lock.

SQLite admits one writer at a time. A writer that finds the lock taken waits inside SQLite for
its ``busy_timeout`` and then fails with "database is locked"; behind a few large concurrent
writers that is not long enough, and a CI job whose ingest fails loses its run. :func:`retry`
repeats such an operation, with exponential backoff and jitter, until it succeeds or a bounded
wait is spent; :func:`begin_immediate` takes SQLite's write lock that way *before* a transaction
writes anything, so nothing is ever replayed half-way.

The clock, the sleep and the jitter's random source are parameters: the policy is tested without
waiting, and later features reuse it for their own writes.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from readiness.errors import ReadinessError, StorageError

T = TypeVar("T")

_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to keep trying and how to space the attempts.

    ``wait_s`` bounds the total time spent waiting between attempts (the last attempt may end a
    little later). Delays grow from ``first_delay_s`` by ``factor`` up to ``max_delay_s``; each
    is drawn uniformly below that bound ("full jitter"), so writers that collided once do not
    collide again in lockstep. ``attempt_ms`` is how long one attempt may block inside the
    database (SQLite's ``busy_timeout``).
    """

    wait_s: float = 300.0
    first_delay_s: float = 0.02
    max_delay_s: float = 1.0
    factor: float = 2.0
    attempt_ms: int = 2000

    def delays(self, rng: random.Random) -> Iterator[float]:
        """The pauses between attempts, without end (the caller stops at ``wait_s``)."""
        bound = min(self.first_delay_s, self.max_delay_s)
        while True:
            yield rng.uniform(0.0, bound)
            bound = min(self.max_delay_s, bound * self.factor)


DEFAULT_WRITE_WAIT = RetryPolicy()


def retry(
    operation: Callable[[], T],
    *,
    retryable: Callable[[BaseException], bool],
    give_up: Callable[[float, BaseException], ReadinessError],
    policy: RetryPolicy = DEFAULT_WRITE_WAIT,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """``operation()``, repeated while it raises a ``retryable`` error and the wait lasts.

    Once ``policy.wait_s`` has been spent the last error is replaced by ``give_up(waited_s,
    error)``; an error that is not retryable propagates at once.
    """
    start = clock()
    delays = policy.delays(rng if rng is not None else random.Random())  # noqa: S311 - jitter, not crypto
    while True:
        try:
            return operation()
        except Exception as exc:
            if not retryable(exc):
                raise
            waited = clock() - start
            if waited >= policy.wait_s:
                raise give_up(waited, exc) from exc
            sleep(min(next(delays), policy.wait_s - waited))


def is_sqlite_busy(exc: BaseException) -> bool:
    """Whether ``exc`` (or the DBAPI error it wraps) is SQLite's "database is locked"."""
    orig: Any = getattr(exc, "orig", exc)
    if not isinstance(orig, sqlite3.OperationalError):
        return False
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "locked" in str(orig)


def begin_immediate(
    dbapi_connection: Any,
    *,
    database: str,
    policy: RetryPolicy | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> None:
    """Open a transaction that holds SQLite's write lock, waiting for it as ``policy`` allows.

    ``dbapi_connection`` is a ``sqlite3`` connection that leaves transaction control to its
    caller (``isolation_level = None``). Each attempt blocks up to ``policy.attempt_ms`` inside
    SQLite; a writer still locked out after ``policy.wait_s`` gets one StorageError line naming
    ``database``. Without ``policy``, :data:`DEFAULT_WRITE_WAIT` applies.
    """
    policy = policy if policy is not None else DEFAULT_WRITE_WAIT
    saved = dbapi_connection.execute("PRAGMA busy_timeout").fetchone()[0]
    dbapi_connection.execute(f"PRAGMA busy_timeout = {int(policy.attempt_ms)}")
    try:
        retry(
            lambda: dbapi_connection.execute("BEGIN IMMEDIATE"),
            retryable=is_sqlite_busy,
            give_up=lambda waited, _exc: lock_wait_expired(database, waited),
            policy=policy,
            clock=clock,
            sleep=sleep,
            rng=rng,
        )
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout = {int(saved)}")


def lock_wait_expired(database: str, waited_s: float) -> StorageError:
    """The one line a writer gets when another writer kept SQLite's lock too long."""
    return StorageError(
        f"SQLite database {database}: another writer held the write lock for {waited_s:.0f} s; "
        "nothing was written. Run the command again once the other writer is done, or use "
        "PostgreSQL (state_url) for many concurrent writers",
        details={"database": database, "waited_s": round(waited_s, 1)},
    )
