"""A batched, throttled, resumable backfill (handbook Q5).

Keyset pagination on an indexed key (``WHERE key > last ORDER BY key LIMIT n``, never a scan
for the remaining NULLs); each batch is one short transaction with ``lock_timeout`` and
``statement_timeout`` set; the position is saved after every batch so a rerun resumes; a kill
switch file is looked at before every batch; while replica lag exceeds the limit the backfill
waits and rechecks. The sleep and the lag probe are passed in: tests never sleep.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from readiness.errors import InputError
from readiness.migrations.toolkit.plan import IDENT

BATCH_SIZE = 5000
PAUSE_S = 0.1
MAX_LAG_S = 1.0
LAG_RECHECK_S = 5.0

REPLICA_LAG = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() IS NULL "
    "OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END"
)
PRIMARY_LAG = (
    "SELECT coalesce(max(extract(epoch FROM replay_lag)), 0)::float8 FROM pg_stat_replication"
)


@dataclass(frozen=True)
class BackfillSpec:
    """What to update and how gently."""

    table: str
    assign: str  # "new_col = old_col"
    where: str  # "new_col IS DISTINCT FROM old_col": rows still to do
    key: str = "id"
    batch_size: int = BATCH_SIZE
    pause_s: float = PAUSE_S
    lock_timeout: str = "5s"
    statement_timeout: str = "60s"
    max_lag_s: float = MAX_LAG_S
    lag_recheck_s: float = LAG_RECHECK_S
    kill_file: Path | None = None
    progress_file: Path | None = None


@dataclass
class BackfillResult:
    """How a backfill run ended: ``done`` or ``killed`` (resume by running it again)."""

    status: str
    batches: int = 0
    rows: int = 0
    last_key: str | None = None
    resumed_from: str | None = None
    lag_pauses: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def lag_probe(conn: psycopg.Connection, *, on_replica: bool) -> Callable[[], float]:
    """Seconds of replay lag, read on the replica (or, from the primary, the worst replica)."""
    query = REPLICA_LAG if on_replica else PRIMARY_LAG

    def probe() -> float:
        row = conn.execute(query).fetchone()
        return float(row[0]) if row and row[0] is not None else 0.0

    return probe


def estimated_rows(conn: psycopg.Connection, table: str) -> int | None:
    """The planner's row count of ``table`` (None: never analysed), for a progress bar."""
    row = conn.execute(
        "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", (table,)
    ).fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


def _progress(spec: BackfillSpec) -> str | None:
    if spec.progress_file is None or not spec.progress_file.exists():
        return None
    try:
        saved = json.loads(spec.progress_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"progress file {str(spec.progress_file)!r} is not readable JSON; delete it to "
            "start the backfill from the beginning"
        ) from exc
    same = (saved.get("table"), saved.get("assign"), saved.get("where"))
    if same != (spec.table, spec.assign, spec.where):
        raise InputError(
            f"progress file {str(spec.progress_file)!r} belongs to another backfill "
            f"({saved.get('table')}: {saved.get('assign')}); give another --progress file"
        )
    last = saved.get("last_key")
    return None if last is None else str(last)


def _save(spec: BackfillSpec, result: BackfillResult) -> None:
    if spec.progress_file is None:
        return
    data = {"table": spec.table, "assign": spec.assign, "where": spec.where, **result.as_dict()}
    tmp = spec.progress_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    tmp.replace(spec.progress_file)


def _key_type(conn: psycopg.Connection, spec: BackfillSpec) -> str:
    for part in (*spec.table.split("."), spec.key):
        if not IDENT.match(part):
            raise InputError(f"table and --key must be plain identifiers (got {part!r})")
    row = conn.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = to_regclass(%s) AND attname = %s AND NOT attisdropped",
        (spec.table, spec.key),
    ).fetchone()
    if row is None:
        raise InputError(
            f"table {spec.table!r} has no column {spec.key!r}; give an indexed unique key "
            "with --key"
        )
    return str(row[0])


def _killed(spec: BackfillSpec) -> bool:
    return spec.kill_file is not None and spec.kill_file.exists()


def run_backfill(
    conn: psycopg.Connection,
    spec: BackfillSpec,
    *,
    sleep: Callable[[float], None],
    lag: Callable[[], float] | None = None,
    on_batch: Callable[[BackfillResult], None] | None = None,
) -> BackfillResult:
    """Backfill ``spec`` on ``conn`` (autocommit) until no row is left or the switch is set."""
    if spec.batch_size < 1:
        raise InputError(f"--batch-size must be at least 1 (got {spec.batch_size})")
    key_type = _key_type(conn, spec)
    start = _progress(spec)
    result = BackfillResult("running", last_key=start, resumed_from=start)
    batch = sql.SQL(
        "/* readiness:backfill */ "
        "WITH batch AS (SELECT {key} FROM {table} WHERE ({last}::text IS NULL "
        "OR {key} > CAST({last} AS {ktype})) ORDER BY {key} LIMIT {n}), "
        "done AS (UPDATE {table} AS t SET {assign} FROM batch WHERE t.{key} = batch.{key} "
        "AND ({where}) RETURNING 1) "
        "SELECT (SELECT max({key})::text FROM batch), (SELECT count(*) FROM done)"
    )
    while True:
        if _killed(spec):
            result.status = "killed"
            break
        while lag is not None and lag() > spec.max_lag_s and not _killed(spec):
            result.lag_pauses += 1
            sleep(spec.lag_recheck_s)
        if _killed(spec):
            result.status = "killed"
            break
        query = batch.format(
            key=sql.Identifier(spec.key),
            table=sql.SQL(spec.table),
            last=sql.Placeholder("last"),
            ktype=sql.SQL(key_type),
            n=sql.Literal(spec.batch_size),
            assign=sql.SQL(spec.assign),
            where=sql.SQL(spec.where),
        )
        with conn.transaction():
            conn.execute(
                sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(spec.lock_timeout))
            )
            conn.execute(
                sql.SQL("SET LOCAL statement_timeout = {}").format(
                    sql.Literal(spec.statement_timeout)
                )
            )
            row = conn.execute(query, {"last": result.last_key}).fetchone()
        last, updated = (row[0], int(row[1])) if row else (None, 0)
        if last is None:
            result.status = "done"
            break
        result.batches += 1
        result.rows += updated
        result.last_key = str(last)
        _save(spec, result)
        if on_batch is not None:
            on_batch(result)
        sleep(spec.pause_s)
    _save(spec, result)
    return result
