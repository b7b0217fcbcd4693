"""Full verification of a stored log: recompute everything from the entries alone.

Streams the entries in index order, in aligned chunks of 2^14: each entry's leaf hash is
recomputed and compared with the stored one; inside a chunk every complete node is recomputed
level by level in bulk (pairs of the level below), above it the chunk roots are merged like a
binary counter; each is compared with the stored nodes that chunk completes (level L: indices
``[start >> L, end >> L)``), and no node may be stored that the entries do not produce.
Every checkpoint's signature is checked against the log's key, its size and root against the
recomputed tree at that size, and each checkpoint is linked to the one before by a consistency
proof from the stored nodes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection, Engine

from readiness.errors import LedgerError
from readiness.ledger import store
from readiness.ledger.core.checkpoint import open_checkpoint
from readiness.ledger.core.merkle import (
    EMPTY_ROOT,
    assemble,
    consistency_plan,
    fold,
    plan_nodes,
    range_nodes,
    verify_consistency,
)
from readiness.ledger.core.note import Verifier

CHUNK_LEVEL = 14
CHUNK = 1 << CHUNK_LEVEL  # entries read and checked at a time; aligned, so nodes pair up inside
_sha256 = hashlib.sha256
MAX_ERRORS = 100


@dataclass
class VerifyReport:
    """The outcome: ``verified`` only when ``errors`` is empty."""

    size: int = 0
    root: bytes = b""
    checkpoints: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.errors

    def add(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)

    def as_dict(self) -> dict[str, object]:
        return {
            "verified": self.verified,
            "size": self.size,
            "root": self.root.hex(),
            "checkpoints": self.checkpoints,
            "errors": list(self.errors),
        }


def verify_log(engine: Engine, log: str, verifier: Verifier) -> VerifyReport:
    """Verify ``log`` on ``engine`` against the log's public key ``verifier``."""
    report = VerifyReport()
    with engine.connect() as conn:
        checkpoints = store.list_checkpoints(conn, log)
        wanted = sorted({c.size for c in checkpoints})
        roots: dict[int, bytes] = {0: EMPTY_ROOT}
        stack: list[tuple[int, bytes]] = []  # root_plan(start): subtrees of level >= CHUNK_LEVEL
        size, stored_nodes = 0, 0
        for start, chunk in _chunks(conn, log):
            rows, gap = _until_gap(report, start, chunk)
            if rows:
                end = start + len(rows)
                levels = _check_chunk(report, conn, log, start, rows)
                stored_nodes += levels.stored
                for at in [s for s in wanted if start < s <= end] + [end]:
                    inside = [
                        levels.hashes[lv][i - (start >> lv)] for lv, i in range_nodes(start, at)
                    ]
                    roots[at] = fold([value for _, value in stack] + inside)
                size = end
                if len(rows) == CHUNK:
                    _push_chunk_root(report, levels, stack, start)
            if gap:
                break
        else:
            total = store.count_nodes(conn, log)
            if total != stored_nodes:
                report.add(
                    f"{total - stored_nodes} stored nodes are not produced by the entries "
                    "(nodes beyond the log's entries)"
                )
        return _finish(report, (size, roots[size]), checkpoints, roots, conn, log, verifier)


def _chunks(conn: Connection, log: str) -> Iterator[tuple[int, list[tuple[int, bytes, bytes]]]]:
    rows: list[tuple[int, bytes, bytes]] = []
    start = 0
    for row in store.iter_entries(conn, log, chunk=CHUNK):
        rows.append(row)
        if len(rows) == CHUNK:
            yield start, rows
            start += CHUNK
            rows = []
    if rows:
        yield start, rows


@dataclass
class _Levels:
    """The recomputed complete nodes of one chunk, level by level, and the stored ones."""

    hashes: list[list[bytes]]
    stored: int
    stored_nodes: dict[tuple[int, int], bytes]


def _until_gap(
    report: VerifyReport, start: int, rows: list[tuple[int, bytes, bytes]]
) -> tuple[list[tuple[int, bytes, bytes]], bool]:
    """The rows before the first missing index (reported), and whether one is missing."""
    if rows[0][0] == start and rows[-1][0] == start + len(rows) - 1:
        return rows, False
    for offset, (index, _, _) in enumerate(rows):
        if index != start + offset:
            report.add(f"entries {start + offset}..{index - 1} are missing (a gap in the log)")
            return rows[:offset], True
    return rows, False  # pragma: no cover - the first check catches every gap


def _check_chunk(
    report: VerifyReport,
    conn: Connection,
    log: str,
    start: int,
    rows: list[tuple[int, bytes, bytes]],
) -> _Levels:
    """Recompute the leaf hashes and every complete node inside ``[start, start+len)``, level by
    level in bulk, and compare them with what is stored."""
    leaves = [_sha256(b"\x00" + entry).digest() for _, entry, _ in rows]
    if leaves != [stored for _, _, stored in rows]:
        for (index, _, stored_leaf), value in zip(rows, leaves, strict=True):
            if value != stored_leaf:
                report.add(f"entry {index}: stored leaf hash differs from the entry's hash")
    stored = store.nodes_created(conn, log, start, start + len(rows))
    hashes = [leaves]
    current = leaves
    level = 0
    while len(current) > 1:
        current = [
            _sha256(b"\x01" + current[i] + current[i + 1]).digest()
            for i in range(0, len(current) - 1, 2)
        ]
        level += 1
        _compare(report, stored, level, start >> level, current)
        hashes.append(current)
    return _Levels(hashes, len(stored), stored)


def _compare(
    report: VerifyReport,
    stored: dict[tuple[int, int], bytes],
    level: int,
    base: int,
    computed: list[bytes],
) -> None:
    for offset, value in enumerate(computed):
        found = stored.get((level, base + offset))
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
        _compare(report, levels.stored_nodes, level, index, [acc])
    stack.append((level, acc))


def _finish(  # noqa: PLR0917 - one private step of verify_log
    report: VerifyReport,
    head: tuple[int, bytes],
    checkpoints: list[store.StoredCheckpoint],
    roots: dict[int, bytes],
    conn: Connection,
    log: str,
    verifier: Verifier,
) -> VerifyReport:
    report.size, report.root = head
    report.checkpoints = len(checkpoints)
    previous: store.StoredCheckpoint | None = None
    for stored in checkpoints:
        label = f"checkpoint {stored.id} (size {stored.size})"
        try:
            signed = open_checkpoint(stored.note, verifier, origin=log).checkpoint
        except LedgerError as exc:
            report.add(f"{label}: {exc}")
            continue
        if (signed.size, signed.root_hash) != (stored.size, stored.root):
            report.add(f"{label}: the signed note names another tree than its row")
        if stored.size not in roots:
            report.add(
                f"{label}: the log holds only {report.size} entries: it was truncated or "
                "rolled back"
            )
        elif roots[stored.size] != signed.root_hash:
            report.add(f"{label}: its root differs from the root recomputed from the entries")
        if previous is not None:
            _check_link(report, conn, log, previous, stored, label)
        previous = stored
    return report


def _check_link(  # noqa: PLR0917 - one private step of verify_log
    report: VerifyReport,
    conn: Connection,
    log: str,
    old: store.StoredCheckpoint,
    new: store.StoredCheckpoint,
    label: str,
) -> None:
    if new.size < old.size:
        report.add(f"{label}: smaller than checkpoint {old.id} before it: the log shrank")
        return
    if old.size == 0:
        return
    try:
        plan = consistency_plan(old.size, new.size)
        found = store.fetch_nodes(conn, log, plan_nodes(plan))
        proof = assemble(plan, lambda level, index: found[(level, index)])
        verify_consistency(old.size, new.size, old.root, new.root, proof)
    except LedgerError as exc:
        report.add(f"{label}: not consistent with checkpoint {old.id}: {exc}")
