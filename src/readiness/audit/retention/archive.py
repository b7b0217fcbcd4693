"""``readiness audit archive``: move whole months older than the cutoff to Parquet.

For each month (of the events' ``occurred_at``, UTC) that ends before the cutoff, in order:

1. the month's hot leaves (found by the query index, confirmed by each entry's own
   ``occurred_at``) are written to one Parquet part, fsynced and renamed into place;
2. a manifest row records the file's SHA-256, its leaves and the digest of their leaf hashes
   (state ``written``);
3. in one transaction the bodies are blanked in ``ledger_entries`` (the leaf hashes stay, so
   the tree and every proof are unchanged), the index rows are deleted (on PostgreSQL the
   month's index partition is detached and dropped once empty) and the row becomes
   ``archived``;
4. on PostgreSQL, every closed month partition of ``ledger_entries`` (months of appending)
   whose bodies are all archived is detached and dropped, replaced by a compact partition of
   its leaf hashes (see :mod:`readiness.ledger.partitions`);
5. one ``audit.archive`` event records the run in the trail.

A crash anywhere leaves a state the next run finishes: a file without a manifest row is
written again (the same name, the same bytes); a ``written`` row whose file checks is
finished, one whose file does not is dropped and redone from the hot rows (still there); an
``archived`` row without its event gets it. Nothing is lost or written twice.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from readiness._common.clock import Clock
from readiness.audit.events import validate_event
from readiness.audit.query import index
from readiness.audit.query.core import decode_entry, index_row, iso, occurred_at
from readiness.audit.query.index import partition_name
from readiness.audit.query.service import TRAIL_TARGET, pseudonymous_actor
from readiness.audit.query.tables import audit_index
from readiness.audit.retention import core, files
from readiness.audit.retention.manifest import Part, list_parts, stored_path, trusted_ranges
from readiness.audit.retention.tables import ARCHIVED, WRITTEN, audit_archives
from readiness.audit.trail import append_events
from readiness.errors import ConflictError
from readiness.ledger import partitions, store
from readiness.ledger.service import LedgerService

Step = Callable[[str], None]
STEPS = ("written", "recorded", "removed")
PART_ROWS = 100_000  # leaves per Parquet part: a large month is several parts


def _no_step(_: str) -> None:
    return None


@dataclass
class ArchiveResult:
    """What an archive run did (or, with ``dry_run``, would do)."""

    cutoff: datetime
    dry_run: bool
    months: list[dict[str, Any]] = field(default_factory=list)
    finished: int = 0  # parts of an interrupted run completed
    event_leaf: int | None = None
    partitions: list[str] = field(default_factory=list)  # entry partitions dropped (PostgreSQL)

    @property
    def entries(self) -> int:
        return sum(int(m["entries"]) for m in self.months)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cutoff": iso(self.cutoff),
            "dry_run": self.dry_run,
            "months": self.months,
            "entries": self.entries,
            "finished_interrupted": self.finished,
            "event_leaf": self.event_leaf,
            "partitions_dropped": self.partitions,
        }


@dataclass
class Archiver:
    """Archive runs of one log into ``root`` (``step`` is called after each step: tests
    inject a crash there)."""

    engine: Engine
    ledger: LedgerService
    clock: Clock
    root: Path
    actor: str = "cli"
    source: str = "cli"
    step: Step = _no_step
    part_rows: int = PART_ROWS

    @property
    def log(self) -> str:
        return self.ledger.origin

    def run(self, older_than_months: int, *, dry_run: bool = False) -> ArchiveResult:
        cutoff = core.cutoff(self.clock.now(), older_than_months)
        result = ArchiveResult(cutoff, dry_run)
        if not dry_run:
            result.finished = self._finish_interrupted()
        if index.behind(self.engine, self.log):
            index.catch_up(self.engine, self.log)
        boundary = core.month_start((cutoff.year, cutoff.month))
        for month, leaves in self._candidates(boundary).items():
            if dry_run:
                result.months.append(
                    {"month": core.month_label(month), "entries": len(leaves), "file": None}
                )
                continue
            for start in range(0, len(leaves), self.part_rows):
                part = self._archive_month(month, leaves[start : start + self.part_rows])
                if part is not None:
                    result.months.append(
                        {
                            "month": core.month_label(month),
                            "entries": part.rows,
                            "file": str(part.path),
                        }
                    )
        if not dry_run:
            result.partitions = self._drop_partitions()
            result.event_leaf = self._record_event(cutoff)
        return result

    def _drop_partitions(self) -> list[str]:
        """PostgreSQL: every closed month partition of ``ledger_entries`` whose bodies all left
        for Parquet is detached and dropped, its leaf hashes kept in a compact partition
        (:func:`readiness.ledger.partitions.compact_archived`); the names dropped."""
        with self.engine.begin() as conn:
            if not partitions.is_partitioned(conn):
                return []
            return [part.name for part in partitions.compact_archived(conn, self.log)]

    # --- steps ---------------------------------------------------------------------------

    def _candidates(self, boundary: datetime) -> dict[core.Month, list[int]]:
        c = audit_index.c
        with self.engine.connect() as conn:
            done = trusted_ranges(list_parts(conn, self.log, self.root.resolve()))
            rows = conn.execute(
                sa.select(c.leaf_index, c.occurred_at)
                .where(c.log == self.log, c.occurred_at < boundary)
                .order_by(c.leaf_index)
            ).all()
        months: dict[core.Month, list[int]] = {}
        starts = [a for a, _ in done]
        for leaf, at in rows:
            slot = bisect.bisect_right(starts, leaf) - 1
            if slot < 0 or leaf >= done[slot][1]:
                months.setdefault(index.month_of(at), []).append(int(leaf))
        return dict(sorted(months.items()))

    def _archive_month(self, month: core.Month, leaves: list[int]) -> Part | None:
        rows = self._rows(month, leaves)
        if not rows:
            return None
        ranges = core.ranges_of([row.leaf_index for row in rows])
        data = files.encode_part(self.log, month, ranges, rows)
        path = files.write_part(self.root.resolve(), month, ranges, data)
        self.step("written")
        try:
            self._record_part(month, path, ranges, rows)
        except IntegrityError as exc:  # the unique (log, first_leaf) of the manifest
            raise ConflictError(
                f"another archive run is moving {core.month_label(month)} of this log; run "
                "again once it finished"
            ) from exc
        self.step("recorded")
        with self.engine.connect() as conn:
            [part] = [
                p
                for p in list_parts(conn, self.log, self.root.resolve(), states=(WRITTEN,))
                if p.path == path
            ]
        self._remove_hot(part)
        return part

    def _record_part(
        self, month: core.Month, path: Path, ranges: core.Ranges, rows: list[files.ArchivedRow]
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                audit_archives.insert().values(
                    log=self.log,
                    year=month[0],
                    month=month[1],
                    path=stored_path(self.root.resolve(), path),
                    sha256=files.sha256_of(path),
                    rows=len(rows),
                    first_leaf=ranges[0][0],
                    last_leaf=ranges[-1][1] - 1,
                    leaf_ranges=json.dumps(ranges),
                    leaves_digest=core.leaves_digest(row.leaf_hash for row in rows),
                    state=WRITTEN,
                    created_at=self.clock.now(),
                )
            )

    def _rows(self, month: core.Month, leaves: list[int]) -> list[files.ArchivedRow]:
        """The month's leaves as archive rows: only entries with a body whose own
        ``occurred_at`` lies in the month (an edited index row moves nothing)."""
        out: list[files.ArchivedRow] = []
        with self.engine.connect() as conn:
            for low, high in core.ranges_of(leaves):
                for leaf, entry, value in store.iter_entries(conn, self.log, low, high):
                    event = decode_entry(entry) if entry else None
                    if event is None:
                        continue
                    at = occurred_at(event)
                    if index.month_of(at) != month:
                        continue
                    fields = index_row(self.log, leaf, event)
                    out.append(
                        files.ArchivedRow(
                            leaf, _micros(at), _fields(fields), bytes(entry), bytes(value)
                        )
                    )
        return out

    def _remove_hot(self, part: Part) -> None:
        """Blank the bodies, drop the index rows, mark the part archived: one transaction."""
        entries, c = store.ledger_entries, audit_index.c
        with self.engine.begin() as conn:
            for low, high in part.ranges:
                conn.execute(
                    entries.update()
                    .where(
                        entries.c.log == self.log,
                        entries.c.leaf_index >= low,
                        entries.c.leaf_index < high,
                    )
                    .values(entry=b"")
                )
                conn.execute(
                    audit_index.delete().where(
                        c.log == self.log, c.leaf_index >= low, c.leaf_index < high
                    )
                )
            conn.execute(
                audit_archives.update().where(audit_archives.c.id == part.id).values(state=ARCHIVED)
            )
            if conn.dialect.name == "postgresql":
                _drop_empty_partition(conn, part.month)
        self.step("removed")

    def _finish_interrupted(self) -> int:
        """Complete the ``written`` parts of an interrupted run (see the module)."""
        finished = 0
        with self.engine.connect() as conn:
            pending = list_parts(conn, self.log, self.root.resolve(), states=(WRITTEN,))
        for part in pending:
            if part.path.is_file() and files.sha256_of(part.path) == part.sha256:
                self._remove_hot(part)
                finished += 1
            else:  # nothing left the hot tables yet: redo the month from them
                with self.engine.begin() as conn:
                    conn.execute(audit_archives.delete().where(audit_archives.c.id == part.id))
        return finished

    def _record_event(self, cutoff: datetime) -> int | None:
        """One ``audit.archive`` event for every archived part not yet recorded in the trail."""
        with self.engine.connect() as conn:
            parts = [
                p
                for p in list_parts(conn, self.log, self.root.resolve(), states=(ARCHIVED,))
                if p.event_leaf is None
            ]
        if not parts:
            return None
        details = {
            "cutoff": iso(cutoff),
            "months": sorted({core.month_label(p.month) for p in parts}),
            "entries": sum(p.rows for p in parts),
            "files": [
                {"file": p.path.name, "sha256": p.sha256, "ranges": [list(r) for r in p.ranges]}
                for p in parts
            ],
        }
        leaf = append_events(self.ledger, self.engine, [self.event("audit.archive", details)])[0]
        with self.engine.begin() as conn:
            conn.execute(
                audit_archives.update()
                .where(audit_archives.c.id.in_([p.id for p in parts]))
                .values(event_leaf=leaf)
            )
        return leaf

    def event(self, action: str, details: Mapping[str, Any]) -> dict[str, Any]:
        return validate_event(
            {
                "actor_id": pseudonymous_actor(self.actor),
                "actor_type": "user",
                "action": action,
                "target_type": TRAIL_TARGET,
                "target_id": pseudonymous_actor(self.log),
                "after": dict(details),
                "result": "success",
                "source": self.source,
                "occurred_at": iso(self.clock.now()),
            }
        )


def _micros(at: datetime) -> int:
    delta = at - core.month_start((1970, 1))
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _fields(row: Mapping[str, Any]) -> dict[str, str | None]:
    from readiness.audit.query.core import INDEXED

    return {name: row[name] for name in INDEXED}


def _drop_empty_partition(conn: Connection, month: core.Month) -> None:
    """PostgreSQL: detach and drop the month's index partition once no log has rows in it."""
    name = partition_name(*month)
    if name not in index.existing_partitions(conn):
        return
    if conn.execute(sa.text(f"SELECT EXISTS (SELECT 1 FROM {name})")).scalar():  # noqa: S608
        return
    conn.execute(sa.text(f"ALTER TABLE audit_index DETACH PARTITION {name}"))
    conn.execute(sa.text(f"DROP TABLE {name}"))
