"""Searches over archived months: DuckDB reading the manifest's Parquet parts.

The files are the ones the manifest lists as ``archived`` (never a glob of the directory: a file
dropped there is not evidence), read with ``hive_partitioning`` (``year``/``month`` from the
path). The same filters, order and keyset as the hot index, so :mod:`readiness.audit.query.search`
merges the two into one answer. A listed file that is missing is an error, never an empty month.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from readiness.audit.query.core import Filters
from readiness.audit.retention.core import month_end, month_start
from readiness.audit.retention.files import read_part, sha256_of
from readiness.audit.retention.manifest import list_parts
from readiness.audit.retention.tables import ARCHIVED
from readiness.errors import StorageError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Row = tuple[int, datetime, bytes]


def micros(at: datetime) -> int:
    delta = at.astimezone(UTC) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def archived_files(
    conn: Connection,
    log: str,
    root: Path | None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Path]:
    """The archived parts of ``log`` whose month meets ``[since, until]`` (partition pruning
    by the manifest: a search of hot months reads no Parquet); :class:`StorageError` when one
    is missing."""
    paths = [
        part.path
        for part in list_parts(conn, log, root, states=(ARCHIVED,))
        if (since is None or month_end(part.month) > since)
        and (until is None or month_start(part.month) <= until)
    ]
    for path in paths:
        if not path.is_file():
            raise StorageError(
                f"the archived audit file {path} is missing; run `readiness audit verify`"
            )
    return paths


class ArchivedBodies:
    """The archived entry of a leaf, read from its Parquet part (the part last read is kept:
    an export asks for consecutive leaves). Only parts whose file matches the manifest's
    SHA-256 are read; a leaf of no such part has no body here (pruned, or not archived)."""

    def __init__(self, conn: Connection, log: str, root: Path | None) -> None:
        self._parts = [
            (part.ranges, part.path, part.sha256)
            for part in list_parts(conn, log, root, states=(ARCHIVED,))
        ]
        self._loaded: Path | None = None
        self._rows: dict[int, bytes] = {}

    def __call__(self, leaf: int) -> bytes | None:
        for ranges, path, digest in self._parts:
            if any(a <= leaf < b for a, b in ranges):
                if self._loaded != path:
                    self._rows = {}
                    if path.is_file() and sha256_of(path) == digest:
                        self._rows = {index: entry for index, entry, _ in read_part(path)}
                    self._loaded = path
                return self._rows.get(leaf)
        return None


def _where(
    log: str,
    filters: Filters,
    *,
    below: int | None,
    until: datetime | None = None,
) -> tuple[list[str], list[Any]]:
    where: list[str] = ["log = ?"]
    params: list[Any] = [log]
    for name in ("actor_id", "target_type", "target_id", "result", "tenant"):
        value = getattr(filters, name)
        if value is not None:
            where.append(f"{name} = ?")
            params.append(value)
    if filters.action_prefix is not None:
        where.append("starts_with(action, ?)")
        params.append(filters.action_prefix)
    elif filters.action is not None:
        where.append("action = ?")
        params.append(filters.action)
    if filters.since is not None:
        where.append("occurred_us >= ?")
        params.append(micros(filters.since))
    for limit in (filters.until, until):
        if limit is not None:
            where.append("occurred_us <= ?")
            params.append(micros(limit))
    if below is not None:
        where.append("leaf_index < ?")
        params.append(below)
    return where, params


def _source(files: Sequence[Path]) -> str:
    listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
    return f"read_parquet([{listed}], hive_partitioning = true)"


def _run(files: Sequence[Path], sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    import duckdb

    with duckdb.connect() as db:
        return db.execute(sql.format(source=_source(files)), params).fetchall()


def search(
    files: Sequence[Path],
    log: str,
    filters: Filters,
    *,
    limit: int,
    below: int | None = None,
    after: tuple[datetime, int] | None = None,
    ascending: bool = False,
    until: datetime | None = None,
) -> list[Row]:
    """Up to ``limit`` matching archived events as ``(leaf_index, occurred_at, entry)``, newest
    first (``ascending``: oldest first), after the keyset ``after`` in that order."""
    if not files:
        return []
    where, params = _where(log, filters, below=below, until=until)
    if after is not None:
        at = micros(after[0])
        op = ">" if ascending else "<"
        where.append(f"(occurred_us {op} ? OR (occurred_us = ? AND leaf_index {op} ?))")
        params.extend((at, at, after[1]))
    order = "ASC" if ascending else "DESC"
    sql = (
        "SELECT leaf_index, occurred_us, entry FROM {source} WHERE "  # noqa: S608 - no input
        + " AND ".join(where)
        + f" ORDER BY occurred_us {order}, leaf_index {order} LIMIT {int(limit)}"
    )
    return [
        (int(leaf), EPOCH + timedelta(microseconds=int(us)), bytes(entry))
        for leaf, us, entry in _run(files, sql, params)
    ]


def count(files: Sequence[Path], log: str, filters: Filters, *, below: int | None = None) -> int:
    """How many archived events match ``filters``."""
    if not files:
        return 0
    where, params = _where(log, filters, below=below)
    sql = "SELECT count(*) FROM {source} WHERE " + " AND ".join(where)  # noqa: S608
    [(found,)] = _run(files, sql, params)
    return int(found)
