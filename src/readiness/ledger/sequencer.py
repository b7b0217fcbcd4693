"""The sequencer: one writer thread per log that gives entries their indices by group commit.

Submitters (any number of threads) call :meth:`Sequencer.append` and block until their entries
are durable. The sequencer thread takes whatever is pending (waiting at most ``window_ms`` for
more, and no longer once as many entries wait as the last batch held, at most ``max_batch``
entries), and in ONE transaction: takes the log's write lock, checks
the stored size, appends every leaf to its in-memory :class:`CompactRange`, inserts the entries
(with their leaf hashes) and every interior node they complete of a stored level
(``store.MIN_STORED_LEVEL`` and above), commits; then it acknowledges
each submitter with its indices.
Nothing locks the chain head per event: the lock is taken once per batch.

Several processes may run a sequencer on the same log: the per-batch lock (PostgreSQL:
``pg_advisory_xact_lock`` on a key derived from the log name; SQLite: ``BEGIN IMMEDIATE``, the
database's write lock) serialises their batches, and a sequencer that finds the stored size
moved (another process appended) reloads its compact range from the stored nodes first. The
primary key ``(log, leaf_index)`` makes a fork impossible even if that logic were wrong. On
PostgreSQL the lock and the insert go in one round trip, the insert guarded by the size read
under the lock (when another process appended, it writes nothing, and the batch takes the
reload path in the same transaction); the stage hook then reports ``locked`` after the insert.
That path is taken only for the month partition the sequencer knows open; when its insert is
refused by the cut constraint of a roll-over it had not seen (another process's), nothing was
stored and the same call redoes the batch on the locked path, which finishes the roll-over.

Durability: PostgreSQL commits with ``synchronous_commit`` as configured (default on); the
sequencer's SQLite connection runs with ``synchronous=FULL``, so an acknowledged entry survives
a crash of the process and of the machine.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import datetime

from sqlalchemy.engine import Connection, Engine

from readiness._common.clock import Clock
from readiness.errors import LedgerError
from readiness.ledger import partitions
from readiness.ledger.core.compact import CompactRange
from readiness.ledger.core.merkle import root_plan
from readiness.ledger.store import LOG_LENGTH, MIN_STORED_LEVEL, fetch_nodes, stored_size

_log = logging.getLogger(__name__)
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
        cut_margin: int = partitions.CUT_MARGIN,
        exact_cut_rows: int = partitions.EXACT_CUT_ROWS,
        validate_cuts: bool = True,
    ) -> None:
        """``stage_hook(stage)`` is called in each batch after ``locked``, ``inserted`` and
        ``committed`` (before acknowledging): what crash tests use to stop at each point.

        PostgreSQL month partitions: a closing partition of more than ``exact_cut_rows``
        leaves is cut ``cut_margin`` leaves after the month's first batch and validated
        outside the lock; ``validate_cuts`` False: no validator thread (someone else runs
        :func:`readiness.ledger.partitions.validate_cut`)."""
        if not log or len(log) > LOG_LENGTH:
            raise LedgerError(f"log name must be 1 to {LOG_LENGTH} characters (got {len(log)})")
        if window_ms < 0 or max_batch < 1:
            raise LedgerError("sequencer window must be >= 0 ms and max batch >= 1")
        self._engine = engine
        self._log = log
        self._clock = clock
        self._partitioned: bool | None = None  # PostgreSQL: month partitions (read once)
        self._open_month: partitions.Month | None = None
        self._cut_margin = cut_margin
        self._exact_cut_rows = exact_cut_rows
        self._validate_cuts = validate_cuts
        self._validator: threading.Thread | None = None
        self._cut_pending = False  # the last batch left a roll-over waiting for validation
        self._window = window_ms / 1000.0
        self._max_batch = max_batch
        self._hook = stage_hook
        self._pg = engine.dialect.name == "postgresql"
        self._range: CompactRange | None = None
        self._pending: list[_Submission] = []
        self._pending_count = 0
        self._last_batch = 0
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
        return self.submit(entries).result()

    def submit(self, entries: Sequence[bytes]) -> Future[list[int]]:
        """Queue ``entries`` without waiting: the future gives their indices once durable,
        or raises :class:`LedgerError` when their batch was not stored."""
        submission = _Submission([bytes(entry) for entry in entries])
        if not submission.entries:
            submission.future.set_result([])
            return submission.future
        with self._cond:
            if self._closed:
                raise LedgerError(f"the sequencer of log {self._log!r} is closed")
            self._pending.append(submission)
            self._pending_count += len(submission.entries)
            self._cond.notify_all()
        return submission.future

    def close(self) -> None:
        """Write what is pending, then stop the thread (and wait for a cut validation under
        way: one scan of a month partition)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()
        if self._validator is not None:
            self._validator.join()

    def _take(self) -> list[_Submission] | None:
        with self._cond:
            while not self._pending and not self._closed:
                self._cond.wait()
            if not self._pending:
                return None
            if self._window and not self._closed:
                # Wait for more until the window ends, the batch is full, or as many entries
                # are pending as the last batch held (its submitters are back: waiting longer
                # only delays them).
                enough = min(self._max_batch, max(self._last_batch, 1))
                deadline = time.monotonic() + self._window
                while self._pending_count < enough and not self._closed:
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
            self._last_batch = count
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
                    self._open_month = None  # and the partition layout (rolled back too)
                    if conn is not None:
                        conn.invalidate()
                        conn.close()
                        conn = None
                    for submission in taken:
                        submission.future.set_exception(
                            LedgerError(
                                f"log {self._log!r}: the batch failed and was not "
                                f"acknowledged: {exc}"
                            )
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
        leaves = [_sha256(_LEAF + entry).digest() for entry in entries]
        self._cut_pending = False
        try:
            with conn.begin():
                size, tree = self._store(conn, entries, leaves)
                if self._hook is not None:
                    self._hook("inserted")
        except _CutPassed:
            # The one-round-trip insert ran into the cut of a roll-over this sequencer had not
            # seen (another process's): its transaction stored nothing and was rolled back.
            # The same call takes the locked path, which finishes the roll-over first.
            self._range = None
            self._open_month = None
            with conn.begin():
                size, tree = self._store(conn, entries, leaves)
                if self._hook is not None:
                    self._hook("inserted")
        self._range = tree
        if self._hook is not None:
            self._hook("committed")
        if self._cut_pending:
            self._start_validator()  # a roll-over waits for its cut to be validated
        return size

    def _start_validator(self) -> None:
        if not self._validate_cuts or (self._validator and self._validator.is_alive()):
            return
        self._validator = threading.Thread(
            target=self._validate, name=f"ledger-cut-validator:{self._log}", daemon=True
        )
        self._validator.start()

    def _validate(self) -> None:
        """Check the closing partition's cut outside the write lock (see
        :mod:`readiness.ledger.partitions`); the next batch finishes the roll-over. A failure
        is left to that batch: it validates in line when it must."""
        try:
            with self._engine.begin() as conn:
                partitions.validate_cut(conn, self._log)
        except Exception:
            _log.warning(
                "log %r: validating the cut of its month partition failed; the next batch "
                "tries again, and validates in line once it must",
                self._log,
                exc_info=True,
            )

    def _store(
        self, conn: Connection, entries: list[bytes], leaves: list[bytes]
    ) -> tuple[int, CompactRange]:
        """Lock, insert; the first index given and the tree extended by ``leaves``."""
        tree = self._range
        at = self._clock.now()
        if self._pg and tree is not None and self._month_open(at):
            # The common case, one round trip: lock, then insert at the size this sequencer
            # knows, guarded by the stored size read under the lock. ``appended_at`` is then
            # read before the lock is granted (a batch of another process that held it may
            # carry a time a few ms later than this one's).
            size = tree.size
            nodes = self._extend(tree, leaves)
            if self._insert_known_month(conn, size, entries, leaves, nodes, at):
                if self._hook is not None:
                    self._hook("locked")  # locked and inserted in the same round trip
                return size, tree
            tree = None  # another process appended: nothing was inserted; reload below
        if self._pg:
            size = self._lock_pg(conn)
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            size = stored_size(conn, self._log)
        if self._hook is not None:
            self._hook("locked")
        at = self._clock.now()
        if self._pg:
            self._ensure_partition(conn, size, at, size + len(entries))
        if tree is None or tree.size != size:
            found = fetch_nodes(conn, self._log, root_plan(size))
            tree = CompactRange(size, [found[node] for node in root_plan(size)])
        nodes = self._extend(tree, leaves)
        if self._pg:
            inserted = self._lock_insert_pg(conn, size, entries, leaves, nodes, at)
            if not inserted:  # pragma: no cover - the size was read under the lock held
                raise LedgerError(f"log {self._log!r}: its size moved under the write lock")
        else:
            self._insert_sqlite(conn, size, entries, leaves, nodes, at)
        return size, tree

    def _insert_known_month(  # noqa: PLR0917 - the rows of one batch
        self,
        conn: Connection,
        size: int,
        entries: list[bytes],
        leaves: list[bytes],
        nodes: list[tuple[int, int, bytes]],
        at: datetime,
    ) -> bool:
        """:meth:`_lock_insert_pg` into the partition this sequencer knows open; its refusal by
        the cut constraint of a roll-over this sequencer has not seen: :class:`_CutPassed`."""
        try:
            return self._lock_insert_pg(conn, size, entries, leaves, nodes, at)
        except Exception as exc:
            if _passes_cut(exc, self._log, self._open_month):
                raise _CutPassed from exc
            raise

    def _month_open(self, at: datetime) -> bool:
        """Whether a batch appended at ``at`` may take the one-round-trip path: the entry table
        is not partitioned, or its open partition is ``at``'s month."""
        return self._partitioned is False or self._open_month == partitions.month_of(at)

    def _ensure_partition(self, conn: Connection, size: int, at: datetime, end: int) -> None:
        """Under the lock: roll the log's open month partition over when ``at`` is in a new
        month (see :mod:`readiness.ledger.partitions`)."""
        if self._partitioned is None:
            self._partitioned = partitions.is_partitioned(conn)
        if self._partitioned:
            opened = partitions.ensure_month(
                conn,
                self._log,
                partitions.month_of(at),
                size,
                at,
                end,
                margin=self._cut_margin,
                exact_below=self._exact_cut_rows,
            )
            # While a cut is under way every batch comes back here (no one-round-trip path):
            # one that would pass the cut finishes the roll-over first.
            self._cut_pending = opened.cut_pending
            self._open_month = None if opened.cut_pending else opened.month

    @staticmethod
    def _extend(tree: CompactRange, leaves: list[bytes]) -> list[tuple[int, int, bytes]]:
        """Append ``leaves`` to ``tree``; the nodes to store. Level 0 is stored once, as the
        entries' leaf hashes; the levels below ``store.MIN_STORED_LEVEL`` are folded from them
        when needed."""
        return [
            (lv, index, value)
            for (lv, index), value in tree.extend(leaves, from_level=MIN_STORED_LEVEL)
        ]

    def _insert_sqlite(  # noqa: PLR0917 - the rows of one batch
        self,
        conn: Connection,
        size: int,
        entries: list[bytes],
        leaves: list[bytes],
        nodes: list[tuple[int, int, bytes]],
        at: datetime,
    ) -> None:
        log, stamp = self._log, _sqlite_time(at)
        conn.exec_driver_sql(
            "INSERT INTO ledger_entries (log, leaf_index, entry, leaf_hash, appended_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (log, size + i, entry, leaf, stamp)
                for i, (entry, leaf) in enumerate(zip(entries, leaves, strict=True))
            ],
        )
        if nodes:
            conn.exec_driver_sql(
                "INSERT INTO ledger_nodes (log, level, node_index, hash) VALUES (?, ?, ?, ?)",
                [(log, level, index, value) for level, index, value in nodes],
            )

    def _lock_pg(self, conn: Connection) -> int:
        """Take the log's advisory lock and read its size: one round trip (pipelined)."""
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.pipeline():
            driver.execute("SELECT pg_advisory_xact_lock(%s)", [advisory_key(self._log)])
            cursor = driver.execute(
                "SELECT max(leaf_index) FROM ledger_entries WHERE log = %s", [self._log]
            )
            row = cursor.fetchone()
        return 0 if row is None or row[0] is None else int(row[0]) + 1

    def _lock_insert_pg(  # noqa: PLR0917 - the rows of one batch
        self,
        conn: Connection,
        size: int,
        entries: list[bytes],
        leaves: list[bytes],
        nodes: list[tuple[int, int, bytes]],
        at: datetime,
    ) -> bool:
        """Take the log's advisory lock (again: it is re-entrant) and insert entries and nodes
        in one statement, arrays unnested, all in one round trip (pipelined). The insert is
        guarded: it writes nothing and returns False unless the stored size, read under the
        lock, is ``size``."""
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.pipeline():
            driver.execute("SELECT pg_advisory_xact_lock(%s)", [advisory_key(self._log)])
            cursor = driver.execute(
                _PG_INSERT,
                {
                    "log": self._log,
                    "start": size,
                    "at": at,
                    "entries": entries,
                    "leaves": leaves,
                    "levels": [level for level, _, _ in nodes],
                    "indices": [index for _, index, _ in nodes],
                    "hashes": [value for _, _, value in nodes],
                },
            )
            row = cursor.fetchone()
        return row is not None and bool(row[0])


class _CutPassed(Exception):
    """The one-round-trip insert of a batch was refused by the cut constraint of its open
    partition (a roll-over another process began); nothing of the batch was stored."""


_CHECK_VIOLATION = "23514"


def _passes_cut(exc: Exception, log: str, month: partitions.Month | None) -> bool:
    """Whether ``exc`` is PostgreSQL refusing a row by the cut constraint of the partition of
    ``log`` for ``month`` (the open one this sequencer knew)."""
    if month is None or getattr(exc, "sqlstate", None) != _CHECK_VIOLATION:
        return False
    diag = getattr(exc, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name == partitions.cut_name(partitions.partition_name(log, month))


_PG_INSERT = """
WITH guard AS (
    SELECT coalesce(max(leaf_index) + 1, 0) = %(start)s::bigint AS ok
    FROM ledger_entries WHERE log = %(log)s
), new_entries AS (
    INSERT INTO ledger_entries (log, leaf_index, entry, leaf_hash, appended_at)
    SELECT %(log)s, %(start)s::bigint + t.i - 1, t.entry, t.leaf, %(at)s
    FROM unnest(%(entries)b::bytea[], %(leaves)b::bytea[]) WITH ORDINALITY AS t(entry, leaf, i)
    WHERE (SELECT ok FROM guard)
), new_nodes AS (
    INSERT INTO ledger_nodes (log, level, node_index, hash)
    SELECT %(log)s, n.level, n.node_index, n.hash
    FROM unnest(%(levels)b::smallint[], %(indices)b::bigint[], %(hashes)b::bytea[])
        AS n(level, node_index, hash)
    WHERE (SELECT ok FROM guard)
)
SELECT ok FROM guard
"""
