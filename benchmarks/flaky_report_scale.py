"""Do the flaky report and the merge gate stay bounded by the detection window as history grows?

A central server keeps months of history. For each size this loads a history into a fresh
PostgreSQL schema with COPY (tests × runs results: most pass, 1% of the tests are flaky, a few
are broken, every fifth run is on a feature branch), then times, through the same service
calls as the CLI, ``tests flaky`` (``TestHealthService.flaky``) and ``gate merge`` (head: the
newest run's commit, base: the tenth newest). Next to them, the peer in the same run: one
whole-history ``GROUP BY test`` over ``th_results`` — what the report's main aggregate cost
before it read only the window. Prints one JSON line.

The default sizes keep the tests and grow the history tenfold (1M and 10M results; the window,
50 default-branch runs and the feature-branch runs since, is the same), then add the wide
shape of the issue (50k tests × 200 runs). PostgreSQL comes from ``READINESS_TEST_PG_URL``
(default: the local trust-auth server, database ``test``); each size gets a schema of its own,
dropped afterwards.

    .venv/bin/python benchmarks/flaky_report_scale.py
    .venv/bin/python benchmarks/flaky_report_scale.py --sizes 5000x200 5000x2000
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.config import Settings, load_settings
from readiness.gate.model import Gate
from readiness.gate.service import run_gate_for
from readiness.storage.engine import Stores, create_engine_for
from readiness.storage.migrate import upgrade_all
from readiness.storage.projects import ensure_project
from readiness.testhealth.model import TestStatus
from readiness.testhealth.service import TestHealthService
from readiness.testhealth.store.tables import runs

PG_URL = os.environ.get(
    "READINESS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PROJECT = "bench"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
FLAKY_SHARE = 0.01  # of the tests, failing 5% of their runs
FLAKE_RATE = 0.05
BROKEN = 5  # tests failing every run of the last 8 default-branch runs
FEATURE_EVERY = 5  # every fifth run is on a feature branch
RESULT_COLS = "run_id, test_id, attempt, outcome, duration_s, failure_kind, message, fingerprint"


@contextmanager
def schema_url() -> Iterator[str]:
    """The URL of a fresh schema of the benchmark database, dropped afterwards."""
    schema = f"bench_scale_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def load(engine: sa.Engine, n_tests: int, n_runs: int, seed: int) -> dict[str, Any]:
    """Write the history with COPY; returns what the measurement needs to know about it."""
    rng = random.Random(seed)
    flaky = set(rng.sample(range(n_tests), max(1, int(n_tests * FLAKY_SHARE))))
    broken = set(rng.sample(sorted(set(range(n_tests)) - flaky), BROKEN))
    ensure_project(engine, PROJECT, at=T0, by="benchmark")
    run_rows = []
    default_runs = [r for r in range(n_runs) if r % FEATURE_EVERY != FEATURE_EVERY - 1]
    broken_from = default_runs[-8]
    for r in range(n_runs):
        at = T0 + timedelta(hours=r)
        run_rows.append(
            {"id": r + 1, "project": PROJECT, "run_key": f"run-{r}", "ci_run_id": f"ci-{r}",
             "attempt": 1, "commit_sha": f"{r:040x}", "tree_sha": None,
             "branch": "main" if r in default_runs else f"feature/{r}", "started_at": at,
             "ingested_at": at, "source": "bench", "source_digest": "0" * 64, "format": "junit",
             "tags": {}, "total": n_tests, "failed": 0, "skipped": 0, "reruns": 0,
             "duration_s": 300.0, "infra_failure": False}
        )  # fmt: skip
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(runs.insert(), run_rows)
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cur:
            tests_copy = "COPY th_tests (id, project, test_key, first_seen) FROM STDIN"
            with cur.copy(tests_copy) as cp:
                for t in range(n_tests):
                    cp.write_row((t + 1, PROJECT, f"tests/test_m{t // 50}.py::test_{t}", T0))
            passed = [f"\t{t + 1}\t0\t0\t0.0{t % 10}\t\\N\t\\N\t\\N\n" for t in range(n_tests)]
            failed = [
                f"\t{t + 1}\t0\t1\t0.0{t % 10}\tassertion\tAssertionError: boom\tfp{t % 7}\n"
                for t in range(n_tests)
            ]
            with cur.copy(f"COPY th_results ({RESULT_COLS}) FROM STDIN") as cp:
                for r in range(n_runs):
                    failing = {t for t in flaky if rng.random() < FLAKE_RATE}
                    if r >= broken_from:
                        failing |= broken
                    prefix = str(r + 1)
                    buf = io.StringIO()
                    for t in range(n_tests):
                        buf.write(prefix)
                        buf.write(failed[t] if t in failing else passed[t])
                    cp.write(buf.getvalue())
    # A server's older history has long been vacuumed (hint bits set, visibility map current);
    # without this the first reads after a bulk load rewrite every page they touch.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM (ANALYZE) th_results, th_runs, th_tests"))
    return {
        "load_seconds": round(time.perf_counter() - start, 1),
        "head": f"{n_runs - 1:040x}",
        "base": f"{n_runs - 10:040x}",
        "now": T0 + timedelta(hours=n_runs + 1),
    }


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(best seconds, first seconds, last result) of ``repeat`` calls."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return round(min(times), 3), round(times[0], 3), result


def history_scan(engine: sa.Engine) -> None:
    """The peer: one aggregate over every result kept (the report's old main query shape)."""
    q = sa.text(
        "SELECT test_id, count(*), sum(CASE WHEN outcome IN (1, 2) THEN 1 ELSE 0 END) "
        "FROM th_results WHERE attempt = 0 GROUP BY test_id"
    )
    with engine.connect() as conn:
        conn.execute(q).all()


def measure(url: str, n_tests: int, n_runs: int, seed: int, repeat: int) -> dict[str, Any]:
    engine = create_engine_for(url)
    stores = Stores(state=engine, audit=engine)
    try:
        upgrade_all(stores)
        history = load(engine, n_tests, n_runs, seed)
        with tempfile.TemporaryDirectory() as tmp:
            settings: Settings = load_settings(
                Path(tmp),
                environ={},
                overrides={"state_url": url, "audit_url": url, "project": PROJECT},
            )
            clock = FrozenClock(history["now"])
            service = TestHealthService(settings=settings, stores=stores, clock=clock)
            report_s, report_first, found = best_of(repeat, service.flaky)
            gate_s, gate_first, gate = best_of(
                repeat,
                lambda: run_gate_for(
                    Gate.MERGE,
                    settings=settings,
                    clock=clock,
                    base=history["base"],
                    head=history["head"],
                    timer=time.perf_counter,
                ),
            )
        scan_s, _, _ = best_of(repeat, lambda: history_scan(engine))
    finally:
        engine.dispose()
    statuses = [h.status for h in found]
    return {
        "tests": n_tests,
        "runs": n_runs,
        "results": n_tests * n_runs,
        "load_seconds": history["load_seconds"],
        "flaky_report_seconds": report_s,
        "flaky_report_first_seconds": report_first,
        "merge_gate_seconds": gate_s,
        "merge_gate_first_seconds": gate_first,
        "peer_history_scan_seconds": scan_s,
        "listed": len(found),
        "broken": statuses.count(TestStatus.BROKEN),
        "flaky": statuses.count(TestStatus.FLAKY),
        "gate": {o.id: o.result.status.value for o in gate.outcomes},
    }


def _size(text: str) -> tuple[int, int]:
    tests, _, runs_ = text.lower().partition("x")
    return int(tests), int(runs_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=_size,
        default=[(5000, 200), (5000, 2000), (50_000, 200)],
        metavar="TESTSxRUNS",
        help="histories to load (default: 5000x200 5000x2000 50000x200)",
    )
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = []
    for n_tests, n_runs in args.sizes:
        with schema_url() as url:
            sizes.append(measure(url, n_tests, n_runs, args.seed, args.repeat))
    print(
        json.dumps(
            {
                "benchmark": "flaky_report_scale",
                "database": "postgresql",
                "window_runs": 50,
                "sizes": sizes,
            }
        )
    )


if __name__ == "__main__":
    main()
