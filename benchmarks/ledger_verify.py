"""Full ``verify()`` of a stored log, in this process alone and with a forked child verifying
the far half (``readiness.ledger.verify.FORK_MIN``), alternately, on SQLite and PostgreSQL.

Appends ``--events`` entries (default 200,000, ``--entry-bytes`` 256) through the sequencer in
batches of 1,000, signs a checkpoint, then runs ``--rounds`` pairs (default 3) of a serial and
a forked verification and prints one JSON line: the events/s and CPU seconds of each run, per
database, and whether the C accelerator hashed (``READINESS_PURE_PYTHON=1``: hashlib). The
peer on PostgreSQL, in each round: a raw binary ``COPY`` out of the same rows (bytes counted,
nothing parsed or hashed), the server's output rate.

    .venv/bin/python benchmarks/ledger_verify.py
    .venv/bin/python benchmarks/ledger_verify.py --events 400000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

import sqlalchemy as sa
from _audit_db import postgres_engine, sqlite_engine

from readiness._common.clock import SystemClock
from readiness.ledger import verify
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.sequencer import Sequencer
from readiness.ledger.service import LedgerService

LOG = "bench.example/ledger"


def _measure(service: LedgerService, size: int, fork_min: int) -> tuple[int, float]:
    """Events/s of one full verification, and the CPU seconds it took in this process (every
    thread) and in a forked child."""
    saved = verify.FORK_MIN
    verify.FORK_MIN = fork_min
    try:
        cpu = time.process_time() + _children_cpu()
        started = time.perf_counter()
        report = service.verify()
        seconds = time.perf_counter() - started
        cpu = time.process_time() + _children_cpu() - cpu
    finally:
        verify.FORK_MIN = saved
    assert report.verified, report.errors
    return round(size / seconds), round(cpu, 3)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(engine: sa.Engine, args: argparse.Namespace) -> dict[str, object]:
    pad = b"x" * args.entry_bytes
    sequencer = Sequencer(engine, LOG, SystemClock(), window_ms=0, max_batch=1000)
    for start in range(0, args.events, 1000):
        count = min(1000, args.events - start)
        sequencer.append(
            [
                (f'{{"seq":{start + i},"pad":"'.encode() + pad)[: args.entry_bytes]
                for i in range(count)
            ]
        )
    sequencer.close()
    service = LedgerService(engine, SystemClock(), Ed25519Signer(LOG, bytes(32)), LOG)
    try:
        service.checkpoint()
        serial, forked, peer = [], [], []
        for _ in range(args.rounds):
            serial.append(_measure(service, args.events, 2**62))
            forked.append(_measure(service, args.events, 0))
            if engine.dialect.name == "postgresql":
                peer.append(_copy_out(engine, args.events))
    finally:
        service.close()
    found: dict[str, object] = {
        "events": args.events,
        "serial_events_per_s": [rate for rate, _ in serial],
        "serial_cpu_s": [cpu for _, cpu in serial],
        "forked_events_per_s": [rate for rate, _ in forked],
        "forked_cpu_s": [cpu for _, cpu in forked],
    }
    if peer:
        found["peer_raw_copy_out_rows_per_s"] = peer
    return found


def _copy_out(engine: sa.Engine, size: int) -> int:
    """The peer on PostgreSQL: the rows verify reads, as one binary ``COPY ... TO STDOUT``
    whose bytes are only counted (no parsing, no hashing): the server's output rate, the
    ceiling of any verification that reads every entry from it."""
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        started = time.perf_counter()
        with (
            driver.cursor() as cursor,
            cursor.copy(
                "COPY (SELECT leaf_index, entry, leaf_hash FROM ledger_entries WHERE log = %s "
                "ORDER BY leaf_index) TO STDOUT (FORMAT BINARY)",
                [LOG],
            ) as copy,
        ):
            for _ in copy:
                pass
        seconds = time.perf_counter() - started
        driver.rollback()
    return round(size / seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--entry-bytes", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    result: dict[str, object] = {
        "load_average": round(os.getloadavg()[0], 2),
        "hashing": "hashlib" if verify._speedups is None else "accelerator",
    }
    if args.only != "postgresql":
        with sqlite_engine() as engine:
            result["sqlite"] = run(engine, args)
    if args.only != "sqlite":
        with postgres_engine() as engine:
            result["postgresql"] = run(engine, args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
