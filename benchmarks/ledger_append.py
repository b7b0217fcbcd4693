"""Durable, Merkle-logged appends through the ledger's sequencer, on SQLite and PostgreSQL.

``--threads`` submitters (default 8) call ``Sequencer.append``; together they submit
``--events`` in total (default 200,000 per database), in calls of ``--per-call`` entries
(default 100; ``--per-call 1`` is one event per call), every entry ``--entry-bytes`` long (default
256, a typical audit event). An append returns once its entries, leaf hashes and Merkle nodes are
committed (SQLite ``synchronous=FULL`` in WAL mode; PostgreSQL ``synchronous_commit=on``).

Reports per database: events/s, the acknowledgement latency of each call (p50, p99, max ms), the
number of group commits, and at the end that the stored root equals the root recomputed from the
entries; then the rate of a full ``verify()`` (next to its peer: one in-memory SHA-256 per
entry over the same bytes, an upper bound) and the time of 200 inclusion proofs (each one
query) on the log just written. The peer, measured in the same run: a raw
PostgreSQL ``COPY`` of the same rows (entry, leaf hash, index, time: what the ledger stores per
event, without its nodes, locks or ordering) into a table of the same shape, in one binary COPY
and one commit; ``ratio_to_raw_copy`` is ours over it. For context, the same COPY cut into one
commit per ``threads × per-call`` rows (the most a group commit can hold when every submitter
waits for its acknowledgement), and ``ratio_to_raw_copy_in_batches``, ours over that: the
same-durability comparison. Last, the bulk-import path (``readiness audit append --bulk``: one
transaction, one binary COPY of entries and one of nodes, the tree built with a compact range)
on the same rows, and ``ratio_bulk_to_raw_copy``, its rate over the one-commit raw COPY.

Prints one JSON line. PostgreSQL comes from ``READINESS_TEST_PG_URL`` (default: the local
trust-auth server, database ``test``); each run gets a schema of its own, dropped afterwards.

    .venv/bin/python benchmarks/ledger_append.py
    .venv/bin/python benchmarks/ledger_append.py --events 50000 --per-call 1
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import threading
import time

import sqlalchemy as sa
from _audit_db import postgres_engine, sqlite_engine

from readiness._common.clock import SystemClock
from readiness.ledger.bulk import bulk_append
from readiness.ledger.core.merkle import leaf_hash, root_hash
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.sequencer import Sequencer
from readiness.ledger.service import LedgerService
from readiness.ledger.store import iter_entries

LOG = "bench.example/ledger"


def _entries(events: int, size: int) -> list[bytes]:
    pad = b"x" * size
    return [(f'{{"seq":{i},"pad":"'.encode() + pad)[:size] for i in range(events)]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_sequencer(engine: sa.Engine, args: argparse.Namespace) -> dict[str, object]:
    data = _entries(args.events, args.entry_bytes)
    calls = [data[i : i + args.per_call] for i in range(0, len(data), args.per_call)]
    latencies: list[float] = []
    batches = [0]

    def count(stage: str) -> None:
        if stage == "committed":
            batches[0] += 1

    sequencer = Sequencer(
        engine,
        LOG,
        SystemClock(),
        window_ms=args.window_ms,
        max_batch=args.max_batch,
        stage_hook=count,
    )
    sequencer.append([b"warm-up"])
    lock = threading.Lock()

    def submit(mine: list[list[bytes]]) -> None:
        local = []
        for call in mine:
            started = time.perf_counter()
            sequencer.append(call)
            local.append(time.perf_counter() - started)
        with lock:
            latencies.extend(local)

    pool = [
        threading.Thread(target=submit, args=(calls[t :: args.threads],))
        for t in range(args.threads)
    ]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    sequencer.close()
    signer = Ed25519Signer(LOG, bytes(32))
    service = LedgerService(engine, SystemClock(), signer, LOG)
    with engine.connect() as conn:
        recomputed = root_hash(leaf_hash(entry) for _, entry, _ in iter_entries(conn, LOG))
    service.checkpoint()
    verify_started = time.perf_counter()
    report = service.verify()
    verify_seconds = time.perf_counter() - verify_started
    # The verify peer: one SHA-256 per entry over the same bytes, in memory (no reads, no
    # interior nodes): an upper bound no verification from storage can pass.
    peer_started = time.perf_counter()
    for entry in [b"warm-up", *data]:
        hashlib.sha256(b"\x00" + entry).digest()
    peer_seconds = time.perf_counter() - peer_started
    size = service.size()
    proof_times = []
    for index in random.Random(7).sample(range(size), 200):
        proof_started = time.perf_counter()
        service.prove_inclusion(index)
        proof_times.append(time.perf_counter() - proof_started)
    return {
        "events": args.events,
        "seconds": round(elapsed, 3),
        "events_per_s": round(args.events / elapsed),
        "ack_ms_p50": round(_percentile(latencies, 0.50) * 1000, 2),
        "ack_ms_p99": round(_percentile(latencies, 0.99) * 1000, 2),
        "ack_ms_max": round(max(latencies) * 1000, 2),
        "group_commits": batches[0] - 1,
        "root_matches_entries": service.root() == recomputed,
        "verified": report.verified,
        "verify_events_per_s": round(size / verify_seconds),
        "verify_peer_sha256_events_per_s": round(size / peer_seconds),
        "inclusion_proof_ms_p50": round(_percentile(proof_times, 0.50) * 1000, 2),
        "inclusion_proof_ms_p99": round(_percentile(proof_times, 0.99) * 1000, 2),
    }


def run_raw_copy(engine: sa.Engine, args: argparse.Namespace, batch: int) -> dict[str, object]:
    """The peer: the same rows by binary COPY, ``batch`` rows per COPY and commit (hashes computed
    on the way); ``batch`` = all rows is raw COPY at its best."""
    data = _entries(args.events, args.entry_bytes)
    table = f"raw_entries_{batch}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {table} (LIKE ledger_entries INCLUDING ALL)"))
    at = SystemClock().now()
    started = time.perf_counter()
    for first in range(0, len(data), batch):
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            with (
                raw.cursor() as cursor,
                cursor.copy(
                    f"COPY {table} (log, leaf_index, entry, leaf_hash, appended_at) "
                    "FROM STDIN (FORMAT BINARY)"
                ) as copy,
            ):
                copy.set_types(["text", "int8", "bytea", "bytea", "timestamptz"])
                for index in range(first, min(first + batch, len(data))):
                    entry = data[index]
                    leaf = hashlib.sha256(b"\x00" + entry).digest()
                    copy.write_row((LOG, index, entry, leaf, at))
    elapsed = time.perf_counter() - started
    return {
        "rows_per_commit": min(batch, args.events),
        "seconds": round(elapsed, 3),
        "events_per_s": round(args.events / elapsed),
    }


def run_bulk(engine: sa.Engine, args: argparse.Namespace) -> dict[str, object]:
    """The bulk-import path (``readiness audit append --bulk``): the same rows, streamed into a
    log of their own in one transaction by binary COPY, leaf hashes and nodes computed on the
    way (:func:`readiness.ledger.bulk.bulk_append`); durable (one commit, fsynced) on return."""
    data = _entries(args.events, args.entry_bytes)
    log = LOG + "/bulk"
    started = time.perf_counter()
    done = bulk_append(engine, log, SystemClock(), data)
    elapsed = time.perf_counter() - started
    with engine.connect() as conn:
        stored = [value for _, _, value in iter_entries(conn, log)]
    service = LedgerService(engine, SystemClock(), Ed25519Signer(log, bytes(32)), log)
    try:
        root_ok = service.root() == root_hash(stored) == root_hash(leaf_hash(e) for e in data)
    finally:
        service.close()
    return {
        "events": done.count,
        "seconds": round(elapsed, 3),
        "events_per_s": round(args.events / elapsed),
        "root_matches": root_ok,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--per-call", type=int, default=100)
    parser.add_argument("--entry-bytes", type=int, default=256)
    parser.add_argument("--window-ms", type=float, default=2.0)
    parser.add_argument("--max-batch", type=int, default=8192)
    args = parser.parse_args()
    result: dict[str, object] = {
        "benchmark": "ledger_append",
        "threads": args.threads,
        "per_call": args.per_call,
        "entry_bytes": args.entry_bytes,
        "window_ms": args.window_ms,
    }
    with sqlite_engine() as engine:
        result["sqlite"] = run_sequencer(engine, args)
    with postgres_engine() as engine:
        ours = run_sequencer(engine, args)
        peer = run_raw_copy(engine, args, args.events)
        batched = run_raw_copy(engine, args, args.threads * args.per_call)
        bulk = run_bulk(engine, args)
    result["postgres"] = ours
    result["postgres_raw_copy"] = peer
    result["postgres_raw_copy_in_batches"] = batched
    result["postgres_bulk_import"] = bulk
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    result["ratio_bulk_to_raw_copy"] = round(
        float(str(bulk["events_per_s"])) / float(str(peer["events_per_s"])), 2
    )
    result["ratio_to_raw_copy"] = round(
        float(str(ours["events_per_s"])) / float(str(peer["events_per_s"])), 2
    )
    result["ratio_to_raw_copy_in_batches"] = round(
        float(str(ours["events_per_s"])) / float(str(batched["events_per_s"])), 2
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
