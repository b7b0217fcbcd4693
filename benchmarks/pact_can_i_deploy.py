"""can-i-deploy on a large broker, on SQLite and PostgreSQL (issue 10's speed target: p95 ≤ 50 ms
with 200 pacticipants × 100 versions each).

Each pacticipant ``appN`` publishes a pact for ``app(N+1)`` at every version, every pact is
verified by the provider's same-numbered version, and every pacticipant's ``v99`` is deployed to
``prod``. The figure: p50/p95 of ``PactService.can_i_deploy`` (``--calls`` calls, default 60,
each for another pacticipant), the whole service call (SQL, snapshot, decision). The peer in
the same run: the same decision on the full (unscoped) snapshot, what a naive broker pays.

Prints one JSON line. PostgreSQL comes from ``READINESS_TEST_PG_URL``; a schema of its own,
dropped afterwards.

    .venv/bin/python benchmarks/pact_can_i_deploy.py
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.contracts.pact import core
from readiness.contracts.pact import tables as t
from readiness.contracts.pact.service import PactService
from readiness.projects.service import ProjectService
from readiness.storage.engine import Stores, create_engine_for
from readiness.storage.migrate import upgrade

PG_URL = os.environ.get(
    "READINESS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CLOCK = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))


@contextmanager
def _engine(backend: str) -> Iterator[sa.Engine]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            engine = create_engine_for(f"sqlite:///{Path(folder) / 'state.db'}")
            try:
                yield engine
            finally:
                engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = create_engine_for(url.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _fill(service: PactService, engine: sa.Engine, apps: int, versions: int) -> None:
    now = CLOCK.now()
    p = service.store.project
    with engine.begin() as c:
        c.execute(
            t.pacticipants.insert(),
            [{"project": p, "name": f"app{i}", "created_at": now} for i in range(apps)],
        )
        c.execute(
            t.versions.insert(),
            [
                {"project": p, "pacticipant": f"app{i}", "number": f"v{j}", "created_at": now}
                for i in range(apps)
                for j in range(versions)
            ],
        )
        ids = {
            (r.pacticipant, r.number): r.id
            for r in c.execute(
                sa.select(t.versions.c.id, t.versions.c.pacticipant, t.versions.c.number)
            )
        }
        c.execute(
            t.contents.insert(),
            [
                {"project": p, "sha": f"sha{i}-{j}", "content": "{}"}
                for i in range(apps)
                for j in range(versions)
            ],
        )
        c.execute(
            t.pacts.insert(),
            [
                {
                    "project": p,
                    "consumer_version_id": ids[(f"app{i}", f"v{j}")],
                    "provider": f"app{(i + 1) % apps}",
                    "sha": f"sha{i}-{j}",
                    "created_at": now,
                }
                for i in range(apps)
                for j in range(versions)
            ],
        )
        c.execute(
            t.verifications.insert(),
            [
                {
                    "project": p,
                    "consumer": f"app{i}",
                    "provider": f"app{(i + 1) % apps}",
                    "sha": f"sha{i}-{j}",
                    "provider_version_id": ids[(f"app{(i + 1) % apps}", f"v{j}")],
                    "success": True,
                    "body": "{}",
                    "created_at": now,
                }
                for i in range(apps)
                for j in range(versions)
            ],
        )
    service.create_environment("prod")
    for i in range(apps):
        service.record(f"app{i}", f"v{versions - 1}", "prod")
    if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
        with engine.begin() as c:
            c.execute(sa.text("ANALYZE"))


def _percentiles(call: Callable[[int], object], calls: int) -> dict[str, float]:
    times = []
    for k in range(calls):
        start = time.perf_counter()
        call(k)
        times.append(time.perf_counter() - start)
    times.sort()
    return {
        "p50_ms": round(times[len(times) // 2] * 1000, 1),
        "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))] * 1000, 1),
    }


def measure(backend: str, apps: int, versions: int, calls: int) -> dict[str, object]:
    with _engine(backend) as engine:
        upgrade("state", engine)
        stores = Stores(state=engine, audit=engine)
        ProjectService(stores=stores, clock=CLOCK, actor="bench").ensure("bench")
        service = PactService(stores, CLOCK, "bench")
        _fill(service, engine, apps, versions)
        last = f"v{versions - 1}"
        assert service.can_i_deploy("app0", last, "prod").deployable

        def scoped(k: int) -> object:
            return service.can_i_deploy(f"app{k % apps}", last, "prod")

        def naive(k: int) -> object:
            return core.can_i_deploy(service.snapshot(), f"app{k % apps}", last, "prod")

        return {
            "can_i_deploy": _percentiles(scoped, calls),
            "peer_full_snapshot": _percentiles(naive, max(5, calls // 10)),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    out: dict[str, object] = {
        "benchmark": "pact_can_i_deploy",
        "apps": args.apps,
        "versions": args.versions,
        "target_p95_ms": 50,
    }
    for backend in args.backends.split(","):
        out[backend] = measure(backend, args.apps, args.versions, args.calls)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
