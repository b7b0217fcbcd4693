"""Full verification of a stored log: recompute everything from the entries alone.

Streams the entries in index order, in chunks: each entry's leaf hash is recomputed and compared
with the stored one; the recomputed tree's nodes are compared with the stored nodes that chunk
completes (level L: indices ``[start >> L, end >> L)``), and no node may be stored that the
entries do not produce. Every checkpoint's signature is checked against the log's key, its size
and root against the recomputed tree at that size, and each checkpoint is linked to the one
before by a consistency proof from the stored nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection, Engine

from readiness.errors import LedgerError
from readiness.ledger import store
from readiness.ledger.core.checkpoint import open_checkpoint
from readiness.ledger.core.compact import CompactRange
from readiness.ledger.core.merkle import (
    assemble,
    consistency_plan,
    leaf_hash,
    plan_nodes,
    verify_consistency,
)
from readiness.ledger.core.note import Verifier

CHUNK = 16384
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
        wanted = {c.size for c in checkpoints}
        roots: dict[int, bytes] = {}
        tree = CompactRange()
        if 0 in wanted:
            roots[0] = tree.root()
        expected = 0
        stored_nodes = 0
        for start, rows in _chunks(conn, log):
            end = start + len(rows)
            computed: dict[tuple[int, int], bytes] = {}
            for index, entry, stored_leaf in rows:
                if index != expected:
                    report.add(f"entries {expected}..{index - 1} are missing (a gap in the log)")
                    return _finish(report, tree, checkpoints, roots, conn, log, verifier)
                value = leaf_hash(entry)
                if value != stored_leaf:
                    report.add(f"entry {index}: stored leaf hash differs from the entry's hash")
                computed.update(tree.append(value))
                expected += 1
                if expected in wanted:
                    roots[expected] = tree.root()
            stored = store.nodes_created(conn, log, start, end)
            stored_nodes += len(stored)
            for node, value in computed.items():
                if node[0] and stored.get(node) != value:
                    what = "missing" if node not in stored else "altered"
                    report.add(f"node (level {node[0]}, index {node[1]}) is {what}")
        total = store.count_nodes(conn, log)
        if total != stored_nodes:
            report.add(
                f"{total - stored_nodes} stored nodes are not produced by the entries "
                "(nodes beyond the log's entries)"
            )
        return _finish(report, tree, checkpoints, roots, conn, log, verifier)


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


def _finish(  # noqa: PLR0917 - one private step of verify_log
    report: VerifyReport,
    tree: CompactRange,
    checkpoints: list[store.StoredCheckpoint],
    roots: dict[int, bytes],
    conn: Connection,
    log: str,
    verifier: Verifier,
) -> VerifyReport:
    report.size = tree.size
    report.root = tree.root()
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
                f"{label}: the log holds only {tree.size} entries: it was truncated or rolled back"
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
