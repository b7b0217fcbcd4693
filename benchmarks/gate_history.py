"""Gate history: what storing each gate run costs, and the gates page on a long history.

Builds a fresh SQLite project with one ingested test run (so the merge gate has evidence) and
``--runs`` stored gate runs (default 10,000: years of CI at a dozen gates a day), then times:

- the whole merge gate with its run stored (``run_gate_for``) against the same gate with
  ``record=False``, the peer: the difference is what the history adds to every gate;
- ``GET /gates`` (50 runs and the trends of the newest 2,000) and ``GET /api/v1/gates/runs``
  against the existing runs page ``GET /tests/runs`` of the same server, the peer.

Prints one JSON line of medians over ``--repeat`` runs (wall seconds).

    .venv/bin/python benchmarks/gate_history.py [--runs 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _server import median_s, reader_get

from readiness._common.clock import FrozenClock
from readiness.config import load_settings
from readiness.gate.model import Gate
from readiness.gate.service import run_gate_for
from readiness.gate.store import gate_runs
from readiness.projects.service import ProjectService
from readiness.storage import open_stores
from readiness.testhealth.model import RunMeta
from readiness.testhealth.service import TestHealthService
from readiness.testing import junit_xml

START = datetime(2026, 1, 1, tzinfo=UTC)


def fill(engine: object, project: str, runs: int) -> None:
    checks = [
        {"id": "tests.passed", "status": "fail", "summary": "1 of 412 tests failed: t"},
        {"id": "tests.no_new_flaky", "status": "pass", "summary": "No test became flaky"},
        {"id": "tests.quarantine_expired", "status": "pass", "summary": "No test is quarantined"},
    ]
    rows = [
        {
            "project": project,
            "gate": "merge",
            "commit_sha": f"{n:040x}",
            "base_sha": None,
            "verdict": "fail" if n % 5 == 0 else "pass",
            "checks": checks,
            "duration_s": 1.0 + (n % 17) / 10,
            "at": START + timedelta(hours=2 * n),
            "by": "ci",
        }
        for n in range(runs)
    ]
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(gate_runs.insert(), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = load_settings(root, environ={})
        clock = FrozenClock(START + timedelta(hours=2 * args.runs))
        stores = open_stores(settings)
        ProjectService(stores=stores, clock=clock).ensure(settings.project)
        service = TestHealthService(settings=settings, stores=stores, clock=clock)
        xml = junit_xml({f"tests/test_a.py::test_{i}": "passed" for i in range(200)})
        service.ingest_bytes(xml, source="report.xml", meta=RunMeta(commit="head", branch="main"))
        fill(stores.state, settings.project, args.runs)

        def gate(record: bool) -> object:
            return run_gate_for(
                Gate.MERGE,
                settings=settings,
                clock=clock,
                head="head",
                timer=time.perf_counter,
                record=record,
            )

        gate_recorded = median_s(lambda: gate(True), args.repeat)
        gate_unrecorded = median_s(lambda: gate(False), args.repeat)

        with reader_get(settings, stores, clock) as get:
            figures = {
                "gates_page_s": median_s(lambda: get("/gates"), args.repeat),
                "gates_api_s": median_s(lambda: get("/api/v1/gates/runs"), args.repeat),
                "peer_runs_page_s": median_s(lambda: get("/tests/runs"), args.repeat),
            }
        stores.dispose()
    print(
        json.dumps(
            {
                "benchmark": "gate_history",
                "stored_gate_runs": args.runs,
                "repeat": args.repeat,
                "gate_with_history_s": gate_recorded,
                "peer_gate_without_history_s": gate_unrecorded,
                **figures,
            }
        )
    )


if __name__ == "__main__":
    main()
