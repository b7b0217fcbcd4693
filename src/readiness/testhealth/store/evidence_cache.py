"""The whole-project evidence, kept per engine until the history it was read from changes.

Every dashboard page and most API calls start from the evidence of every test (one ``GROUP BY
test`` over the detection window's results: about a second at 10,000 tests × 100 runs on
SQLite). That evidence changes only when a run is ingested or deleted, or a fix is verified, so
it is kept, per engine, under a **state stamp** read with two cheap aggregates — the count and
highest id of the project's runs and of its fix verifications. An ingest commits its run row
and results in one transaction, so a stamp that names a run names all its results; another
process (or replica) that ingests changes the stamp the next read sees. Nothing is cached for a
connection (it may sit inside a transaction that has not committed) or for one test's evidence
(a narrow query already).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from readiness.testhealth.detection.model import TestEvidence
from readiness.testhealth.store.evidence import load_evidence
from readiness.testhealth.store.memo import EngineMemo
from readiness.testhealth.store.tables import fix_verifications, runs

# Loads kept per engine (projects × windows × ``until`` moments).
_memo = EngineMemo(size=8)


def state_stamp(conn: Connection, project: str) -> tuple[Any, ...]:
    """What the project's evidence depends on: the count, highest id and latest ingest time of
    its runs, and the count and highest id of its fix verifications. Any ingest, deletion or
    verification changes it (SQLite may hand a deleted highest id out again: the ingest time
    still moves)."""
    run_count, run_max, ingested = conn.execute(
        sa.select(
            sa.func.count(runs.c.id),
            sa.func.coalesce(sa.func.max(runs.c.id), 0),
            sa.func.max(runs.c.ingested_at),
        ).where(runs.c.project == project)
    ).one()
    fix_count, fix_max = conn.execute(
        sa.select(
            sa.func.count(fix_verifications.c.id),
            sa.func.coalesce(sa.func.max(fix_verifications.c.id), 0),
        ).where(fix_verifications.c.project == project)
    ).one()
    return int(run_count), int(run_max), str(ingested), int(fix_count), int(fix_max)


def cached_evidence(
    conn_or_engine: Connection | Engine,
    *,
    project: str,
    default_branch: str,
    window_runs: int,
    test_key: str | None = None,
    until: datetime | None = None,
) -> list[TestEvidence]:
    """:func:`~readiness.testhealth.store.evidence.load_evidence`, answered from the engine's
    kept loads when the project's state stamp has not changed since."""
    if test_key is not None or not isinstance(conn_or_engine, Engine):
        return load_evidence(
            conn_or_engine,
            project=project,
            default_branch=default_branch,
            window_runs=window_runs,
            test_key=test_key,
            until=until,
        )
    engine = conn_or_engine
    with engine.connect() as conn:
        stamp = state_stamp(conn, project)
    key = (project, default_branch, window_runs, until, stamp)
    hit: tuple[TestEvidence, ...] | None = _memo.get(engine, key)
    if hit is not None:
        return list(hit)
    loaded = load_evidence(
        engine,
        project=project,
        default_branch=default_branch,
        window_runs=window_runs,
        until=until,
    )
    with engine.connect() as conn:
        unchanged = state_stamp(conn, project) == stamp
    if unchanged:  # else an ingest committed during the load: the next read loads again
        _memo.put(engine, key, tuple(loaded))
    return loaded
