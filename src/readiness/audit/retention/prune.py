"""``readiness audit prune`` and the retention status: policies, archived months, expiries.

Pruning removes the bodies of archived months (their Parquet files) once every configured
framework's period has passed; it refuses otherwise, all or nothing. The leaf hashes stay in
the ledger, so the tree and every proof of the remaining entries stay valid. Order: the
manifest row is marked ``pruned`` (with the policy that allowed it), one ``audit.prune`` event
records the run in the trail (each file's name and SHA-256), and only then are the files
deleted; ``verify`` then reports the months as pruned by policy. A file gone without that
event in the ledger is still tampering, whatever the manifest table says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from readiness._common.words import plural
from readiness.audit.query.core import iso
from readiness.audit.retention import core
from readiness.audit.retention.archive import Archiver
from readiness.audit.retention.files import sha256_of
from readiness.audit.retention.manifest import Part, list_parts
from readiness.audit.retention.tables import ARCHIVED, PRUNED, audit_archives
from readiness.audit.trail import append_events
from readiness.errors import ConflictError, RetentionRefusedError


@dataclass
class PruneResult:
    before: date
    dry_run: bool
    months: list[dict[str, Any]] = field(default_factory=list)
    event_leaf: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "before": self.before.isoformat(),
            "dry_run": self.dry_run,
            "months": self.months,
            "entries": sum(int(m["entries"]) for m in self.months),
            "event_leaf": self.event_leaf,
        }


def _describe(policy: core.Policy, month: core.Month) -> str:
    governing = policy.governing
    if governing is None:
        return "no retention framework configured"
    return (
        f"{core.FRAMEWORK_NAMES[governing]} {policy.years}y, expired "
        f"{policy.expiry(month).isoformat()}"
    )


def prune(
    archiver: Archiver, policy: core.Policy, before: date, *, dry_run: bool = False
) -> PruneResult:
    """Prune the archived months that end on or before ``before`` (see the module); raises
    :class:`RetentionRefusedError` naming the first month still under retention."""
    result = PruneResult(before, dry_run)
    today = archiver.clock.now().date()
    with archiver.engine.connect() as conn:
        parts = list_parts(conn, archiver.log, archiver.root.resolve())
    chosen = [p for p in parts if p.state == ARCHIVED and core.month_end(p.month).date() <= before]
    for part in chosen:
        refusal = policy.refusal(part.month, today)
        if refusal is not None:
            raise RetentionRefusedError(refusal, details={"month": core.month_label(part.month)})
    for part in chosen:  # never prune away the evidence of tampering
        if not part.path.is_file() or sha256_of(part.path) != part.sha256:
            raise ConflictError(
                f"{part.label}: the file is missing or altered; nothing was pruned (run "
                "`readiness audit verify`)"
            )
    for part in chosen:
        result.months.append(
            {
                "month": core.month_label(part.month),
                "entries": part.rows,
                "file": str(part.path),
                "policy": _describe(policy, part.month),
            }
        )
    if dry_run:
        return result
    now = archiver.clock.now()
    for part in chosen:
        with archiver.engine.begin() as conn:
            conn.execute(
                audit_archives.update()
                .where(audit_archives.c.id == part.id)
                .values(state=PRUNED, pruned_at=now, pruned_by=_describe(policy, part.month))
            )
        archiver.step("marked")
    # The event first, then the files (of this run, or of one interrupted after marking): a
    # file is never gone before the trail records why.
    with archiver.engine.connect() as conn:
        pruned = list_parts(conn, archiver.log, archiver.root.resolve(), states=(PRUNED,))
    result.event_leaf = _record(archiver, [p for p in pruned if p.prune_event_leaf is None])
    for part in pruned:
        part.path.unlink(missing_ok=True)
    return result


def _record(archiver: Archiver, parts: list[Part]) -> int | None:
    if not parts:
        return None
    details = {
        "months": sorted({core.month_label(p.month) for p in parts}),
        "entries": sum(p.rows for p in parts),
        "policies": sorted({str(p.pruned_by) for p in parts}),
        "files": [{"file": p.path.name, "sha256": p.sha256} for p in parts],
    }
    event = archiver.event("audit.prune", details)
    leaf = append_events(archiver.ledger, archiver.engine, [event])[0]
    with archiver.engine.begin() as conn:
        conn.execute(
            audit_archives.update()
            .where(audit_archives.c.id.in_([p.id for p in parts]))
            .values(prune_event_leaf=leaf)
        )
    return leaf


def status(archiver: Archiver, policy: core.Policy) -> dict[str, Any]:
    """Policies, archived and pruned months, and the next month whose retention expires."""
    today = archiver.clock.now().date()
    with archiver.engine.connect() as conn:
        parts = list_parts(conn, archiver.log, archiver.root.resolve())
    months: dict[str, dict[str, Any]] = {}
    for part in parts:
        label = core.month_label(part.month)
        entry = months.setdefault(
            label,
            {
                "month": label,
                "state": part.state,
                "entries": 0,
                "files": 0,
                "expires": policy.expiry(part.month).isoformat(),
            },
        )
        entry["entries"] += part.rows
        entry["files"] += 1
        if part.state != PRUNED:
            entry["state"] = part.state
    waiting = [
        policy.expiry(p.month)
        for p in parts
        if p.state == ARCHIVED and policy.expiry(p.month) > today
    ]
    return {
        "log": archiver.log,
        "archive_dir": str(archiver.root),
        "policy": policy.as_dict(),
        "months": list(months.values()),
        "next_expiry": min(waiting).isoformat() if waiting else None,
        "as_of": iso(archiver.clock.now()),
    }


def summary(conn: Connection, log: str, policy: core.Policy, today: date) -> str:
    """One line for the /audit overview: the archived months and the next expiry."""
    parts = list_parts(conn, log, None)  # months and states only: no file is opened
    archived = sorted({p.month for p in parts if p.state == ARCHIVED})
    pruned = len({p.month for p in parts if p.state == PRUNED})
    if not archived and not pruned:
        return "nothing archived"
    text = f"{plural(len(archived), 'month')} archived"
    if archived:
        text += f" ({core.month_label(archived[0])} to {core.month_label(archived[-1])})"
    if pruned:
        text += f", {plural(pruned, 'month')} pruned by policy"
    waiting = [policy.expiry(m) for m in archived if policy.expiry(m) > today]
    return text + (f"; next expiry {min(waiting).isoformat()}" if waiting else "")
