"""Apply one migration statement and measure what it did.

The statement runs in a transaction of its own; before the commit the session reads
``pg_locks`` for its own backend, which lists exactly the locks the statement took (locks are
held to the end of the transaction), and ``pg_class.relfilenode`` (a changed file is a table
rewrite). Statements PostgreSQL refuses inside a transaction block (``CREATE INDEX
CONCURRENTLY``, ``VACUUM``) run in autocommit while a second connection samples ``pg_locks``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from readiness.migrations.live.catalog import (
    held_locks,
    relation_files,
    rewritten,
    strongest_locks,
)
from readiness.migrations.model import Statement

# "cannot run inside a transaction block" (25001); "invalid transaction termination" (2D000):
# a DO block that COMMITs between batches.
NO_TRANSACTION = ("25001", "2D000")


@dataclass(frozen=True)
class Applied:
    """What one statement did (``error`` set: it failed and was rolled back)."""

    statement: Statement
    version: str
    locks: dict[str, str] = field(default_factory=dict)
    rewrites: list[str] = field(default_factory=list)
    duration_ms: float = 0.0
    error: str | None = None
    sampled: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "migration": self.version,
            "file": self.statement.file,
            "line": self.statement.line,
            "statement": self.statement.sql,
            "locks": self.locks,
            "rewrites": self.rewrites,
            "duration_ms": round(self.duration_ms, 3),
            "lock_source": "sampled" if self.sampled else "pg_locks",
            "error": self.error,
        }


def _error(exc: psycopg.Error) -> str:
    text = exc.diag.message_primary or str(exc).splitlines()[0]
    return f"{exc.diag.sqlstate}: {text}" if exc.diag.sqlstate else text


def apply_statement(
    conn: psycopg.Connection,
    statement: Statement,
    version: str,
    *,
    monotonic: Callable[[], float],
    sampler: Callable[[], psycopg.Connection] | None = None,
) -> Applied:
    """Run ``statement`` on ``conn`` (autocommit mode) and measure it."""
    before = relation_files(conn)
    pid = conn.info.backend_pid
    started = monotonic()
    try:
        with conn.transaction():
            conn.execute(statement.sql)
            locks = strongest_locks(held_locks(conn, pid))
            after = relation_files(conn)
    except psycopg.Error as exc:
        if exc.diag.sqlstate in NO_TRANSACTION:
            return _apply_outside(conn, statement, version, monotonic, sampler)
        return Applied(statement, version, duration_ms=0.0, error=_error(exc))
    elapsed = (monotonic() - started) * 1000
    return Applied(statement, version, locks, rewritten(before, after), elapsed)


def _apply_outside(
    conn: psycopg.Connection,
    statement: Statement,
    version: str,
    monotonic: Callable[[], float],
    sampler: Callable[[], psycopg.Connection] | None,
) -> Applied:
    before = relation_files(conn)
    pid = conn.info.backend_pid
    seen: list[tuple[str, str]] = []
    done = threading.Event()

    def sample() -> None:
        if sampler is None:
            return
        with sampler() as watcher:
            while not done.is_set():
                seen.extend(held_locks(watcher, pid))
                done.wait(0.002)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    started = monotonic()
    try:
        conn.execute(statement.sql)
    except psycopg.Error as exc:
        return Applied(statement, version, error=_error(exc), sampled=True)
    finally:
        done.set()
        thread.join()
    elapsed = (monotonic() - started) * 1000
    after = relation_files(conn)
    return Applied(
        statement, version, strongest_locks(seen), rewritten(before, after), elapsed, sampled=True
    )
