"""Archiving old months of the audit trail to Parquet, and queries over them, on PostgreSQL.

Fills a log of ``--events`` events (default 200,000) spread evenly over the 24 months before
NOW, ``--actors`` actors, by one binary COPY of the entries and their Merkle nodes, and builds
the query index (:func:`readiness.audit.query.index.catch_up`). Then archives every month older
than 12 months (:class:`readiness.audit.retention.archive.Archiver`: Parquet parts written and
fsynced, manifest, bodies blanked, index rows and partitions dropped, one audit event) and
reports events archived per second. Then ``--queries`` searches of one actor's newest 50 events
within one month, half in archived months (DuckDB over the Parquet parts, merged with the hot
index) and half in hot months (the index alone), as p50/p95 ms each. One JSON line.

    .venv/bin/python benchmarks/audit_archive.py
    .venv/bin/python benchmarks/audit_archive.py --events 20000 --queries 20
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from _audit_db import open_partition, postgres_engine

from readiness._common.clock import FrozenClock
from readiness.audit.query import index
from readiness.audit.query.core import iso, make_filters
from readiness.audit.query.search import search
from readiness.audit.retention.archive import Archiver
from readiness.ledger.core.compact import CompactRange
from readiness.ledger.core.merkle import NodeId, leaf_hash
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.service import LedgerService

LOG = "bench.example/audit"
NOW = datetime(2027, 1, 15, tzinfo=UTC)
START = datetime(2025, 1, 1, tzinfo=UTC)


def entries(count: int, actors: int, rng: random.Random) -> Iterator[bytes]:
    step = (NOW - START) / count
    for n in range(count):
        event = {
            "action": "invoice.update" if n % 3 else "invoice.view",
            "actor_id": f"usr_{rng.randrange(actors):05d}",
            "actor_type": "user",
            "occurred_at": iso(START + step * n),
            "result": "success",
            "target_id": f"inv_{rng.randrange(count // 10 + 1)}",
            "target_type": "invoice",
        }
        yield json.dumps(event, sort_keys=True, separators=(",", ":")).encode()


def load(engine: sa.Engine, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    tree = CompactRange()
    nodes: list[tuple[NodeId, bytes]] = []
    open_partition(engine, LOG, NOW)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(
            "COPY ledger_entries (log, leaf_index, entry, leaf_hash, appended_at) "
            "FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["text", "int8", "bytea", "bytea", "timestamptz"])
            for i, entry in enumerate(entries(args.events, args.actors, rng)):
                leaf = leaf_hash(entry)
                nodes.extend(node for node in tree.append(leaf) if node[0][0] > 0)
                copy.write_row((LOG, i, entry, leaf, NOW))
        with cursor.copy(
            "COPY ledger_nodes (log, level, node_index, hash) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["text", "int2", "int8", "bytea"])
            for (level, node_index), value in nodes:
                copy.write_row((LOG, level, node_index, value))
        raw.commit()
    finally:
        raw.close()


def ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
    }


def timed_searches(
    engine: sa.Engine, months: list[datetime], args: argparse.Namespace
) -> list[float]:
    rng = random.Random(args.seed + 1)
    took: list[float] = []
    for n in range(args.queries):
        since = months[n % len(months)]
        until = since + timedelta(days=30)
        filters = make_filters(
            actor_id=f"usr_{rng.randrange(args.actors):05d}",
            since=iso(since),
            until=iso(until),
            limit=50,
        )
        began = time.perf_counter()
        with engine.connect() as conn:
            search(conn, LOG, filters)
        took.append(time.perf_counter() - began)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--actors", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with postgres_engine() as engine, tempfile.TemporaryDirectory() as folder:
        load(engine, args)
        index.catch_up(engine, LOG)
        clock = FrozenClock(NOW)
        ledger = LedgerService(engine, clock, Ed25519Signer(LOG, bytes(32)), LOG, window_ms=0)
        try:
            began = time.perf_counter()
            result = Archiver(engine, ledger, clock, Path(folder)).run(12)
            seconds = time.perf_counter() - began
            archived = [datetime(2025, m, 1, tzinfo=UTC) for m in range(1, 13)]
            hot = [datetime(2026, m, 1, tzinfo=UTC) for m in range(1, 13)]
            cold_ms = ms(timed_searches(engine, archived, args))
            hot_ms = ms(timed_searches(engine, hot, args))
        finally:
            ledger.close()
    print(
        json.dumps(
            {
                "benchmark": "audit_archive",
                "backend": "postgresql",
                "events": args.events,
                "archived": result.entries,
                "archive_seconds": round(seconds, 2),
                "archived_per_s": round(result.entries / seconds),
                "parts": len(result.months),
                "queries": args.queries,
                "archived_month_query": cold_ms,
                "hot_month_query": hot_ms,
            }
        )
    )


if __name__ == "__main__":
    main()
