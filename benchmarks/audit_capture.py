"""The cost of the audit capture middleware on a small FastAPI app, in process.

``--requests`` audited requests (default 3,000; a read of a sensitive resource, which records
its fields) sent by ``--concurrency`` tasks (default 32) through httpx's ASGI transport to:
the app without the middleware (the peer), with the middleware and an in-memory sink, and with
the middleware, ``fail_closed=True`` and a durable ledger sink on SQLite (each request waits for
its event's group commit before its response is released). Prints one JSON line: requests/s and
p50/p99 latency (ms) of each.

    .venv/bin/python benchmarks/audit_capture.py
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import httpx
from fastapi import FastAPI

from readiness._common.clock import SystemClock
from readiness.audit.capture import AuditMiddleware, CapturePolicy, LedgerSink, RecordingSink
from readiness.audit.capture.context import current_audit
from readiness.audit.trail import open_ledger
from readiness.config import load_settings
from readiness.storage import open_stores

POLICY = CapturePolicy(
    sensitive_resources=frozenset({"patients"}),
    sensitive_fields={"patients": ("diagnosis",)},
)


def app(sink: Any | None) -> FastAPI:
    built = FastAPI()

    @built.get("/patients/{patient_id}")
    async def read(patient_id: str) -> dict[str, str]:
        audit = current_audit()
        if audit is not None:
            audit.set_actor("usr_bench", "employee")
        return {"id": patient_id, "diagnosis": "flu"}

    if sink is not None:
        built.add_middleware(AuditMiddleware, sink=sink, policy=POLICY, fail_closed=True)
    return built


async def drive(target: FastAPI, requests: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    transport = httpx.ASGITransport(app=target)
    client = httpx.AsyncClient(transport=transport, base_url="http://bench")

    async def worker(start: int) -> None:
        for i in range(start, requests, concurrency):
            began = time.perf_counter()
            response = await client.get(f"/patients/p{i}")
            latencies.append(time.perf_counter() - began)
            assert response.status_code == 200, response.text

    began = time.perf_counter()
    async with client, anyio.create_task_group() as group:
        for start in range(concurrency):
            group.start_soon(partial(worker, start))
    elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests_per_s": round(requests / elapsed),
        "p50_ms": round(cuts[49] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    result: dict[str, Any] = {"benchmark": "audit_capture", **vars(args)}
    run = partial(drive, requests=args.requests, concurrency=args.concurrency)
    result["no_middleware"] = anyio.run(run, app(None))
    memory = RecordingSink()
    result["middleware_memory_sink"] = anyio.run(run, app(memory))
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(Path(folder), environ={})
        stores = open_stores(settings)
        ledger = open_ledger(settings, stores.audit, SystemClock())
        try:
            result["middleware_ledger_sqlite_fail_closed"] = anyio.run(run, app(LedgerSink(ledger)))
            result["ledger_size"] = ledger.size()
        finally:
            ledger.close()
            stores.dispose()
    result["events_recorded_in_memory"] = len(memory.events)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
