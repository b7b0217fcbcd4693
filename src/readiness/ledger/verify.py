"""Full verification of a stored log: recompute everything from the entries alone.

Streams the entries in index order, in aligned chunks of 2^14: each entry's leaf hash is
recomputed and compared with the stored one; inside a chunk every complete node is recomputed
level by level in bulk (pairs of the level below), above it the chunk roots are merged like a
binary counter; each is compared with the stored nodes that chunk completes (level L: indices
``[start >> L, end >> L)``): every node of a stored level must be there, a node of the levels
the sequencer no longer writes (below ``store.MIN_STORED_LEVEL``) is compared when an older log
holds it; and no node may be stored that the entries do not produce.
Every checkpoint's signature is checked against the log's key, its size and root against the
recomputed tree at that size, and each checkpoint is linked to the one before by a consistency
proof from the stored nodes.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import queue
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, cast, overload

from sqlalchemy.engine import Connection, Engine

from readiness._common import speedups
from readiness.ledger import store
from readiness.ledger.core.merkle import EMPTY_ROOT, fold, range_nodes
from readiness.ledger.core.note import Verifier
from readiness.ledger.forked import Forked, can_fork
from readiness.ledger.verify_report import MAX_ERRORS, VerifyReport, finish

__all__ = ["MAX_ERRORS", "VerifyReport", "verify_log"]

HASH = 32  # bytes of a SHA-256 hash
CHUNK_LEVEL = 14
CHUNK = 1 << CHUNK_LEVEL  # entries read and checked at a time; aligned, so nodes pair up inside
_sha256 = hashlib.sha256
# A forked child verifies the far half of a log from FORK_MIN entries on, on FORK_DIALECTS
# (benchmarks/ledger_verify.py on the shared 2 cores: SQLite lost at 200k entries, gained at 500k
# and 1M; PostgreSQL, whose server already works beside the reader thread, gained nothing).
FORK_MIN = 400_000
FORK_DIALECTS = frozenset({"sqlite"})
CHILD_WAIT_S = 10.0  # beyond 4 times the parent's half: the child is killed, the log redone here


class _Hasher(Protocol):
    """The Merkle hashing of the optional C accelerator (``native/``, ``readiness[speedups]``,
    built with OpenSSL's headers): many hashes per call, the GIL released while hashing."""

    def leaf_hashes(self, entries: Sequence[bytes], /) -> bytes: ...

    def node_level(self, hashes: bytes, /) -> bytes: ...


def _load_speedups() -> _Hasher | None:
    """The accelerator, or None (not installed, built without OpenSSL, or
    ``READINESS_PURE_PYTHON`` set): the same hashes are then computed with ``hashlib``."""
    module = speedups.accelerator("leaf_hashes", "node_level")
    return None if module is None else cast("_Hasher", module)


_speedups = _load_speedups()


def verify_log(
    engine: Engine, log: str, verifier: Verifier, *, archived: Sequence[tuple[int, int]] = ()
) -> VerifyReport:
    """Verify ``log`` on ``engine`` against the log's public key ``verifier``.

    ``archived``: sorted half-open leaf ranges whose bodies left the hot table (retention
    tiers): their stored leaf hashes stand for the leaves (the tree above is still recomputed
    and checked); the caller checks those leaf hashes against the archived bodies.
    """
    with engine.connect() as conn:
        checkpoints = store.list_checkpoints(conn, log)
        wanted = sorted({c.size for c in checkpoints})
        split = _split(engine, store.stored_size(conn, log))
        if split:
            child = Forked(lambda: _far_half(engine, log, split, wanted, archived))
            report = _verify(conn, log, verifier, checkpoints, wanted, archived, (split, child))
            if report is not None:
                return report
        serial = _verify(conn, log, verifier, checkpoints, wanted, archived, None)
        assert serial is not None
        return serial


def _split(engine: Engine, size: int) -> int:
    """Where the far half a forked child verifies begins (a multiple of ``CHUNK``), or 0 for a
    log verified in this process alone: below ``FORK_MIN`` entries, where fork is missing, on
    a database not in ``FORK_DIALECTS``, or one a new connection would not see (SQLite in
    memory)."""
    if size < FORK_MIN or not can_fork() or engine.dialect.name not in FORK_DIALECTS:
        return 0
    if engine.dialect.name == "sqlite" and engine.url.database in {None, "", ":memory:"}:
        return 0
    return (size // 2) // CHUNK * CHUNK


@dataclass(frozen=True)
class _Far:
    """What the child found for one chunk of the far half: its range, the stored nodes it
    fetched, its root, the stored nodes above it and the subtrees each wanted size needs."""

    start: int
    end: int
    stored: int
    root: bytes | None
    above: dict[tuple[int, int], bytes]
    inside: dict[int, list[bytes]]


def _far_half(
    engine: Engine, log: str, split: int, wanted: list[int], archived: Sequence[tuple[int, int]]
) -> list[_Far] | None:
    """In the child: check every chunk from ``split`` on; None when anything is off (an error,
    a gap): the parent then verifies the whole log itself, for the same messages."""
    engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    report = VerifyReport()
    found: list[_Far] = []
    start = split
    with engine.connect() as conn, contextlib.closing(_read_ahead(conn, log, split)) as chunks:
        for part, stored in chunks:
            count, gap = _until_gap(report, start, part.indices)
            if gap or not count:
                return None
            end = start + count
            levels = _check_chunk(report, start, part, count, stored, archived=archived)
            inside = {
                at: [levels.hashes[lv][i - (start >> lv)] for lv, i in range_nodes(start, at)]
                for at in [s for s in wanted if start < s <= end] + [end]
            }
            root = levels.hashes[CHUNK_LEVEL][0] if count == CHUNK else None
            found.append(_Far(start, end, levels.stored, root, levels.above, inside))
            start = end
    return None if report.errors else found


def _verify(  # noqa: PLR0917 - one private step of verify_log
    conn: Connection,
    log: str,
    verifier: Verifier,
    checkpoints: list[store.StoredCheckpoint],
    wanted: list[int],
    archived: Sequence[tuple[int, int]],
    far: tuple[int, Forked[list[_Far] | None]] | None,
) -> VerifyReport | None:
    """The whole log here (``far`` None), or the entries before ``far``'s split here and the
    rest from its child; None when the child's part cannot be used (the caller redoes it all)."""
    report = VerifyReport()
    roots: dict[int, bytes] = {0: EMPTY_ROOT}
    stack: list[tuple[int, bytes]] = []  # root_plan(start): subtrees of level >= CHUNK_LEVEL
    size, stored_nodes = 0, 0
    start = 0
    gap = False
    started = time.monotonic()
    try:
        end_at = far[0] if far is not None else None
        with contextlib.closing(_read_ahead(conn, log, 0, end_at)) as chunks:
            for part, stored in chunks:
                count, gap = _until_gap(report, start, part.indices)
                if count:
                    end = start + count
                    levels = _check_chunk(report, start, part, count, stored, archived=archived)
                    stored_nodes += levels.stored
                    for at in [s for s in wanted if start < s <= end] + [end]:
                        inside = [
                            levels.hashes[lv][i - (start >> lv)] for lv, i in range_nodes(start, at)
                        ]
                        roots[at] = fold([value for _, value in stack] + inside)
                    size = end
                    if count == CHUNK:
                        _push_chunk_root(report, levels, stack, start)
                if gap:
                    break
                start += count
        if far is not None:
            wait = CHILD_WAIT_S + 4 * (time.monotonic() - started)
            if gap or start != far[0] or (rest := far[1].result(wait)) is None:
                return None
            size, joined = _join(report, rest, stack, roots, size)
            stored_nodes += joined
    finally:
        if far is not None:
            far[1].cancel()
    if not gap:
        total = store.count_nodes(conn, log)
        if total != stored_nodes:
            report.add(
                f"{total - stored_nodes} stored nodes are not produced by the entries "
                "(nodes beyond the log's entries)"
            )
    return finish(report, (size, roots[size]), checkpoints, roots, conn, log, verifier)


def _join(
    report: VerifyReport,
    rest: list[_Far],
    stack: list[tuple[int, bytes]],
    roots: dict[int, bytes],
    size: int,
) -> tuple[int, int]:
    """The child's chunks after this process's, in order, as the serial loop takes them: the
    roots of the wanted sizes, each full chunk's root onto the right edge. Returns the log's
    size and the stored nodes the child fetched."""
    fetched = 0
    for far in rest:
        fetched += far.stored
        for at, inside in far.inside.items():
            roots[at] = fold([value for _, value in stack] + inside)
        size = far.end
        if far.root is not None:
            hashes: list[Sequence[bytes]] = [[] for _ in range(CHUNK_LEVEL)] + [[far.root]]
            _push_chunk_root(report, _Levels(hashes, far.stored, far.above), stack, far.start)
    return size, fetched


@dataclass
class _Levels:
    """The recomputed complete nodes of one chunk, level by level, and the stored ones above
    the chunk's own levels (checked when the chunk's root joins the right edge)."""

    hashes: list[Sequence[bytes]]
    stored: int
    above: dict[tuple[int, int], bytes]


def _contiguous(start: int, indices: Sequence[int]) -> int:
    """How many rows come before the first missing index. The primary key makes the indices
    distinct and ordered, so the first and the last in place mean none is missing between."""
    if indices[0] == start and indices[-1] == start + len(indices) - 1:
        return len(indices)
    return next(
        offset for offset, index in enumerate(indices) if index != start + offset
    )  # pragma: no branch - the first check catches every complete chunk


def _until_gap(report: VerifyReport, start: int, indices: Sequence[int]) -> tuple[int, bool]:
    """How many rows come before the first missing index (reported), and whether one is
    missing."""
    count = _contiguous(start, indices)
    if count == len(indices):
        return count, False
    report.add(f"entries {start + count}..{indices[count] - 1} are missing (a gap in the log)")
    return count, True


_Stored = dict[int, tuple[Sequence[int], Sequence[bytes]]]
_DONE = object()


def _chunks(conn: Connection, log: str, start: int, end: int | None) -> Iterator[store.EntryChunk]:
    """The entries from ``start`` on, by aligned chunks; those below the log's size read now
    without their indices (``store.entry_chunks``'s ``dense_below``)."""
    size = store.stored_size(conn, log)
    return store.entry_chunks(conn, log, start, end, chunk=CHUNK, dense_below=size)


def _read_inline(
    conn: Connection, log: str, start: int, end: int | None
) -> Iterator[tuple[store.EntryChunk, _Stored]]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        for part in _chunks(conn, log, start, end):
            count = _contiguous(start, part.indices)
            yield part, store.nodes_created_by_level(conn, log, start, start + count)
            if count < len(part.indices):
                return
            start += count
    finally:
        if collecting:
            gc.enable()


def _read_ahead(
    conn: Connection, log: str, first: int = 0, end: int | None = None
) -> Generator[tuple[store.EntryChunk, _Stored], None, None]:
    """Each chunk of entries with the stored nodes it completes, read by a thread one chunk
    ahead: the database sends the next chunk while this thread hashes the current one (the
    driver waits without the GIL). The reader stops at the first gap; its errors are raised
    here. The garbage collector is paused meanwhile: the chunks' many short-lived row tuples
    hold no reference cycles, and collecting them dominated the profile."""
    if conn.dialect.name != "postgresql":
        # SQLite reads in this process, under the GIL: a reader thread would only contend.
        yield from _read_inline(conn, log, first, end)
        return
    results: queue.Queue[object] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def read() -> None:
        try:
            start = first
            for part in _chunks(conn, log, first, end):
                count = _contiguous(start, part.indices)
                stored = store.nodes_created_by_level(conn, log, start, start + count)
                results.put((part, stored))
                if stop.is_set() or count < len(part.indices):
                    break
                start += count
        except BaseException as exc:  # handed to the consuming thread
            results.put(exc)
        finally:
            results.put(_DONE)

    reader = threading.Thread(target=read, name=f"ledger-verify:{log}", daemon=True)
    collecting = gc.isenabled()
    gc.disable()
    reader.start()
    try:
        while (item := results.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield cast("tuple[store.EntryChunk, _Stored]", item)
    finally:
        stop.set()
        while reader.is_alive():
            with contextlib.suppress(queue.Empty):
                results.get(timeout=0.05)
        reader.join()
        if collecting:
            gc.enable()


class _Packed(Sequence[bytes]):
    """The hashes of one level as one ``bytes`` of 32-byte hashes (what the C accelerator
    returns), read as a sequence of hashes without a Python object per hash."""

    __slots__ = ("blob",)

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def __len__(self) -> int:
        return len(self.blob) // HASH

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.blob[index * HASH : (index + 1) * HASH]


def _leaves(entries: Sequence[bytes]) -> Sequence[bytes]:
    """The leaf hashes of ``entries`` (RFC 9162: SHA-256 of 0x00 || entry)."""
    if _speedups is not None:
        return _Packed(_speedups.leaf_hashes(entries))
    sha = _sha256
    return [sha(b"\x00" + entry).digest() for entry in entries]


def _parents(level: Sequence[bytes]) -> Sequence[bytes]:
    """The parents of each complete pair of ``level`` (SHA-256 of 0x01 || left || right)."""
    if _speedups is not None:
        blob = level.blob if isinstance(level, _Packed) else b"".join(level)
        return _Packed(_speedups.node_level(blob))
    sha = _sha256
    pairs = iter(level)
    return [sha(b"\x01" + left + right).digest() for left, right in zip(pairs, pairs, strict=False)]


def _same(computed: Sequence[bytes], stored: Sequence[bytes]) -> bool:
    """Whether the stored hashes are the recomputed ones, in order. Packed: one comparison of
    the joined bytes, once every stored hash is 32 bytes long (two stored values of 33 and 31
    bytes must not pass for the two hashes they join into)."""
    if isinstance(computed, _Packed):
        return set(map(len, stored)) <= {HASH} and b"".join(stored) == computed.blob
    return list(stored) == list(computed)


def _check_chunk(
    report: VerifyReport,
    start: int,
    part: store.EntryChunk,
    count: int,
    stored: _Stored,
    *,
    archived: Sequence[tuple[int, int]] = (),
) -> _Levels:
    """Recompute the leaf hashes and every complete node inside ``[start, start+count)``, level
    by level in bulk, and compare each level with the stored one as a whole (node by node only
    when they differ)."""
    leaves = _leaves(part.entries[:count])
    stored_leaves = part.leaf_hashes[:count]
    for low, high in archived:  # bodies archived: the stored leaf hash stands for the leaf
        if low < start + count and high > start:
            first, last = max(low, start) - start, min(high, start + count) - start
            leaves = [*leaves[:first], *stored_leaves[first:last], *leaves[last:]]
    if not _same(leaves, stored_leaves):
        for index, stored_leaf, value in zip(part.indices, stored_leaves, leaves, strict=False):
            if value != stored_leaf:
                report.add(f"entry {index}: stored leaf hash differs from the entry's hash")
    fetched = sum(len(indices) for indices, _ in stored.values())
    hashes = [leaves]
    current = leaves
    level = 0
    while len(current) > 1:
        current = _parents(current)
        level += 1
        found = stored.pop(level, ((), ()))
        if store.is_stored_level(level):
            _compare_level(report, found, level, start >> level, current)
        else:  # not written since MIN_STORED_LEVEL; an older log's rows are still compared
            _compare_present(report, found, level, start >> level, current)
        hashes.append(current)
    above = {
        (lv, index): value
        for lv, (indices, values) in stored.items()
        for index, value in zip(indices, values, strict=True)
    }
    return _Levels(hashes, fetched, above)


def _compare_level(
    report: VerifyReport,
    stored: tuple[Sequence[int], Sequence[bytes]],
    level: int,
    base: int,
    computed: Sequence[bytes],
) -> None:
    """The stored nodes of ``level`` against the recomputed ones ``base, base+1, ...``."""
    indices, values = stored
    if _same(computed, values) and list(indices) == list(range(base, base + len(computed))):
        return
    _compare(report, dict(zip(indices, values, strict=True)), level, base, computed)


def _compare_present(
    report: VerifyReport,
    stored: tuple[Sequence[int], Sequence[bytes]],
    level: int,
    base: int,
    computed: Sequence[bytes],
) -> None:
    """The stored nodes of an unstored level (an older log's) against the recomputed ones."""
    for index, value in zip(*stored, strict=True):
        if computed[index - base] != value:
            report.add(f"node (level {level}, index {index}) is altered")


def _compare(
    report: VerifyReport,
    stored: dict[int, bytes],
    level: int,
    base: int,
    computed: Sequence[bytes],
) -> None:
    for offset, value in enumerate(computed):
        found = stored.get(base + offset)
        if found != value:
            what = "missing" if found is None else "altered"
            report.add(f"node (level {level}, index {base + offset}) is {what}")


def _push_chunk_root(
    report: VerifyReport, levels: _Levels, stack: list[tuple[int, bytes]], start: int
) -> None:
    """A full chunk's root joins the right edge; the nodes it completes above are checked."""
    level, index, acc = CHUNK_LEVEL, start >> CHUNK_LEVEL, levels.hashes[CHUNK_LEVEL][0]
    while stack and stack[-1][0] == level:
        acc = _sha256(b"\x01" + stack.pop()[1] + acc).digest()
        level += 1
        index >>= 1
        found = levels.above.get((level, index))
        if found != acc and (found is not None or store.is_stored_level(level)):
            what = "missing" if found is None else "altered"
            report.add(f"node (level {level}, index {index}) is {what}")
    stack.append((level, acc))
