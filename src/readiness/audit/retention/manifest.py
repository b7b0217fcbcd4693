"""Reading and writing the archive manifest (``audit_archives``), and checking archived months
against the ledger: what ``readiness audit verify`` adds for retention tiers.

:func:`check_archives` checks every archived part: the file exists, its SHA-256 is the
manifest's, it holds exactly the manifest's leaves, each entry hashes to its leaf hash, that
leaf hash is the one the ledger stores (which the tree above it pins), and the hot body is
empty. Pruned parts are reported as pruned by policy, never as missing. A blanked body that no
manifest row covers is not trusted here: ``verify`` reports its leaf hash as not matching.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from readiness._common.clock import utc
from readiness.audit.retention.core import Month, Ranges, leaves_digest, merge_ranges, month_label
from readiness.audit.retention.files import read_part, sha256_of
from readiness.audit.retention.tables import ARCHIVED, PRUNED, WRITTEN, audit_archives
from readiness.ledger import store
from readiness.ledger.core.merkle import leaf_hash


@dataclass(frozen=True)
class Part:
    """One manifest row."""

    id: int
    log: str
    month: Month
    path: Path
    sha256: str
    rows: int
    ranges: Ranges
    leaves_digest: str
    state: str
    created_at: datetime
    event_leaf: int | None
    pruned_at: datetime | None
    pruned_by: str | None
    prune_event_leaf: int | None = None

    @property
    def label(self) -> str:
        return f"archived month {month_label(self.month)} ({self.path.name})"


def list_parts(
    conn: Connection, log: str, root: Path | None, *, states: tuple[str, ...] | None = None
) -> list[Part]:
    """The manifest rows of ``log``, by first leaf. A file's path is stored relative to the
    archive directory ``root`` (so the directory can move); manifests written before hold
    absolute paths, which ``root / path`` keeps as they are. ``root`` None: the paths as
    stored."""
    table = audit_archives
    query = sa.select(table).where(table.c.log == log).order_by(table.c.first_leaf, table.c.id)
    if states is not None:
        query = query.where(table.c.state.in_(states))
    return [
        Part(
            int(row.id),
            str(row.log),
            (int(row.year), int(row.month)),
            Path(row.path) if root is None else root / row.path,
            str(row.sha256),
            int(row.rows),
            [(int(a), int(b)) for a, b in json.loads(row.leaf_ranges)],
            str(row.leaves_digest),
            str(row.state),
            utc(row.created_at),
            None if row.event_leaf is None else int(row.event_leaf),
            None if row.pruned_at is None else utc(row.pruned_at),
            row.pruned_by,
            None if row.prune_event_leaf is None else int(row.prune_event_leaf),
        )
        for row in conn.execute(query)
    ]


def trusted_ranges(parts: list[Part]) -> Ranges:
    """The leaves whose bodies left the hot table (archived or pruned parts)."""
    return merge_ranges(r for p in parts if p.state in {ARCHIVED, PRUNED} for r in p.ranges)


@dataclass
class ArchiveCheck:
    """What the archive check found: errors (tampering), notes (pruned by policy)."""

    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    archived: Ranges = field(default_factory=list)


def stored_path(root: Path, path: Path) -> str:
    """How the manifest records ``path``: relative to the archive directory ``root`` (POSIX
    separators), absolute only when it lies outside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def check_archives(conn: Connection, log: str, root: Path | None) -> ArchiveCheck:
    """Check every archived part of ``log`` whose archive directory is ``root`` (see the
    module)."""
    parts = list_parts(conn, log, root)
    result = ArchiveCheck(archived=trusted_ranges(parts))
    for part in parts:
        if part.state == PRUNED:
            problem = _prune_record(conn, log, part)
            if problem is not None:
                result.errors.append(problem)
                continue
            count = sum(b - a for a, b in part.ranges)
            result.notes.append(
                f"{month_label(part.month)}: {count} entries pruned by policy "
                f"({part.pruned_by}) on {part.pruned_at:%Y-%m-%d}; their leaf hashes keep the "
                "tree and every proof valid"
            )
        elif part.state == WRITTEN:
            result.notes.append(
                f"{part.label}: written but the hot rows are still there (an interrupted "
                "archive); run `readiness audit archive` again to finish it"
            )
        else:
            result.errors.extend(_check_part(conn, log, part))
    return result


def _prune_record(conn: Connection, log: str, part: Part) -> str | None:
    """Why a pruned part is not a recorded prune (None: it is). The manifest is a table anyone
    with write access can edit; the ``audit.prune`` event naming the file is in the ledger.
    A part marked but whose file is still there is an interrupted prune (not yet an error)."""
    if part.prune_event_leaf is None:
        if part.path.is_file():
            return None
        return f"{part.label}: the file is gone and no audit.prune event records it"
    found = list(store.iter_entries(conn, log, part.prune_event_leaf, part.prune_event_leaf + 1))
    try:
        event = json.loads(found[0][1]) if found else {}
        files = (
            event.get("after", {}).get("files", []) if event.get("action") == "audit.prune" else []
        )
    except (ValueError, AttributeError):
        files = []
    if {"file": part.path.name, "sha256": part.sha256} not in files:
        return (
            f"{part.label}: leaf {part.prune_event_leaf} is not the audit.prune event of this file"
        )
    return None


def _check_part(conn: Connection, log: str, part: Part) -> list[str]:
    if not part.path.is_file():
        return [f"{part.label}: the file {part.path} is missing and no prune is recorded"]
    if sha256_of(part.path) != part.sha256:
        return [f"{part.label}: the file's SHA-256 differs from the manifest's: it was altered"]
    try:
        rows = read_part(part.path)
    except (OSError, ValueError) as exc:  # pyarrow's errors are these; reported as such
        return [f"{part.label}: not a readable archive file ({type(exc).__name__})"]
    wanted = [i for a, b in part.ranges for i in range(a, b)]
    if [index for index, _, _ in rows] != wanted:
        return [f"{part.label}: the file does not hold exactly the manifest's leaves"]
    if leaves_digest(value for _, _, value in rows) != part.leaves_digest:
        return [f"{part.label}: its leaf hashes differ from the manifest's digest"]
    errors: list[str] = []
    stored = {
        index: (entry, value)
        for a, b in part.ranges
        for index, entry, value in store.iter_entries(conn, log, a, b)
    }
    for index, entry, value in rows:
        hot = stored.get(index)
        if leaf_hash(entry) != value:
            errors.append(f"{part.label}: entry {index} does not hash to its leaf hash")
        elif hot is None or hot[1] != value:
            errors.append(f"{part.label}: entry {index}'s leaf hash is not the ledger's")
        elif hot[0]:
            errors.append(f"{part.label}: entry {index} still has a body in the hot table")
        if len(errors) >= 10:
            break
    return errors
