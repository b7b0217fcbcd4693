"""The report of a full verification, and its last step: every checkpoint's signature, its
size and root against the recomputed tree, and each one's consistency with the one before."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from readiness.errors import LedgerError
from readiness.ledger import store
from readiness.ledger.core.checkpoint import open_checkpoint
from readiness.ledger.core.merkle import assemble, consistency_plan, plan_nodes, verify_consistency
from readiness.ledger.core.note import Verifier

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


def finish(  # noqa: PLR0917 - one step of verify_log
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
            check_link(report, conn, log, previous, stored, label)
        previous = stored
    return report


def check_link(  # noqa: PLR0917 - one step of verify_log
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
