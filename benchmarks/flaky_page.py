"""The flaky-tests table on a large project: 10,000 tests, filtered, sorted and paged.

Builds a fresh SQLite project with ``--tests`` tests (default 10,000) over ``--runs`` ingested
runs on main (default 20), where 2% of the tests fail now and then (flaky) and 0.5% always
(broken), plus one run on a feature branch; then times the table (page and htmx partial):

- ``/tests/flaky``: the tests needing attention, worst first (the default view);
- ``/tests/flaky?status=all``: every test, first page of 50 (sorted, counted, paged);
- ``/tests/flaky/table?status=all&sort=last_seen&page=100``: a deep page of another sort;
- ``/tests/flaky?status=all&q=m7&branch=feature&since=7d``: every filter at once;
- the peer: ``/api/v1/tests/health``, the same verdicts as JSON, unpaged;
- ``service_health_s``: the verdicts alone (``TestHealthService.health()``, in process): what
  every view of the table costs before it filters, sorts, pages and renders.

Prints one JSON line of medians over ``--repeat`` requests (wall seconds).

    .venv/bin/python benchmarks/flaky_page.py [--tests 10000] [--runs 20] [--repeat 5]
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


def _outcome(i: int, n: int) -> str:
    if i % 200 == 0:
        return "failed"  # broken
    if i % 50 == 1 and (n + i) % 3 == 0:
        return "failed"  # flaky
    return "passed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "CODEOWNERS").write_text("tests/test_m1*.py @team-one\n* @everyone\n")
        settings = load_settings(root, environ={})
        clock = FrozenClock(START + timedelta(hours=args.runs + 2))
        stores = open_stores(settings)
        ProjectService(stores=stores, clock=clock).ensure(settings.project)
        service = TestHealthService(settings=settings, stores=stores, clock=clock)
        ids = [f"tests/test_m{i // 100}.py::test_{i}" for i in range(args.tests)]
        for n in range(args.runs + 1):
            branch = "main" if n < args.runs else "feature"
            outcomes: dict[str, str | list[str]] = {t: _outcome(i, n) for i, t in enumerate(ids)}
            service.ingest_bytes(
                junit_xml(outcomes, seed=str(n)),
                source="report.xml",
                meta=RunMeta(
                    commit=f"{n:040x}",
                    branch=branch,
                    run_id=str(n),
                    timestamp=START + timedelta(hours=n),
                ),
            )
        with reader_get(settings, stores, clock) as get:
            every = get("/tests/flaky?status=all")
            assert f"of {args.tests:,}" in every, "the first page should count every test"
            figures = {
                "attention_page_s": median_s(lambda: get("/tests/flaky"), args.repeat),
                "all_first_page_s": median_s(lambda: get("/tests/flaky?status=all"), args.repeat),
                "deep_page_partial_s": median_s(
                    lambda: get("/tests/flaky/table?status=all&sort=last_seen&page=100"),
                    args.repeat,
                ),
                "every_filter_s": median_s(
                    lambda: get("/tests/flaky?status=all&q=m7&branch=feature&since=7d"),
                    args.repeat,
                ),
                "peer_health_api_s": median_s(lambda: get("/api/v1/tests/health"), args.repeat),
                "service_health_s": median_s(service.health, args.repeat),
            }
        stores.dispose()
    print(
        json.dumps(
            {
                "benchmark": "flaky_page",
                "tests": args.tests,
                "runs": args.runs + 1,
                "repeat": args.repeat,
                **figures,
            }
        )
    )


if __name__ == "__main__":
    main()
