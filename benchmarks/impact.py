"""What does impact add to the flaky list, and what do one test's signals cost? (10k x 100)

Builds the seeded history of ``flaky_report.py`` (FlakeFlagger flake rates, broken tests, an
outage, an infrastructure failure: ~1M results), gives its runs CI metadata (every fourth run
on a pull-request branch, two jobs, varied durations), then times, on SQLite and PostgreSQL,
through the service calls the CLI and the API make:

- ``flaky``: ``TestHealthService.flaky()``, the flaky list without impact (the baseline);
- ``flaky_impact``: ``flaky_impact()``, the same list with every entry's impact and sorted by
  it; ``impact_pass``: the part impact adds, timed alone (one pass over the failing and rerun
  results of the flagged tests, and ``impact_of`` for each);
- ``triage_one``: ``triage(test_id)`` of the most costly test (impact and signals);
- the peer in the same run, ``per_test``: the impact read one test at a time (one
  ``load_test_runs`` query per flagged test), what the one pass replaces.

Each figure is the best of three. Prints one JSON line.

    .venv/bin/python benchmarks/impact.py [--tests 10000] [--runs 100] [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flaky_report import PG_URL, T0, generate, load

from readiness._common.clock import FrozenClock
from readiness.config import load_settings
from readiness.storage.engine import Stores, create_engine_for
from readiness.storage.migrate import upgrade_all
from readiness.testhealth.detection.impact import impact_of
from readiness.testhealth.service import TestHealthService
from readiness.testhealth.store.impact import load_test_runs

PROJECT = "bench"


def with_ci_metadata(data: dict[str, Any]) -> None:
    """Pull requests, branches, jobs and durations on the generated runs (in place)."""
    for n, run in enumerate(data["runs"]):
        run["provider"] = "github-actions"
        run["job"] = ("unit", "integration")[n % 2]
        run["duration_s"] = 240.0 + (n * 37) % 180
        if n % 4 == 3:
            run["branch"], run["pr"] = f"feature-{n // 4}", str(100 + n // 4)


def best(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The shortest of ``repeat`` timings of ``fn`` and its last result."""
    timings, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        timings.append(time.perf_counter() - start)
    return round(min(timings), 3), result


def measure(stores: Stores, url: str, root: Path) -> dict[str, Any]:
    settings = load_settings(
        root, environ={}, overrides={"state_url": url, "audit_url": url, "project": PROJECT}
    )
    clock = FrozenClock(T0 + timedelta(days=30))
    service = TestHealthService(settings=settings, stores=stores, clock=clock)
    flaky_s, flagged = best(service.flaky)
    impact_s, ranked = best(service.flaky_impact)
    top = ranked[0][0].test_id

    def per_test() -> list[Any]:
        return [
            impact_of(
                h.test_id,
                load_test_runs(
                    stores.state,
                    project=PROJECT,
                    default_branch="main",
                    window_runs=service.th.window_runs,
                    test_keys=[h.test_id],
                    failing_only=True,
                ).get(h.test_id, ()),
            )
            for h in flagged
        ]

    def one_pass() -> list[Any]:
        found = load_test_runs(
            stores.state,
            project=PROJECT,
            default_branch="main",
            window_runs=service.th.window_runs,
            test_keys=[h.test_id for h in flagged],
            failing_only=True,
        )
        return [impact_of(h.test_id, found.get(h.test_id, ())) for h in flagged]

    pass_s, _ = best(one_pass)
    per_test_s, impacts = best(per_test, repeat=1)
    triage_s, triage = best(lambda: service.triage(top))
    assert sorted(i.score for i in impacts) == sorted(i.score for _, i in ranked)
    return {
        "flagged": len(flagged),
        "flaky_seconds": flaky_s,
        "flaky_impact_seconds": impact_s,
        "impact_pass_seconds": pass_s,
        "per_test_peer_seconds": per_test_s,
        "triage_one_seconds": triage_s,
        "top": {"score": ranked[0][1].score, "verdict": triage.signals.verdict},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20260310)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    data = generate(args.tests, args.runs, args.seed)
    with_ci_metadata(data)
    out: dict[str, Any] = {
        "benchmark": "impact",
        "tests": args.tests,
        "runs": args.runs,
        "results": len(data["results"]),
    }
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'state.db'}"
        stores = Stores(state=create_engine_for(url), audit=create_engine_for(url))
        upgrade_all(stores)
        load(stores.state, data)
        out["sqlite"] = measure(stores, url, Path(tmp))
        stores.dispose()
        if not args.no_postgres:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = sa.create_engine(PG_URL)
            with admin.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            try:
                pg = (
                    sa.engine.make_url(PG_URL)
                    .update_query_dict({"options": f"-csearch_path={schema}"})
                    .render_as_string(hide_password=False)
                )
                stores = Stores(state=create_engine_for(pg), audit=create_engine_for(pg))
                upgrade_all(stores)
                load(stores.state, data)
                out["postgres"] = measure(stores, pg, Path(tmp))
                stores.dispose()
            finally:
                with admin.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
