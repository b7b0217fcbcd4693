"""What a log's proofs keep between reads, in this process: stored nodes and warm connections.

A proof of any size needs ``O(log n)`` nodes; most of them are high in the tree and shared by
every proof, and none of them ever changes (a node ``(level, index)`` is a complete subtree, and
the sequencer stores it once, when its last leaf arrives; tree sizes only grow). So
:class:`NodeCache` keeps the stored interior nodes a proof read (levels
:data:`~readiness.ledger.store.MIN_STORED_LEVEL` and above, never the leaf hashes and never a
node folded from them) in a bounded, least-recently-used map: the next proof asks the database
only for what is missing, usually the leaf hashes of its own tile. Only rows the database
returned are kept, and the database holds only complete subtrees, so the cache never holds a
node of an incomplete subtree. Verification never reads it (:mod:`readiness.ledger.verify`
recomputes from the stored entries): a node edited in the database after it was cached still
fails ``verify``.

:class:`ReadConnections` keeps a few PostgreSQL connections checked out of the engine's pool
for these one-statement reads: the pool pings a connection when it is checked out
(``pool_pre_ping``), which doubles the round trips of a proof. A kept connection is used
without the ping; when it turns out dead, it is thrown away and the read runs again once on a
fresh (pinged) one: a read changes nothing, so running it twice is harmless.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from readiness.ledger.core.merkle import NodeId
from readiness.ledger.store import MIN_STORED_LEVEL

T = TypeVar("T")
DEFAULT_CACHED_NODES = 1 << 17
"""131,072 nodes (about 20 MB with the map's overhead): every node of level 8 and above of a
log of 16M entries, or the top of any larger one."""
DEFAULT_KEPT_CONNECTIONS = 2


class NodeCache:
    """Stored interior nodes of one log that proofs read, at most ``capacity`` of them.

    Thread-safe. ``capacity`` 0 keeps nothing (every read goes to the database)."""

    def __init__(self, capacity: int = DEFAULT_CACHED_NODES) -> None:
        if capacity < 0:
            raise ValueError(f"a node cache holds >= 0 nodes (got {capacity})")
        self._capacity = capacity
        self._nodes: OrderedDict[NodeId, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._nodes)

    def split(self, nodes: Sequence[NodeId]) -> tuple[dict[NodeId, bytes], list[NodeId]]:
        """The cached nodes among ``nodes`` and the ones still to read, in their order."""
        found: dict[NodeId, bytes] = {}
        missing: list[NodeId] = []
        with self._lock:
            for node in nodes:
                value = self._nodes.get(node)
                if value is None:
                    missing.append(node)
                else:
                    self._nodes.move_to_end(node)
                    found[node] = value
            self.hits += len(found)
            self.misses += len(missing)
        return found, missing

    def keep(self, read: Mapping[NodeId, bytes], nodes: Iterable[NodeId]) -> None:
        """Remember the ``nodes`` of a stored interior level among those ``read`` from the
        database (anything else in ``read``, leaf hashes or folded nodes, is left out)."""
        if not self._capacity:
            return
        with self._lock:
            for node in nodes:
                if node[0] >= MIN_STORED_LEVEL and node in read:
                    self._nodes[node] = read[node]
                    self._nodes.move_to_end(node)
            while len(self._nodes) > self._capacity:
                self._nodes.popitem(last=False)


class ReadConnections:
    """Up to ``keep`` connections of ``engine`` held for reads, used without the pool's ping
    (PostgreSQL, in autocommit; elsewhere every read checks a connection out as usual)."""

    def __init__(self, engine: Engine, keep: int = DEFAULT_KEPT_CONNECTIONS) -> None:
        self._engine = engine
        self._keep = keep if engine.dialect.name == "postgresql" else 0
        self._idle: list[Connection] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        # Held connections go back to the pool when the owner is collected without close().
        self._finalizer = weakref.finalize(self, _close_all, self._idle)

    def run(self, read: Callable[[Connection], T]) -> T:
        """``read(conn)`` on a kept connection (or a fresh one); once more on a fresh one when
        the kept connection fails (it died while idle)."""
        kept = self._take()
        if kept is not None:
            try:
                result = read(kept)
            except BaseException as exc:
                if not isinstance(exc, (DBAPIError, *_driver_errors(self._engine))):
                    kept.close()
                    raise
                kept.invalidate()  # it died while idle (or failed): read again on a fresh one
                kept.close()
            else:
                self._give_back(kept)
                return result
        conn = self._connect()
        try:
            result = read(conn)
        except BaseException:
            conn.close()
            raise
        self._give_back(conn)
        return result

    def close(self) -> None:
        """Return every held connection to the engine's pool."""
        with self._lock:
            _close_all(self._idle)

    def _connect(self) -> Connection:
        conn = self._engine.connect()
        if self._engine.dialect.name == "postgresql":
            # No BEGIN before the statement, no ROLLBACK after it: one statement reads one
            # snapshot anyway.
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        return conn

    def _take(self) -> Connection | None:
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the sockets are the parent's
                self._idle.clear()
                self._pid = os.getpid()
            return self._idle.pop() if self._idle else None

    def _give_back(self, conn: Connection) -> None:
        with self._lock:
            if len(self._idle) < self._keep and self._pid == os.getpid():
                self._idle.append(conn)
                return
        conn.close()


def _driver_errors(engine: Engine) -> tuple[type[BaseException], ...]:
    """The driver's own error root: the hot reads run on the driver's cursor directly."""
    dbapi = engine.dialect.loaded_dbapi
    error = getattr(dbapi, "Error", None)
    return (error,) if isinstance(error, type) and issubclass(error, BaseException) else ()


def _close_all(idle: list[Connection]) -> None:
    while idle:
        idle.pop().close()
