"""Platform audit events through the outbox into the ledger, on SQLite and PostgreSQL.

Two figures per database, each event a real platform event (``record`` on the state
transaction of a one-row change, then the relay):

- ``per_change``: ``--changes`` state changes (default 500), each its own transaction with its
  outbox row, each followed by the after-commit relay, from ``--threads`` writers (default 8):
  what tokens, quarantine edits and ingests pay. Events/s and the p50/p99 of one change
  (commit plus relay) in ms.
- ``backlog``: ``--backlog`` rows (default 20,000) committed while no relay runs, then one
  relay moving them all: what a relay catching up after an outage does. Events/s.

The peer, in the same run: the same state changes with no audit event at all (``no_audit``),
so the cost of atomic auditing is the difference. At the end each database's log verifies and
holds every event once.

Prints one JSON line. PostgreSQL comes from ``READINESS_TEST_PG_URL``; each run gets a schema
of its own, dropped afterwards.

    .venv/bin/python benchmarks/audit_outbox.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from readiness._common.clock import SystemClock
from readiness.audit.outbox.service import record, relay_after_commit, relay_pending
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.verify import verify_log
from readiness.storage.engine import Stores, create_engine_for
from readiness.storage.migrate import upgrade_all

PG_URL = os.environ.get(
    "READINESS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ORIGIN = "bench.example/audit"
CLOCK = SystemClock()
_things = sa.table("bench_things", sa.column("id", sa.Integer()), sa.column("name", sa.String()))


@contextmanager
def sqlite_stores() -> Iterator[Stores]:
    with tempfile.TemporaryDirectory() as folder:
        stores = Stores(
            create_engine_for(f"sqlite:///{Path(folder) / 'state.db'}"),
            create_engine_for(f"sqlite:///{Path(folder) / 'audit.db'}"),
            ORIGIN,
        )
        try:
            upgrade_all(stores)
            yield stores
        finally:
            stores.dispose()


@contextmanager
def postgres_stores() -> Iterator[Stores]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    text = url.render_as_string(hide_password=False)
    stores = Stores(create_engine_for(text), create_engine_for(text), ORIGIN)
    try:
        upgrade_all(stores)
        yield stores
    finally:
        stores.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _change(stores: Stores, name: str, *, audited: bool) -> None:
    with stores.state.begin() as conn:
        conn.execute(_things.insert().values(name=name))
        if audited:
            record(
                conn,
                clock=CLOCK,
                actor="bench",
                action="bench.thing.create",
                target_type="thing",
                target_id=name,
                details={"name": name},
            )


def _writers(stores: Stores, changes: int, threads: int, *, audited: bool) -> dict[str, float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        for i in range(worker, changes, threads):
            start = time.perf_counter()
            _change(stores, f"w{worker}-{i}-{audited}", audited=audited)
            if audited:
                relay_after_commit(stores, CLOCK)
            with lock:
                latencies.append(time.perf_counter() - start)

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    began = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "events_per_s": round(changes / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
    }


def _backlog(stores: Stores, rows: int) -> dict[str, float]:
    with stores.state.begin() as conn:
        for i in range(rows):
            record(
                conn,
                clock=CLOCK,
                actor="bench",
                action="bench.thing.create",
                target_type="thing",
                target_id=f"b{i}",
                details={"n": i},
            )
    began = time.perf_counter()
    moved = relay_pending(stores, CLOCK)
    elapsed = time.perf_counter() - began
    assert moved == rows
    return {"events": rows, "events_per_s": round(rows / elapsed, 1)}


def measure(stores: Stores, args: argparse.Namespace) -> dict[str, object]:
    key = "SERIAL" if stores.state.dialect.name == "postgresql" else "INTEGER"
    with stores.state.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE bench_things (id {key} PRIMARY KEY, name TEXT)"))
    peer = _writers(stores, args.changes, args.threads, audited=False)
    ours = _writers(stores, args.changes, args.threads, audited=True)
    backlog = _backlog(stores, args.backlog)
    report = verify_log(stores.audit, ORIGIN, Ed25519Signer(ORIGIN, bytes(32)).verifier)
    assert report.errors == [], report.errors
    assert report.size == args.changes + args.backlog
    return {"per_change": ours, "no_audit": peer, "backlog": backlog, "log_size": report.size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--backlog", type=int, default=20_000)
    args = parser.parse_args()
    out: dict[str, object] = {"benchmark": "audit_outbox", "threads": args.threads}
    with sqlite_stores() as stores:
        out["sqlite"] = measure(stores, args)
    with postgres_stores() as stores:
        out["postgresql"] = measure(stores, args)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
