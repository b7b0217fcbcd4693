"""Reads of the audit trail, each itself an audit event appended before the answer returns.

:class:`TrailReader` is what the CLI, the API and the dashboard call. Before a read it catches the
index up when it is behind the log; after the read, and before returning anything, it appends
an event ``audit.query`` (searches, timelines) or ``audit.export`` recording who read, how
(``source``), the filters and how many events were returned: never the events themselves
(handbook 20.3: log what was accessed, not the data). If that append fails, the read fails.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection, Engine

from readiness._common.clock import Clock
from readiness.audit.events import validate_event
from readiness.audit.query import index, search
from readiness.audit.query.core import AsOf, Filters, fold_as_of, iso
from readiness.audit.query.export import check_format, export_row
from readiness.audit.trail import append_events
from readiness.ledger import store
from readiness.ledger.core.merkle import assemble, inclusion_plan, plan_nodes
from readiness.ledger.service import LedgerService
from readiness.ledger.store import StoredCheckpoint

TRAIL_TARGET = "audit_trail"
MAX_TIMELINE = 10_000
MAX_EXPORT = 1_000_000
PROOF_CHUNK = 500  # export rows whose proofs are fetched in one query
_NOT_ID = re.compile(r"[^A-Za-z0-9_.:/\-]")


def pseudonymous_actor(actor: str) -> str:
    """``actor`` as an event's ``actor_id``: characters an id has not become ``_``; an e-mail
    address is never recorded, only ``actor_`` and 16 hex digits of its SHA-256."""
    if "@" in actor:
        return "actor_" + hashlib.sha256(actor.strip().encode()).hexdigest()[:16]
    text = _NOT_ID.sub("_", actor.strip())[:256]
    return text if text and text[0].isalnum() else f"a{text}"[:256]


@dataclass(frozen=True)
class Timeline:
    """Every event of a target, oldest first (``truncated``: more than were returned), and
    the target's state as of the time asked (None: not asked)."""

    target_type: str
    target_id: str
    hits: list[search.Hit]
    truncated: bool
    as_of: AsOf | None


@dataclass(frozen=True)
class PreparedExport:
    """An export ready to write: the checkpoint it proves against, how many rows, the rows."""

    checkpoint: StoredCheckpoint
    format: str
    count: int
    header: dict[str, Any]
    rows: Callable[[], Iterator[dict[str, Any]]]


class TrailReader:
    """Audited reads of one log for one reader (``actor``, reaching it through ``source``)."""

    def __init__(
        self,
        engine: Engine,
        ledger: LedgerService,
        clock: Clock,
        *,
        actor: str,
        actor_type: str = "user",
        source: str = "cli",
        archive_root: Path | None = None,
    ) -> None:
        """``archive_root``: the archive directory (``audit.retention.archive_dir``) the
        manifest's relative paths are under."""
        self._engine = engine
        self._root = archive_root
        self._ledger = ledger
        self._clock = clock
        self._actor = pseudonymous_actor(actor)
        self._actor_type = actor_type
        self._source = source
        self.log = ledger.origin

    def _fresh(self) -> None:
        if index.behind(self._engine, self.log):
            index.catch_up(self._engine, self.log)

    def _record(self, action: str, details: Mapping[str, Any]) -> int:
        event = validate_event(
            {
                "actor_id": self._actor,
                "actor_type": self._actor_type,
                "action": action,
                "target_type": TRAIL_TARGET,
                "target_id": pseudonymous_actor(self.log),
                "after": dict(details),
                "result": "success",
                "source": self._source,
                "occurred_at": iso(self._clock.now()),
            }
        )
        return append_events(self._ledger, self._engine, [event])[0]

    def query(self, filters: Filters) -> search.Page:
        """One page of matching events, newest first (audited: ``audit.query``)."""
        self._fresh()
        with self._engine.connect() as conn:
            page = search.search(conn, self.log, filters, root=self._root)
        self._record(
            "audit.query",
            {"query": "search", "filters": filters.as_record(), "returned": len(page.hits)},
        )
        return page

    def timeline(
        self,
        target_type: str,
        target_id: str,
        *,
        as_of: datetime | None = None,
        reconstruct: bool = False,
        limit: int = MAX_TIMELINE,
    ) -> Timeline:
        """The events of one target, oldest first, up to ``as_of`` when given; with
        ``reconstruct`` (or ``as_of``) also its state then (audited: ``audit.query``)."""
        self._fresh()
        hits: list[search.Hit] = []
        truncated = False

        def kept(found: Iterator[search.Hit]) -> Iterator[tuple[int, dict[str, Any]]]:
            # Every event folds into the state; only the first ``limit`` are returned.
            nonlocal truncated
            for hit in found:
                if len(hits) < limit:
                    hits.append(hit)
                else:
                    truncated = True
                yield hit.leaf_index, hit.event

        with self._engine.connect() as conn:
            found = search.timeline(
                conn, self.log, target_type, target_id, until=as_of, root=self._root
            )
            if reconstruct or as_of is not None:
                state: AsOf | None = fold_as_of(target_type, target_id, kept(found), as_of)
            else:
                state = None
                for _ in kept(found):
                    if truncated:
                        break
        filters: dict[str, Any] = {"target_type": target_type, "target_id": target_id}
        if as_of is not None:
            filters["as_of"] = iso(as_of)
        self._record(
            "audit.query", {"query": "timeline", "filters": filters, "returned": len(hits)}
        )
        return Timeline(target_type, target_id, hits, truncated, state)

    def export(
        self,
        filters: Filters,
        fmt: str,
        *,
        on_checkpoint: Callable[[StoredCheckpoint], object] | None = None,
    ) -> PreparedExport:
        """An export of every event matching ``filters`` (up to ``filters.limit``), newest
        first, proved against the latest checkpoint; one is signed first when the newest
        does not cover the whole log (``on_checkpoint`` publishes it). Audited
        (``audit.export``) before the rows can be read."""
        check_format(fmt)
        self._fresh()
        stored = self._ledger.checkpoints()
        size = self._ledger.size()
        if stored and stored[-1].size == size:
            checkpoint = stored[-1]
        else:
            checkpoint = self._ledger.checkpoint()
            if on_checkpoint is not None:
                on_checkpoint(checkpoint)
        tree = checkpoint.size
        with self._engine.connect() as conn:
            count = min(
                search.count(conn, self.log, filters, below=tree, root=self._root), filters.limit
            )
        record = filters.as_record()
        self._record(
            "audit.export",
            {"format": fmt, "filters": record, "returned": count, "tree_size": tree},
        )
        header = {"log": self.log, "tree_size": tree, "rows": count, "filters": record}

        def rows() -> Iterator[dict[str, Any]]:
            with self._engine.connect() as conn:
                hits = itertools.islice(
                    search.iter_matching(conn, self.log, filters, below=tree, root=self._root),
                    count,
                )
                while chunk := list(itertools.islice(hits, PROOF_CHUNK)):
                    yield from _proved(conn, self.log, tree, chunk)

        return PreparedExport(checkpoint, fmt, count, header, rows)

    def reindex(self, *, full: bool = False) -> int:
        """Catch the index up (``full``: rebuild it); how many leaves were read."""
        if full:
            return index.reindex(self._engine, self.log)
        return index.catch_up(self._engine, self.log)


def _proved(
    conn: Connection, log: str, tree: int, hits: list[search.Hit]
) -> Iterator[dict[str, Any]]:
    """The export rows of ``hits``, their inclusion proofs in ``tree`` from one node query."""
    plans = {hit.leaf_index: inclusion_plan(hit.leaf_index, tree) for hit in hits}
    wanted = sorted(
        {node for plan in plans.values() for node in plan_nodes(plan)}
        | {(0, hit.leaf_index) for hit in hits}
    )
    found = store.fetch_nodes(conn, log, wanted)
    for hit in hits:
        path = assemble(plans[hit.leaf_index], lambda level, i: found[(level, i)])
        yield export_row(hit.leaf_index, hit.entry, tree, found[(0, hit.leaf_index)], path)
