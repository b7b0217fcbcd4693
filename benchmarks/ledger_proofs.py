"""Inclusion proofs on a large stored log (default 10,000,000 events) on PostgreSQL.

Setup (not timed in the figures, reported as ``build_s``): a log of ``--size`` entries is
bulk-loaded into a fresh schema: entry ``i`` is a 64-byte JSON-like line, its RFC 9162 leaf hash
and its interior nodes are computed with :class:`readiness.ledger.core.compact.CompactRange`
(exactly the nodes the sequencer stores: levels ``MIN_STORED_LEVEL`` and above) and written by
binary ``COPY`` straight into ``ledger_entries`` and ``ledger_nodes`` (primary keys rebuilt
after the load). Then a checkpoint is signed, and the stored root is checked against the one the
compact range computed.

Timed: ``--proofs`` inclusion proofs (default 1,000) of seeded random indices through
``LedgerService.prove_inclusion`` (the log's size and every node of the path and of the root
that the service has not cached, in one query), each verified against the root; p50/p99/max
milliseconds.
The peer, in the same run and in the same loop: the floor of any database-backed proof, one
primary-key lookup of the same event's leaf hash through the same engine (a pooled connection
in autocommit: the pool's ping and one statement), and the same lookup on one connection held
for the whole run (one statement, no ping: what a proof sends when its service kept a
connection, :class:`readiness.ledger.reads.ReadConnections`). The service keeps its stored
nodes between proofs (:class:`readiness.ledger.reads.NodeCache`, default bound): the JSON gives
how many it held at the end and its hits and misses (leaf hashes, never cached, count as
misses). In the same loop, the proof of the same index by a service that keeps neither nodes
nor connections (``cached_nodes=0, kept_connections=0``: what a proof did before).

``--database sqlite`` builds the same log in a temporary SQLite file (``executemany``) instead.

Prints one JSON line. PostgreSQL comes from ``READINESS_TEST_PG_URL`` (default: the local
trust-auth server, database ``test``); the schema is dropped afterwards unless ``--keep``.

    .venv/bin/python benchmarks/ledger_proofs.py                 # 10M events (minutes to build)
    .venv/bin/python benchmarks/ledger_proofs.py --size 1000000
    .venv/bin/python benchmarks/ledger_proofs.py --database sqlite --size 1000000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import struct
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from _audit_db import open_partition, postgres_engine, sqlite_engine

from readiness._common.clock import SystemClock
from readiness.ledger.core.compact import CompactRange
from readiness.ledger.core.merkle import verify_inclusion
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.service import LedgerService
from readiness.ledger.store import MIN_STORED_LEVEL

LOG = "bench.example/proofs"
CHUNK = 1 << 18
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _entry(i: int) -> bytes:
    return f'{{"seq":{i:012d},"action":"bench.append","actor":"u:{i % 977:05d}"}}'.encode()[:64]


def _entries_copy(start: int, entries: list[bytes], leaves: list[bytes], stamp: int) -> bytes:
    log = LOG.encode()
    head = struct.pack("!hi", 5, len(log)) + log
    tail = struct.pack("!iq", 8, stamp)
    row = struct.Struct("!iqi").pack
    parts = [_COPY_HEADER]
    for offset, (entry, leaf) in enumerate(zip(entries, leaves, strict=True)):
        parts += (head, row(8, start + offset, len(entry)), entry, b"\x00\x00\x00\x20", leaf, tail)
    parts.append(_COPY_TRAILER)
    return b"".join(parts)


def _nodes_copy(nodes: list[tuple[tuple[int, int], bytes]]) -> bytes:
    log = LOG.encode()
    head = struct.pack("!hi", 4, len(log)) + log
    row = struct.Struct("!ihiqi").pack
    parts = [_COPY_HEADER]
    for (level, index), value in nodes:
        parts += (head, row(2, level, 8, index, 32), value)
    parts.append(_COPY_TRAILER)
    return b"".join(parts)


def build(engine: sa.Engine, size: int) -> tuple[float, bytes]:
    """Bulk-load a log of ``size`` entries; return the seconds it took and its root."""
    started = time.perf_counter()
    now = SystemClock().now()
    stamp = (now - _PG_EPOCH) // timedelta(microseconds=1)
    tree = CompactRange()
    sha = hashlib.sha256
    open_partition(engine, LOG, now)
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        driver.execute("SET synchronous_commit = off")  # setup only; the proofs only read
        driver.execute("ALTER TABLE ledger_entries DROP CONSTRAINT pk_ledger_entries")
        driver.execute("ALTER TABLE ledger_nodes DROP CONSTRAINT pk_ledger_nodes")
        driver.commit()
        for first in range(0, size, CHUNK):
            entries = [_entry(i) for i in range(first, min(size, first + CHUNK))]
            leaves = [sha(b"\x00" + entry).digest() for entry in entries]
            nodes = tree.extend(leaves, from_level=MIN_STORED_LEVEL)
            with driver.cursor() as cursor:
                with cursor.copy(
                    "COPY ledger_entries (log, leaf_index, entry, leaf_hash, appended_at) "
                    "FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.write(_entries_copy(first, entries, leaves, stamp))
                with cursor.copy(
                    "COPY ledger_nodes (log, level, node_index, hash) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.write(_nodes_copy(nodes))
            driver.commit()
        driver.execute(
            "ALTER TABLE ledger_entries ADD CONSTRAINT pk_ledger_entries "
            "PRIMARY KEY (log, leaf_index)"
        )
        driver.execute(
            "ALTER TABLE ledger_nodes ADD CONSTRAINT pk_ledger_nodes "
            "PRIMARY KEY (log, level, node_index)"
        )
        driver.execute("ANALYZE ledger_entries")
        driver.execute("ANALYZE ledger_nodes")
        driver.commit()
    return time.perf_counter() - started, tree.root()


def build_sqlite(engine: sa.Engine, size: int) -> tuple[float, bytes]:
    """The same log on SQLite: ``executemany`` per chunk, one transaction (setup only: the
    file is thrown away, so ``synchronous=OFF``)."""
    started = time.perf_counter()
    stamp = SystemClock().now().strftime("%Y-%m-%d %H:%M:%S.%f")
    tree = CompactRange()
    sha = hashlib.sha256
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA synchronous=OFF")
        cursor = raw.cursor()
        for first in range(0, size, CHUNK):
            entries = [_entry(i) for i in range(first, min(size, first + CHUNK))]
            leaves = [sha(b"\x00" + entry).digest() for entry in entries]
            nodes = tree.extend(leaves, from_level=MIN_STORED_LEVEL)
            cursor.executemany(
                "INSERT INTO ledger_entries (log, leaf_index, entry, leaf_hash, appended_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (LOG, first + offset, entry, leaf, stamp)
                    for offset, (entry, leaf) in enumerate(zip(entries, leaves, strict=True))
                ],
            )
            cursor.executemany(
                "INSERT INTO ledger_nodes (log, level, node_index, hash) VALUES (?, ?, ?, ?)",
                [(LOG, level, index, value) for (level, index), value in nodes],
            )
        raw.commit()
    return time.perf_counter() - started, tree.root()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _ms(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(_percentile(values, 0.50) * 1000, 3),
        "p99": round(_percentile(values, 0.99) * 1000, 3),
        "max": round(max(values) * 1000, 3),
    }


def _prove(service: LedgerService, index: int) -> float:
    started = time.perf_counter()
    proof = service.prove_inclusion(index)
    verify_inclusion(index, proof.size, proof.leaf_hash, list(proof.path), proof.root)
    return time.perf_counter() - started


def measure(engine: sa.Engine, size: int, count: int, seed: int) -> dict[str, object]:
    signer = Ed25519Signer(LOG, bytes(32))
    service = LedgerService(engine, SystemClock(), signer, LOG)
    uncached = LedgerService(engine, SystemClock(), signer, LOG, cached_nodes=0, kept_connections=0)
    service.checkpoint()
    rng = random.Random(seed)
    timings: dict[str, list[float]] = {name: [] for name in ("ours", "uncached", "peer", "held")}
    lookup = sa.text("SELECT leaf_hash FROM ledger_entries WHERE log = :log AND leaf_index = :i")
    for _ in range(10):  # warm the pool and the plans
        service.prove_inclusion(rng.randrange(size))
        uncached.prove_inclusion(rng.randrange(size))
    held = engine.connect()
    if engine.dialect.name == "postgresql":
        held = held.execution_options(isolation_level="AUTOCOMMIT")
    with held:
        for _ in range(count):
            index = rng.randrange(size)
            timings["ours"].append(_prove(service, index))
            timings["uncached"].append(_prove(uncached, index))
            started = time.perf_counter()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(lookup, {"log": LOG, "i": index}).scalar_one()
            timings["peer"].append(time.perf_counter() - started)
            started = time.perf_counter()
            held.execute(lookup, {"log": LOG, "i": index}).scalar_one()
            timings["held"].append(time.perf_counter() - started)
    cache = service.node_cache
    service.close()
    uncached.close()
    return {
        "inclusion_proof_ms": _ms(timings["ours"]),
        "uncached_pinged_proof_ms": _ms(timings["uncached"]),
        "peer_pk_lookup_ms": _ms(timings["peer"]),
        "peer_held_connection_pk_lookup_ms": _ms(timings["held"]),
        "cached_nodes": len(cache),
        "cache_hits": cache.hits,
        "cache_misses": cache.misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--proofs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--keep", action="store_true", help="keep the schema (named on stderr)")
    parser.add_argument("--schema", help="measure on a schema an earlier --keep run built")
    args = parser.parse_args()
    sqlite = args.database == "sqlite"
    with (
        sqlite_engine() if sqlite else postgres_engine(keep=args.keep, reuse=args.schema) as engine
    ):
        service = LedgerService(engine, SystemClock(), Ed25519Signer(LOG, bytes(32)), LOG)
        if args.schema and not sqlite:
            build_s, root = 0.0, service.root()
            args.size = service.size()
        else:
            build_s, root = (build_sqlite if sqlite else build)(engine, args.size)
        stored_root = service.root()
        timings = measure(engine, args.size, args.proofs, args.seed)
    print(
        json.dumps(
            {
                "benchmark": "ledger_proofs",
                "database": args.database,
                "size": args.size,
                "build_s": round(build_s, 1),
                "root_matches_compact_range": stored_root == root,
                "proofs": args.proofs,
                **timings,
                "load_average_1m": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
