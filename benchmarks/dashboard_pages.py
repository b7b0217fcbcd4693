"""Every dashboard page on a project of 10,000 tests × 100 runs (the issue's size).

Builds a fresh embedded (SQLite) project: ``--runs`` ingested runs of ``--tests`` tests, every
fifth run on a feature branch with a pull request, 1% of the tests flaky (failing 5% of their
runs, half of those passing on a rerun), 5 broken, 10 quarantined, and a few gate runs. Then
times each page a person opens, and the JSON list behind the flaky page, through one in-process
server (signed in with a bearer token; htmx partials left out). The floor in the same run is
``GET /healthz`` (no database work), the peer the issue measured before: a page of the same
server on the demo's 9 tests (``--small``) — so the figure that matters is the ratio.

Prints one JSON line of medians over ``--repeat`` requests (wall milliseconds).

    .venv/bin/python benchmarks/dashboard_pages.py [--tests 10000] [--runs 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from _server import median_s, reader_get

from readiness._common.clock import FrozenClock
from readiness.config import load_settings
from readiness.gate.model import Gate
from readiness.gate.service import run_gate_for
from readiness.projects.service import ProjectService
from readiness.storage import open_stores
from readiness.testhealth.model import RunMeta
from readiness.testhealth.service import TestHealthService
from readiness.testing import junit_xml

START = datetime(2026, 1, 1, tzinfo=UTC)
FLAKY_SHARE = 0.01
FLAKE_RATE = 0.05
BROKEN = 5
QUARANTINED = 10
FEATURE_EVERY = 5

# (name, path) of the pages timed; {flaky} and {run} are filled in from the data.
PAGES = [
    ("overview", "/"),
    ("flaky", "/tests/flaky"),
    ("flaky_healthy", "/tests/flaky?status=healthy"),
    ("test", "/tests/t/{flaky}"),
    ("suite_health", "/tests/health"),
    ("quarantine", "/tests/quarantine"),
    ("runs", "/tests/runs"),
    ("run", "/tests/runs/{run}"),
    ("gates", "/gates"),
    ("api_flaky", "/api/v1/tests/flaky"),
]


def median_ms(action: Callable[[], object], repeat: int) -> float:
    return round(median_s(action, repeat) * 1000, 1)


def _outcomes(
    n: int, tests: int, flaky: list[int], broken: set[int], rng: random.Random
) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {
        f"tests/test_m{i // 100}.py::test_{i}": "failed" if i in broken else "passed"
        for i in range(tests)
    }
    for i in flaky:
        if rng.random() < FLAKE_RATE:
            key = f"tests/test_m{i // 100}.py::test_{i}"
            out[key] = ["failed", "passed"] if rng.random() < 0.5 else "failed"
    return out


def build(
    root: Path, tests: int, runs: int, seed: int
) -> tuple[Any, Any, FrozenClock, dict[str, str]]:
    """A project with the history described above; returns settings, stores, clock, fills."""
    rng = random.Random(seed)
    settings = load_settings(root, environ={})
    clock = FrozenClock(START + timedelta(hours=runs + 1))
    stores = open_stores(settings)
    ProjectService(stores=stores, clock=clock).ensure(settings.project)
    service = TestHealthService(settings=settings, stores=stores, clock=clock)
    flaky = rng.sample(range(tests), max(1, int(tests * FLAKY_SHARE)))
    broken = set(rng.sample([i for i in range(tests) if i not in flaky], BROKEN))
    keys = []
    for n in range(runs):
        feature = n % FEATURE_EVERY == FEATURE_EVERY - 1
        result = service.ingest_bytes(
            junit_xml(_outcomes(n, tests, flaky, broken, rng), seed=str(n)),
            source="report.xml",
            meta=RunMeta(
                commit=f"{n:040x}",
                branch=f"feature-{n}" if feature else "main",
                run_id=str(n),
                pr=str(1000 + n) if feature else None,
                job="unit",
                timestamp=START + timedelta(hours=n),
            ),
        )
        keys.append(result.run_key)
    for i in flaky[:QUARANTINED]:
        service.quarantine_add(
            f"tests/test_m{i // 100}.py::test_{i}", reason="flaky in CI", owner="@team"
        )
    for n in range(runs - 5, runs):
        run_gate_for(
            Gate.MERGE,
            settings=settings,
            clock=clock,
            head=f"{n:040x}",
            base=f"{n - 10:040x}",
            allow_missing=("*",),
            timer=time.perf_counter,
        )
    first = flaky[0]
    fills = {"flaky": quote(f"tests/test_m{first // 100}.py::test_{first}"), "run": keys[-1]}
    return settings, stores, clock, fills


def time_pages(tests: int, runs: int, repeat: int, seed: int) -> tuple[dict[str, float], float]:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        settings, stores, clock, fills = build(Path(tmp), tests, runs, seed)
        built = time.perf_counter() - started
        with reader_get(settings, stores, clock) as get:
            figures = {"healthz": median_ms(lambda: get("/healthz"), repeat)}
            for name, path in PAGES:
                url = path.format(**fills)
                get(url)  # warm: templates compiled, caches filled
                figures[name] = median_ms(lambda url=url: get(url), repeat)  # type: ignore[misc]
        stores.dispose()
    return figures, built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--small", type=int, default=9, help="tests of the peer project")
    args = parser.parse_args()
    large, built = time_pages(args.tests, args.runs, args.repeat, args.seed)
    small, _ = time_pages(args.small, 20, args.repeat, args.seed)
    print(
        json.dumps(
            {
                "benchmark": "dashboard_pages",
                "tests": args.tests,
                "runs": args.runs,
                "repeat": args.repeat,
                "build_s": round(built, 1),
                "pages_ms": large,
                "peer_small_project_ms": small,
                "ratio_to_small": {k: round(large[k] / small[k], 1) for k in large if small.get(k)},
            }
        )
    )


if __name__ == "__main__":
    main()
