"""How long a month roll-over holds a log's appends back on PostgreSQL, on an open partition of
``--size`` entries (default 1,000,000).

Setup (not timed): a log of ``--size`` entries is loaded into its open month partition by
binary ``COPY`` (one transaction; the bodies are 64-byte lines, as in ``ledger_proofs.py``).

Timed, each in its own transaction, rolled back so the next starts from the same layout:

- ``scan_under_lock_ms``: what the roll-over did before (and still does for a small partition
  or a bulk import): detach the partition and re-attach it bounded at the log's size, which
  PostgreSQL checks with one scan of the partition, under the log's write lock;
- ``cut_ms``: the new roll-over's first step under the lock (the ``NOT VALID`` cut constraint);
- ``validate_ms``: its second step, outside the lock (``VALIDATE CONSTRAINT``: appends go on);
- ``finish_ms``: its last step under the lock (detach, re-attach without a scan, create the
  next month's partition), measured after the validation was committed.

The peer is the first line: the same scan, under the same lock. Prints one JSON line.

    uv run --frozen python benchmarks/ledger_rollover.py --size 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from _audit_db import postgres_engine
from ledger_proofs import LOG, build

from readiness.ledger import partitions


def _timed(engine: sa.Engine, step: Callable[[sa.Connection], object], *, keep: bool) -> float:
    with engine.connect() as conn:
        conn.begin()
        started = time.perf_counter()
        step(conn)
        elapsed = time.perf_counter() - started
        if keep:
            conn.commit()
        else:
            conn.rollback()
    return round(elapsed * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()
    now = datetime.now(UTC)
    month = partitions.month_of(now)
    following = (month[0] + 1, 1) if month[1] == 12 else (month[0], month[1] + 1)
    size, end = args.size, args.size + 100
    with postgres_engine() as engine:
        build_s, _ = build(engine, size)  # into the open partition of this month
        with engine.connect() as conn:
            [part] = partitions.list_partitions(conn, LOG)

        def scan(conn: sa.Connection) -> None:  # the old roll-over: exact cut, in line
            partitions.ensure_month(conn, LOG, following, size, now)

        def cut(conn: sa.Connection) -> None:
            opened = partitions.ensure_month(conn, LOG, following, size, now, end, exact_below=0)
            assert opened.cut_pending

        figures = {
            "scan_under_lock_ms": _timed(engine, scan, keep=False),
            "cut_ms": _timed(engine, cut, keep=True),
            "validate_ms": _timed(
                engine, lambda conn: partitions.validate_cut(conn, LOG), keep=True
            ),
            "finish_ms": _timed(
                engine,
                lambda conn: partitions.ensure_month(
                    conn, LOG, following, size, now, end, exact_below=0
                ),
                keep=True,
            ),
        }
        with engine.connect() as conn:
            layout = [(p.first_leaf, p.end) for p in partitions.list_partitions(conn, LOG)]
    assert layout == [(0, end + partitions.CUT_MARGIN), (end + partitions.CUT_MARGIN, None)]
    print(
        json.dumps(
            {
                "benchmark": "ledger_rollover",
                "database": "postgres",
                "partition_entries": size,
                "partition": part.name,
                "build_s": round(build_s, 1),
                **figures,
                "load_average_1m": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
