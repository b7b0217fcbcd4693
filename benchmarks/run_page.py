"""The per-run drill-down on a long history: a run page with the most failures it shows.

Builds a fresh SQLite project with ``--runs`` ingested runs (default 100) of ``--tests`` tests
(default 2,000), where a rotating 5% of the tests fail in each run (100 failures a run: the
page's limit, each with the test's history around the run), then times:

- ``GET /tests/runs/RUN_KEY`` and ``GET /api/v1/tests/runs/RUN_KEY`` of the middle run;
- the existing runs list ``GET /tests/runs`` of the same server, the peer.

Prints one JSON line of medians over ``--repeat`` requests (wall seconds).

    .venv/bin/python benchmarks/run_page.py [--tests 2000] [--runs 100] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _server import median_s, reader_get

from readiness._common.clock import FrozenClock
from readiness.config import load_settings
from readiness.projects.service import ProjectService
from readiness.storage import open_stores
from readiness.testhealth.model import RunMeta
from readiness.testhealth.service import TestHealthService
from readiness.testing import junit_xml

START = datetime(2026, 1, 1, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    failing = max(1, args.tests // 20)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = load_settings(root, environ={})
        clock = FrozenClock(START + timedelta(hours=args.runs + 1))
        stores = open_stores(settings)
        ProjectService(stores=stores, clock=clock).ensure(settings.project)
        service = TestHealthService(settings=settings, stores=stores, clock=clock)
        keys = []
        for n in range(args.runs):
            first = (n * failing) % args.tests
            bad = {(first + k) % args.tests for k in range(failing)}
            outcomes: dict[str, str | list[str]] = {
                f"tests/test_m{i // 100}.py::test_{i}": "failed" if i in bad else "passed"
                for i in range(args.tests)
            }
            result = service.ingest_bytes(
                junit_xml(outcomes, seed=str(n)),
                source="report.xml",
                meta=RunMeta(
                    commit=f"{n:040x}",
                    branch="main",
                    run_id=str(n),
                    timestamp=START + timedelta(hours=n),
                ),
            )
            keys.append(result.run_key)
        key = keys[len(keys) // 2]

        with reader_get(settings, stores, clock) as get:
            figures = {
                "run_page_s": median_s(lambda: get(f"/tests/runs/{key}"), args.repeat),
                "run_api_s": median_s(lambda: get(f"/api/v1/tests/runs/{key}"), args.repeat),
                "peer_runs_page_s": median_s(lambda: get("/tests/runs"), args.repeat),
            }
        stores.dispose()
    print(
        json.dumps(
            {
                "benchmark": "run_page",
                "tests": args.tests,
                "runs": args.runs,
                "failures_in_run": failing,
                "repeat": args.repeat,
                **figures,
            }
        )
    )


if __name__ == "__main__":
    main()
