"""Execution orders of failing runs (``th_run_orders``): written at ingest, read by experiments.

One row per process (suite) of a run that had a failure: its test keys in the order they
first ran, as one JSON array. A test's failing orders are the runs where it failed, newest
first, each cut to the tests that ran before it in its own process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from readiness._common.clock import utc
from readiness.testhealth.model import FailingOrder, Outcome
from readiness.testhealth.store.tables import results, run_orders, runs, tests

_FAILED = (int(Outcome.FAILED), int(Outcome.ERROR))


def save_orders(conn: Connection, run_id: int, orders: Mapping[str | None, Sequence[str]]) -> None:
    """Store each suite's tests in execution order for the run ``run_id`` (in its transaction)."""
    rows = [
        {
            "run_id": run_id,
            "position": position,
            "suite": suite[:1000] if suite is not None else None,
            "count": len(keys),
            "tests": orjson.dumps(list(keys)).decode(),
        }
        for position, (suite, keys) in enumerate(orders.items())
    ]
    if rows:
        conn.execute(run_orders.insert(), rows)


def load_failing_orders(
    engine: Engine, *, project: str, test_key: str, limit: int
) -> list[FailingOrder]:
    """The ``limit`` newest runs where ``test_key`` failed, with the order it failed in.

    A run that stored no order (ingested before orders were kept, or its report did not list
    the test) comes back with ``before=None`` and its seed.
    """
    failed_in = (
        sa.select(results.c.run_id)
        .join(tests, tests.c.id == results.c.test_id)
        .where(
            tests.c.project == project,
            tests.c.test_key == test_key,
            results.c.outcome.in_(_FAILED),
        )
    )
    query = (
        sa.select(runs.c.id, runs.c.run_key, runs.c.started_at, runs.c.commit_sha, runs.c.seed)
        .where(runs.c.project == project, runs.c.id.in_(failed_in))
        .order_by(runs.c.started_at.desc(), runs.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        chosen = conn.execute(query).all()
        stored = conn.execute(
            sa.select(run_orders.c.run_id, run_orders.c.suite, run_orders.c.tests)
            .where(run_orders.c.run_id.in_([r.id for r in chosen]))
            .order_by(run_orders.c.run_id, run_orders.c.position)
        ).all()
    by_run: dict[int, tuple[str | None, tuple[str, ...]]] = {}
    for run_id, suite, text in stored:
        if run_id in by_run:
            continue
        keys: list[str] = orjson.loads(text)
        try:
            at = keys.index(test_key)
        except ValueError:
            continue  # the test ran in another process (suite) of this run
        by_run[run_id] = (suite, tuple(keys[:at]))
    out: list[FailingOrder] = []
    for r in chosen:
        suite, before = by_run.get(r.id, (None, None))
        out.append(
            FailingOrder(
                run_key=r.run_key,
                started_at=utc(r.started_at),
                commit=r.commit_sha,
                seed=r.seed,
                suite=suite,
                before=before,
            )
        )
    return out
