"""Actor-in-90-days query over the audit trail's index on PostgreSQL, against a naive scan.

Fills a log of ``--events`` events (default 1,000,000; the issue's target is 10M events in at most
100 ms) spread over 365 days, ``--actors`` actors (default 10,000), and builds the query index the
way ``readiness audit reindex`` does (:func:`readiness.audit.query.index.catch_up`: entries
read back from the ledger, decoded, written to the month partitions). The entries are loaded by
one binary COPY (entry, leaf hash): the query reads entries and the index, never the Merkle
nodes, so building a tree for them would only make the run longer.

Then, for ``--queries`` actors picked at random: the newest 50 events of the actor in the last
90 days (:func:`readiness.audit.query.search.search`: the index and the entries joined by
primary key), reported as p50/p95/max ms; and the same through the audited reader (the query
plus its own ``audit.query`` event appended and indexed before it returns). The peer, measured
in the same run on the same database: the naive scan, the same question asked of the entries
themselves (every entry parsed as JSON by PostgreSQL, filtered on actor and time, sorted),
``--naive-runs`` times. Prints one JSON line.

    .venv/bin/python benchmarks/audit_query.py
    .venv/bin/python benchmarks/audit_query.py --events 100000 --queries 50
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from _audit_db import open_partition, postgres_engine

from readiness._common.clock import FrozenClock
from readiness.audit.query import index
from readiness.audit.query.core import iso, make_filters
from readiness.audit.query.search import search
from readiness.audit.query.service import TrailReader
from readiness.ledger.core.compact import CompactRange
from readiness.ledger.core.merkle import NodeId, leaf_hash
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.service import LedgerService

LOG = "bench.example/audit"
NOW = datetime(2026, 12, 31, tzinfo=UTC)
ACTIONS = ("invoice.view", "invoice.update", "order.create", "payment.refund", "authn_login")


def entries(count: int, actors: int, rng: random.Random) -> Iterator[bytes]:
    """Events in time order over the year before NOW; canonical JSON (ASCII, sorted keys)."""
    start = NOW - timedelta(days=365)
    step = timedelta(days=365) / count
    for n in range(count):
        event = {
            "action": ACTIONS[n % len(ACTIONS)],
            "actor_id": f"usr_{rng.randrange(actors):06d}",
            "actor_type": "user",
            "occurred_at": iso(start + step * n),
            "result": "success",
            "target_id": f"inv_{rng.randrange(count // 10 + 1)}",
            "target_type": "invoice",
            "tenant": f"t{n % 7}",
        }
        yield json.dumps(event, sort_keys=True, separators=(",", ":")).encode()


def load(engine: sa.Engine, args: argparse.Namespace) -> float:
    """COPY the entries and their Merkle nodes into the ledger's tables; seconds taken."""
    rng = random.Random(args.seed)
    tree = CompactRange()
    nodes: list[tuple[NodeId, bytes]] = []
    began = time.perf_counter()
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
    return time.perf_counter() - began


def ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


NAIVE = sa.text(
    "SELECT leaf_index, entry FROM ledger_entries "
    "WHERE log = :log AND convert_from(entry, 'UTF8')::jsonb ->> 'actor_id' = :actor "
    "AND convert_from(entry, 'UTF8')::jsonb ->> 'occurred_at' >= :since "
    "ORDER BY convert_from(entry, 'UTF8')::jsonb ->> 'occurred_at' DESC, leaf_index DESC "
    "LIMIT 50"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--actors", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--naive-runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    rng = random.Random(args.seed + 1)
    since = iso(NOW - timedelta(days=90))
    with postgres_engine() as engine:
        load_s = load(engine, args)
        began = time.perf_counter()
        indexed = index.catch_up(engine, LOG)
        index_s = time.perf_counter() - began
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
            partitions = len(index.existing_partitions(conn))
        picks = [f"usr_{rng.randrange(args.actors):06d}" for _ in range(args.queries)]
        times: list[float] = []
        found: list[int] = []
        with engine.connect() as conn:
            for actor in picks:
                filters = make_filters(actor_id=actor, since=since, limit=50)
                began = time.perf_counter()
                page = search(conn, LOG, filters)
                times.append(time.perf_counter() - began)
                found.append(len(page.hits))
        clock = FrozenClock(NOW)
        ledger = LedgerService(
            engine, clock, Ed25519Signer(LOG, bytes(range(32))), LOG, window_ms=0
        )
        reader = TrailReader(engine, ledger, clock, actor="bench_auditor")
        audited: list[float] = []
        try:
            for actor in picks[:20]:
                began = time.perf_counter()
                reader.query(make_filters(actor_id=actor, since=since, limit=50))
                audited.append(time.perf_counter() - began)
        finally:
            ledger.close()
        naive: list[float] = []
        naive_found = 0
        with engine.connect() as conn:
            for actor in picks[: args.naive_runs]:
                began = time.perf_counter()
                rows = conn.execute(NAIVE, {"log": LOG, "actor": actor, "since": since}).all()
                naive.append(time.perf_counter() - began)
                naive_found += len(rows)
    result = {
        "benchmark": "audit_query",
        "database": "postgresql",
        "events": args.events,
        "actors": args.actors,
        "partitions": partitions,
        "load_copy_s": round(load_s, 2),
        "index_build_s": round(index_s, 2),
        "index_rows_per_s": round(indexed / index_s),
        "query": "newest 50 events of one actor in the last 90 days",
        "mean_events_found": round(statistics.mean(found), 1),
        "indexed_query": ms(times),
        "audited_query": ms(audited),
        "peer_naive_scan": ms(naive),
        "naive_events_found_match": naive_found == sum(found[: args.naive_runs]),
        "speedup_p50": round(statistics.median(naive) / statistics.median(times)),
        "target": "10M events <= 100 ms (issue 8)",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
