"""Flaky report over 1M results (10k tests x 100 runs) on SQLite and PostgreSQL.

Generates a seeded history whose per-test flake rates are sampled from FlakeFlagger
(``NumFailingRuns / 10000`` of its flaky tests), plus broken tests, one infrastructure-failure
run and one co-failing outage, bulk-inserts it, then times ``load_evidence`` + ``assess``.
Prints one JSON line. There is no external peer for this measurement.

    .venv/bin/python benchmarks/flaky_report.py [--tests 10000] [--runs 100] [--no-postgres]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from readiness.config import TestHealthSettings
from readiness.storage.engine import Stores, create_engine_for
from readiness.storage.migrate import upgrade_all
from readiness.testhealth.detection import rules, suite
from readiness.testhealth.model import TestStatus
from readiness.testhealth.store import evidence as queries
from readiness.testhealth.store import history as history_queries

FLAKEFLAGGER = Path("/work/shared/data/flakeflagger/test_results.csv")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
RESULT_COLS = ("run_id", "test_id", "attempt", "outcome", "duration_s", "failure_kind",
               "message", "fingerprint", "quarantined")  # fmt: skip


def flake_rates() -> list[float]:
    """One rate per FlakeFlagger test: 0 for stable tests, failing share for flaky ones."""
    with FLAKEFLAGGER.open(newline="") as fh:
        return [
            int(r["NumFailingRuns"]) / 10000 if r["IsFlaky"] == "1" else 0.0
            for r in csv.DictReader(fh)
        ]


def generate(n_tests: int, n_runs: int, seed: int) -> dict[str, Any]:
    """Rows for th_runs, th_tests and th_results, and the truth about each test."""
    rng = random.Random(seed)
    pool = flake_rates()
    rates = [rng.choice(pool) for _ in range(n_tests)]
    broken = set(rng.sample(range(n_tests), 10))
    for t in broken:
        rates[t] = 0.0
    outage_tests = rng.sample([t for t in range(n_tests) if t not in broken and not rates[t]], 40)
    outage_runs = set(rng.sample(range(n_runs // 2, n_runs), 3))
    infra_run = n_runs // 3
    tests_rows = [
        {"id": t + 1, "project": "bench", "test_key": f"tests/test_m{t // 50}.py::test_{t}",
         "first_seen": T0}
        for t in range(n_tests)
    ]  # fmt: skip
    runs_rows: list[dict[str, Any]] = []
    results_rows: list[tuple[Any, ...]] = []
    commit = 0
    for r in range(n_runs):
        retry = r > 0 and rng.random() < 0.2  # CI re-triggered on the same commit
        commit += 0 if retry else 1
        failed = reruns = 0
        for t in range(n_tests):
            dur = 0.01 + (t % 97) * 0.002
            if r == infra_run:
                outcome = 1
            elif t in broken:
                outcome = 1 if r >= n_runs - 8 else 0
            elif r in outage_runs and t in outage_tests:
                outcome = 1
            else:
                outcome = 1 if rates[t] and rng.random() < rates[t] else 0
            if outcome:
                failed += 1
                results_rows.append((r + 1, t + 1, 0, 1, dur, "assertion", "boom", "fp1", False))
                if r != infra_run and t not in broken and t not in outage_tests:
                    reruns += 1
                    again = 1 if rng.random() < rates[t] else 0
                    results_rows.append(
                        (r + 1, t + 1, 1, again, dur, "assertion" if again else None,
                         "boom" if again else None, "fp1" if again else None, False)
                    )  # fmt: skip
            else:
                results_rows.append((r + 1, t + 1, 0, 0, dur, None, None, None, False))
        at = T0 + timedelta(hours=r)
        runs_rows.append(
            {"id": r + 1, "project": "bench", "run_key": f"run-{r}", "ci_run_id": f"ci-{commit}",
             "attempt": 2 if retry else 1, "commit_sha": f"{commit:040x}", "tree_sha": None,
             "branch": "main", "started_at": at, "ingested_at": at, "source": "bench",
             "source_digest": "0" * 64, "format": "junit", "tags": {}, "total": n_tests,
             "failed": failed, "skipped": 0, "reruns": reruns, "duration_s": 300.0,
             "infra_failure": r == infra_run}
        )  # fmt: skip
    return {
        "tests": tests_rows,
        "runs": runs_rows,
        "results": results_rows,
        "flaky": {tests_rows[t]["test_key"] for t in range(n_tests) if rates[t] > 0},
        "broken": {tests_rows[t]["test_key"] for t in broken},
    }


def load(engine: sa.Engine, data: dict[str, Any]) -> None:
    """Bulk insert: executemany on SQLite, COPY on PostgreSQL."""
    from readiness.storage.projects import ensure_project
    from readiness.testhealth.store.tables import runs, tests

    ensure_project(engine, "bench", at=T0, by="benchmark")  # every row belongs to a project
    with engine.begin() as conn:
        conn.execute(tests.insert(), data["tests"])
        conn.execute(runs.insert(), data["runs"])
        raw: Any = conn.connection.driver_connection
        if engine.dialect.name == "postgresql":
            copy_sql = f"COPY th_results ({','.join(RESULT_COLS)}) FROM STDIN"
            with raw.cursor() as cur, cur.copy(copy_sql) as cp:
                for row in data["results"]:
                    cp.write_row(row)
        else:
            marks = ",".join("?" * len(RESULT_COLS))
            raw.executemany(
                f"INSERT INTO th_results ({','.join(RESULT_COLS)}) VALUES ({marks})",
                data["results"],
            )
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))


def measure(engine: sa.Engine, data: dict[str, Any], repeat: int = 3) -> dict[str, Any]:
    settings = TestHealthSettings()
    now = T0 + timedelta(days=30)
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        evidence = queries.load_evidence(
            engine, project="bench", default_branch="main", window_runs=settings.window_runs
        )
        loaded = time.perf_counter()
        health = rules.assess(evidence, settings=settings, quarantine=[], now=now)
        timings.append((time.perf_counter() - start, loaded - start))
    total, sql = min(timings)
    flagged = {h.test_id for h in health if h.status is TestStatus.FLAKY}
    broken = {h.test_id for h in health if h.status is TestStatus.BROKEN}
    failed_once = {e.test_key for e in evidence if e.failures} & data["flaky"]
    true_pos = len(flagged & data["flaky"])
    clusters = suite.cluster_co_failures(
        history_queries.load_clusters_input(
            engine, project="bench", window_runs=settings.window_runs
        )
    )
    outside = flagged - {t for c in clusters for t in c.tests}
    return {
        "seconds": round(total, 3),
        "first_seconds": round(timings[0][0], 3),
        "sql_seconds": round(sql, 3),
        "tests": len(health),
        "flaky_found": len(flagged),
        "flaky_injected": len(data["flaky"]),
        "flaky_observable": len(failed_once),
        "precision": round(true_pos / len(flagged), 3) if flagged else None,
        "recall_injected": round(true_pos / len(data["flaky"]), 3),
        "recall_observable": round(len(flagged & failed_once) / len(failed_once), 3)
        if failed_once
        else None,
        "broken_found": len(broken),
        "broken_correct": len(broken & data["broken"]),
        "biggest_cluster": len(clusters[0].tests) if clusters else 0,
        # Outage members are flagged (they did fail and pass on one commit) but reported as one
        # cluster; precision without them is the figure for "flaky test" as opposed to outage.
        "precision_outside_clusters": round(true_pos / len(outside), 3) if outside else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20260310)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    data = generate(args.tests, args.runs, args.seed)
    out: dict[str, Any] = {
        "benchmark": "flaky_report",
        "tests": args.tests,
        "runs": args.runs,
        "results": len(data["results"]),
        "generate_seconds": round(time.perf_counter() - start, 2),
    }
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'state.db'}"
        stores = Stores(state=create_engine_for(url), audit=create_engine_for(url))
        upgrade_all(stores)
        t = time.perf_counter()
        load(stores.state, data)
        out["sqlite_load_seconds"] = round(time.perf_counter() - t, 2)
        out["sqlite"] = measure(stores.state, data)
        stores.dispose()
    if not args.no_postgres:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = (
                sa.engine.make_url(PG_URL)
                .update_query_dict({"options": f"-csearch_path={schema}"})
                .render_as_string(hide_password=False)
            )
            stores = Stores(state=create_engine_for(url), audit=create_engine_for(url))
            upgrade_all(stores)
            t = time.perf_counter()
            load(stores.state, data)
            out["postgres_load_seconds"] = round(time.perf_counter() - t, 2)
            out["postgres"] = measure(stores.state, data)
            stores.dispose()
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
