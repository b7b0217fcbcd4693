"""The sequencer: one writer thread per log that gives entries their indices by group commit.

Submitters (any number of threads) call :meth:`Sequencer.append` and block until their entries
are durable. The sequencer thread takes whatever is pending (waiting at most ``window_ms`` for
more, at most ``max_batch`` entries), and in ONE transaction: takes the log's write lock, checks
the stored size, appends every leaf to its in-memory :class:`CompactRange`, inserts the entries
(with their leaf hashes) and every interior node they complete, commits; then it acknowledges
each submitter with its indices.
Nothing locks the chain head per event: the lock is taken once per batch.

Several processes may run a sequencer on the same log: the per-batch lock (PostgreSQL:
``pg_advisory_xact_lock`` on a key derived from the log name; SQLite: ``BEGIN IMMEDIATE``, the
database's write lock) serialises their batches, and a sequencer that finds the stored size
moved (another process appended) reloads its compact range from the stored nodes first. The
primary key ``(log, leaf_index)`` makes a fork impossible even if that logic were wrong.

Durability: PostgreSQL commits with ``synchronous_commit`` as configured (default on); the
sequencer's SQLite connection runs with ``synchronous=FULL``, so an acknowledged entry survives
a crash of the process and of the machine.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from readiness._common.clock import Clock
from readiness.errors import LedgerError
from readiness.ledger.core.compact import CompactRange
from readiness.ledger.core.merkle import root_plan
from readiness.ledger.store import LOG_LENGTH, fetch_nodes, stored_size

_LEAF = b"\x00"
_sha256 = hashlib.sha256
DEFAULT_WINDOW_MS = 2.0
DEFAULT_MAX_BATCH = 8192


def advisory_key(log: str) -> int:
    """The signed 64-bit PostgreSQL advisory lock key of ``log``."""
    digest = _sha256(b"readiness.ledger\x00" + log.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _sqlite_time(at: datetime) -> str:
    """A datetime as SQLAlchemy stores it in SQLite (naive UTC text)."""
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


class _Submission:
    __slots__ = ("entries", "future")

    def __init__(self, entries: list[bytes]) -> None:
        self.entries = entries
        self.future: Future[list[int]] = Future()


class Sequencer:
    """The one writer of a log in this process (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        log: str,
        clock: Clock,
        *,
        window_ms: float = DEFAULT_WINDOW_MS,
        max_batch: int = DEFAULT_MAX_BATCH,
        stage_hook: Callable[[str], None] | None = None,
    ) -> None:
        """``stage_hook(stage)`` is called in each batch after ``locked``, ``inserted`` and
        ``committed`` (before acknowledging): what crash tests use to stop at each point."""
        if not log or len(log) > LOG_LENGTH:
            raise LedgerError(f"log name must be 1 to {LOG_LENGTH} characters (got {len(log)})")
        if window_ms < 0 or max_batch < 1:
            raise LedgerError("sequencer window must be >= 0 ms and max batch >= 1")
        self._engine = engine
        self._log = log
        self._clock = clock
        self._window = window_ms / 1000.0
        self._max_batch = max_batch
        self._hook = stage_hook
        self._pg = engine.dialect.name == "postgresql"
        self._range: CompactRange | None = None
        self._pending: list[_Submission] = []
        self._pending_count = 0
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, name=f"ledger-sequencer:{log}", daemon=True
        )
        self._thread.start()

    @property
    def log(self) -> str:
        return self._log

    def append(self, entries: Sequence[bytes]) -> list[int]:
        """Sequence ``entries``; return their leaf indices once they are durable."""
        batch = [bytes(entry) for entry in entries]
        if not batch:
            return []
        submission = _Submission(batch)
        with self._cond:
            if self._closed:
                raise LedgerError(f"the sequencer of log {self._log!r} is closed")
            self._pending.append(submission)
            self._pending_count += len(batch)
            self._cond.notify_all()
        return submission.future.result()

    def close(self) -> None:
        """Write what is pending, then stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()

    def _take(self) -> list[_Submission] | None:
        with self._cond:
            while not self._pending and not self._closed:
                self._cond.wait()
            if not self._pending:
                return None
            if self._window and not self._closed:
                deadline = time.monotonic() + self._window
                while self._pending_count < self._max_batch and not self._closed:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
            taken: list[_Submission] = []
            count = 0
            while self._pending and (
                not taken or count + len(self._pending[0].entries) <= self._max_batch
            ):
                submission = self._pending.pop(0)
                taken.append(submission)
                count += len(submission.entries)
            self._pending_count -= count
            return taken

    def _run(self) -> None:
        conn: Connection | None = None
        try:
            while (taken := self._take()) is not None:
                try:
                    if conn is None:
                        conn = self._engine.connect()
                        if not self._pg:
                            conn.exec_driver_sql("PRAGMA synchronous=FULL")
                            conn.commit()
                    indices = self._write([entry for s in taken for entry in s.entries], conn)
                except BaseException as exc:
                    self._range = None  # reload from storage before the next batch
                    if conn is not None:
                        conn.invalidate()
                        conn.close()
                        conn = None
                    for submission in taken:
                        submission.future.set_exception(
                            LedgerError(f"log {self._log!r}: the batch was not stored: {exc}")
                        )
                    continue
                position = 0
                for submission in taken:
                    count = len(submission.entries)
                    submission.future.set_result(
                        list(range(indices + position, indices + position + count))
                    )
                    position += count
        finally:
            if conn is not None:
                conn.close()

    def _write(self, entries: list[bytes], conn: Connection) -> int:
        """Store ``entries`` in one transaction; return the first leaf index given."""
        log = self._log
        with conn.begin():
            if self._pg:
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(log)}
                )
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            size = stored_size(conn, log)
            if self._hook is not None:
                self._hook("locked")
            tree = self._range
            if tree is None or tree.size != size:
                found = fetch_nodes(conn, log, root_plan(size))
                tree = CompactRange(size, [found[node] for node in root_plan(size)])
            at = self._clock.now()
            entry_rows = []
            node_rows = []
            append = tree.append
            for offset, entry in enumerate(entries):
                leaf = _sha256(_LEAF + entry).digest()
                entry_rows.append((log, size + offset, entry, leaf, at))
                # created[0] is the leaf itself: stored once, as the entry's leaf hash.
                for (level, index), value in append(leaf)[1:]:
                    node_rows.append((log, level, index, value))
            if self._pg:
                self._copy_pg(conn, entry_rows, node_rows)
            else:
                stamp = _sqlite_time(at)
                conn.exec_driver_sql(
                    "INSERT INTO ledger_entries (log, leaf_index, entry, leaf_hash, appended_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(r[0], r[1], r[2], r[3], stamp) for r in entry_rows],
                )
                if node_rows:
                    conn.exec_driver_sql(
                        "INSERT INTO ledger_nodes (log, level, node_index, hash) "
                        "VALUES (?, ?, ?, ?)",
                        node_rows,
                    )
            if self._hook is not None:
                self._hook("inserted")
        self._range = tree
        if self._hook is not None:
            self._hook("committed")
        return size

    @staticmethod
    def _copy_pg(
        conn: Connection,
        entry_rows: list[tuple[str, int, bytes, bytes, datetime]],
        node_rows: list[tuple[str, int, int, bytes]],
    ) -> None:
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            with cursor.copy(
                "COPY ledger_entries (log, leaf_index, entry, leaf_hash, appended_at) "
                "FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["text", "int8", "bytea", "bytea", "timestamptz"])
                for row in entry_rows:
                    copy.write_row(row)
            with cursor.copy(
                "COPY ledger_nodes (log, level, node_index, hash) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["text", "int2", "int8", "bytea"])
                for node in node_rows:
                    copy.write_row(node)
