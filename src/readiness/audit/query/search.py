"""Searches on the index; the events themselves are read back from the ledger's entries.

The index only finds leaves: what a search returns is each leaf's entry as the ledger stores it
(joined on ``(log, leaf_index)``), so an index edited by hand can hide an event from a search but
never change what an event says. Newest first, keyset pages on ``(occurred_at, leaf_index)``.

Months moved to the archive tier (:mod:`readiness.audit.retention`) are searched in their
Parquet files with the same filters, order and keyset, and merged with the hot rows: a search
answers the same before and after an archive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from readiness._common.clock import utc
from readiness.audit.query.core import Cursor, Filters
from readiness.audit.query.tables import audit_index
from readiness.audit.retention import reader
from readiness.ledger.store import ledger_entries

_LIKE_ESCAPE = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})


@dataclass(frozen=True)
class Hit:
    """One event found: its leaf, when it occurred, the stored entry and the event it holds."""

    leaf_index: int
    occurred_at: datetime
    entry: bytes
    event: dict[str, Any]


@dataclass(frozen=True)
class Page:
    """A page of hits, newest first, and the cursor of the next page (None: the last)."""

    hits: list[Hit]
    next_cursor: str | None


def _conditions(log: str, filters: Filters, *, below: int | None = None) -> list[Any]:
    c = audit_index.c
    where: list[Any] = [c.log == log]
    if filters.actor_id is not None:
        where.append(c.actor_id == filters.actor_id)
    if filters.target_type is not None:
        where.append(c.target_type == filters.target_type)
    if filters.target_id is not None:
        where.append(c.target_id == filters.target_id)
    prefix = filters.action_prefix
    if prefix is not None:
        where.append(c.action.like(prefix.translate(_LIKE_ESCAPE) + "%", escape="\\"))
    elif filters.action is not None:
        where.append(c.action == filters.action)
    if filters.result is not None:
        where.append(c.result == filters.result)
    if filters.tenant is not None:
        where.append(c.tenant == filters.tenant)
    if filters.since is not None:
        where.append(c.occurred_at >= filters.since)
    if filters.until is not None:
        where.append(c.occurred_at <= filters.until)
    if below is not None:
        where.append(c.leaf_index < below)
    return where


def _hit(leaf_index: int, at: datetime, entry: bytes) -> Hit:
    return Hit(int(leaf_index), utc(at), bytes(entry), json.loads(entry))


def _joined(columns_where: list[Any]) -> sa.Select[Any]:
    c = audit_index.c
    return (
        sa.select(c.leaf_index, c.occurred_at, ledger_entries.c.entry)
        .join(
            ledger_entries,
            sa.and_(ledger_entries.c.log == c.log, ledger_entries.c.leaf_index == c.leaf_index),
        )
        .where(*columns_where)
    )


def search(
    conn: Connection,
    log: str,
    filters: Filters,
    *,
    below: int | None = None,
    root: Path | None = None,
) -> Page:
    """One page of the events matching ``filters``, newest first (``below``: leaves under it)."""
    c = audit_index.c
    where = _conditions(log, filters, below=below)
    if filters.cursor is not None:
        where.append(
            sa.tuple_(c.occurred_at, c.leaf_index)
            < sa.tuple_(
                sa.literal(filters.cursor.occurred_at, audit_index.c.occurred_at.type),
                sa.literal(filters.cursor.leaf_index, sa.BigInteger()),
            )
        )
    query = (
        _joined(where).order_by(c.occurred_at.desc(), c.leaf_index.desc()).limit(filters.limit + 1)
    )
    hits = [_hit(*row) for row in conn.execute(query)]
    files = reader.archived_files(conn, log, root, filters.since, filters.until)
    if files:
        after = (
            None
            if filters.cursor is None
            else (filters.cursor.occurred_at, filters.cursor.leaf_index)
        )
        archived = reader.search(
            files, log, filters, limit=filters.limit + 1, below=below, after=after
        )
        hits = _merged(hits, [_hit(*row) for row in archived], descending=True)
    more = len(hits) > filters.limit
    hits = hits[: filters.limit]
    cursor = Cursor(hits[-1].occurred_at, hits[-1].leaf_index).encode() if more else None
    return Page(hits, cursor)


def count(
    conn: Connection,
    log: str,
    filters: Filters,
    *,
    below: int | None = None,
    root: Path | None = None,
) -> int:
    """How many events match ``filters`` (ignoring limit and cursor)."""
    query = (
        sa.select(sa.func.count())
        .select_from(audit_index)
        .where(*_conditions(log, filters, below=below))
    )
    hot = int(conn.execute(query).scalar_one())
    files = reader.archived_files(conn, log, root, filters.since, filters.until)
    return hot + reader.count(files, log, filters, below=below)


def _merged(hot: list[Hit], archived: list[Hit], *, descending: bool) -> list[Hit]:
    """Two ordered lists of hits as one, each leaf once (a leaf archived between the two reads
    may be in both)."""
    seen: set[int] = set()
    out: list[Hit] = []
    for hit in sorted(
        [*hot, *archived], key=lambda h: (h.occurred_at, h.leaf_index), reverse=descending
    ):
        if hit.leaf_index not in seen:
            seen.add(hit.leaf_index)
            out.append(hit)
    return out


def iter_matching(
    conn: Connection,
    log: str,
    filters: Filters,
    *,
    below: int | None = None,
    chunk: int = 1000,
    root: Path | None = None,
) -> Iterator[Hit]:
    """Every event matching ``filters`` (no limit), newest first, read ``chunk`` at a time."""
    page_filters = Filters(**{**filters.__dict__, "limit": chunk, "cursor": None})
    while True:
        page = search(conn, log, page_filters, below=below, root=root)
        yield from page.hits
        if page.next_cursor is None:
            return
        page_filters = page_filters.after(Cursor.decode(page.next_cursor))


def timeline(
    conn: Connection,
    log: str,
    target_type: str,
    target_id: str,
    *,
    until: datetime | None = None,
    chunk: int = 1000,
    root: Path | None = None,
) -> Iterator[Hit]:
    """Every event of one target, oldest first (``until``: only those at or before it)."""
    c = audit_index.c
    last: tuple[datetime, int] | None = None
    files = reader.archived_files(conn, log, root, until=until)
    everything = Filters(target_type=target_type, target_id=target_id)
    while True:
        where: list[Any] = [
            c.log == log,
            c.target_type == target_type,
            c.target_id == target_id,
        ]
        if until is not None:
            where.append(c.occurred_at <= until)
        if last is not None:
            where.append(
                sa.tuple_(c.occurred_at, c.leaf_index)
                > sa.tuple_(
                    sa.literal(last[0], audit_index.c.occurred_at.type),
                    sa.literal(last[1], sa.BigInteger()),
                )
            )
        query = _joined(where).order_by(c.occurred_at, c.leaf_index).limit(chunk)
        hits = [_hit(*row) for row in conn.execute(query)]
        if files:
            archived = reader.search(
                files, log, everything, limit=chunk, after=last, ascending=True, until=until
            )
            hits = _merged(hits, [_hit(*row) for row in archived], descending=False)[:chunk]
        yield from hits
        if len(hits) < chunk:
            return
        last = (hits[-1].occurred_at, hits[-1].leaf_index)
