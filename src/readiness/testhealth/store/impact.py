"""SQL behind impact and the flaky-system signals: each test's runs of the detection window as
:class:`~readiness.testhealth.detection.impact.TestRun` records (SQLAlchemy Core, SQLite and
PostgreSQL).

One pass over ``th_results``: the results of the window's runs (a few hundred ids, see
:mod:`.window`), narrowed to the tests asked for through the ``(test_id, run_id)`` index. For
impact (``failing_only``) only failing executions and reruns are read — the rows that can make
a run failed or retried — so its cost follows the failures, not the suite's size. The window's
run metadata and the CI re-runs (a later attempt of the same CI run id and job) are two small
queries over ``th_runs``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from readiness.testhealth.detection.impact import TestRun
from readiness.testhealth.junit.failures import first_meaningful_line
from readiness.testhealth.model import Outcome
from readiness.testhealth.store.tables import results, runs, tests
from readiness.testhealth.store.window import connect, load_window, utc

FAILING = (int(Outcome.FAILED), int(Outcome.ERROR))
_CHUNK = 5_000  # ids per IN list
RUNNER_TAG = "runner"  # the run tag that names the machine (``--tag runner=NAME``)


def test_key_known(conn_or_engine: Connection | Engine, *, project: str, test_key: str) -> bool:
    """Whether ``project`` has ever recorded ``test_key``."""
    q = sa.select(tests.c.id).where(tests.c.project == project, tests.c.test_key == test_key)
    with connect(conn_or_engine) as conn:
        return conn.execute(q.limit(1)).first() is not None


test_key_known.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def load_test_runs(
    conn_or_engine: Connection | Engine,
    *,
    project: str,
    default_branch: str,
    window_runs: int,
    test_keys: Sequence[str] | None = None,
    failing_only: bool = False,
) -> dict[str, list[TestRun]]:
    """Test key -> its runs of the detection window, oldest first.

    ``test_keys`` None reads every test. ``failing_only`` keeps the runs in which the test
    failed at least once, read from failing executions and reruns only (what impact needs);
    otherwise every run the test has a result in, with its failure messages' first lines (what
    the signals need).
    """
    with connect(conn_or_engine) as conn:
        window = load_window(
            conn, project=project, default_branch=default_branch, window_runs=window_runs
        )
        if not window.runs or (test_keys is not None and not test_keys):
            return {}
        meta = _run_meta(conn, project, window.ids)
        names = _test_names(conn, project, test_keys)
        rows = _result_rows(
            conn, window.ids, names if test_keys is not None else None, failing_only
        )
        if test_keys is None:
            missing = sorted({r.test_id for r in rows} - names.keys())
            names |= _test_names_by_id(conn, missing)
    grouped: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for row in rows:
        grouped[(row.test_id, row.run_id)].append(row)
    out: dict[str, list[TestRun]] = defaultdict(list)
    for (test_id, run_id), executions in sorted(grouped.items()):
        run = _test_run(meta[run_id], executions, with_messages=not failing_only)
        if failing_only and not run.failed_any:
            continue
        out[names[test_id]].append(run)
    for found in out.values():
        found.sort(key=lambda r: (r.started_at, r.run_id))
    return dict(out)


def _test_names(conn: Connection, project: str, test_keys: Sequence[str] | None) -> dict[int, str]:
    if test_keys is None:
        return {}
    out: dict[int, str] = {}
    keys = sorted(set(test_keys))
    for i in range(0, len(keys), _CHUNK):
        q = sa.select(tests.c.id, tests.c.test_key).where(
            tests.c.project == project, tests.c.test_key.in_(keys[i : i + _CHUNK])
        )
        out.update((int(r.id), r.test_key) for r in conn.execute(q))
    return out


def _test_names_by_id(conn: Connection, ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in range(0, len(ids), _CHUNK):
        q = sa.select(tests.c.id, tests.c.test_key).where(tests.c.id.in_(ids[i : i + _CHUNK]))
        out.update((int(r.id), r.test_key) for r in conn.execute(q))
    return out


def _result_rows(
    conn: Connection, run_ids: list[int], test_ids: dict[int, str] | None, failing_only: bool
) -> list[Any]:
    message = results.c.message if not failing_only else sa.null()
    base = sa.select(
        results.c.test_id,
        results.c.run_id,
        results.c.attempt,
        results.c.outcome,
        results.c.duration_s,
        results.c.failure_kind,
        sa.case((results.c.outcome.in_(FAILING), message), else_=sa.null()).label("message"),
    ).where(results.c.run_id.in_(run_ids))
    if failing_only:
        base = base.where(sa.or_(results.c.outcome.in_(FAILING), results.c.attempt > 0))
    if test_ids is None:
        return list(conn.execute(base))
    ids = sorted(test_ids)
    rows: list[Any] = []
    for i in range(0, len(ids), _CHUNK):
        rows.extend(conn.execute(base.where(results.c.test_id.in_(ids[i : i + _CHUNK]))))
    return rows


def _run_meta(conn: Connection, project: str, run_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The window's runs by id, each knowing whether a later CI attempt re-ran it."""
    q = sa.select(
        runs.c.id,
        runs.c.ci_run_id,
        runs.c.attempt,
        runs.c.job,
        runs.c.branch,
        runs.c.pr,
        runs.c.provider,
        runs.c.duration_s,
        runs.c.failed,
        runs.c.tags,
        runs.c.repeat,
        runs.c.started_at,
    ).where(runs.c.id.in_(run_ids))
    meta = {int(r.id): r._asdict() for r in conn.execute(q)}
    ci_ids = sorted({m["ci_run_id"] for m in meta.values() if m["ci_run_id"] is not None})
    last_attempt: dict[tuple[str, str | None], int] = {}
    for i in range(0, len(ci_ids), _CHUNK):
        attempts = (
            sa.select(runs.c.ci_run_id, runs.c.job, sa.func.max(runs.c.attempt).label("last"))
            .where(runs.c.project == project, runs.c.ci_run_id.in_(ci_ids[i : i + _CHUNK]))
            .group_by(runs.c.ci_run_id, runs.c.job)
        )
        last_attempt.update(((r.ci_run_id, r.job), int(r.last)) for r in conn.execute(attempts))
    for m in meta.values():
        key = (m["ci_run_id"], m["job"])
        m["rerun_later"] = m["ci_run_id"] is not None and last_attempt.get(key, 0) > m["attempt"]
    return meta


def _environment(tags: dict[str, Any]) -> str | None:
    shown = [f"{k}={v}" for k, v in sorted(tags.items()) if k != RUNNER_TAG]
    return ", ".join(shown) or None


def _test_run(meta: dict[str, Any], executions: list[Any], *, with_messages: bool) -> TestRun:
    executions.sort(key=lambda r: r.attempt)
    failing = [r for r in executions if r.outcome in FAILING]
    tags = meta["tags"] if isinstance(meta["tags"], dict) else {}
    runner = tags.get(RUNNER_TAG)
    started: datetime = utc(meta["started_at"])  # type: ignore[assignment]  # NOT NULL
    return TestRun(
        run_id=int(meta["id"]),
        started_at=started,
        outcomes=tuple(Outcome(r.outcome) for r in executions),
        ci=meta["ci_run_id"] is not None or meta["provider"] is not None,
        run_duration_s=float(meta["duration_s"] or 0.0),
        run_failed_tests=int(meta["failed"] or 0),
        test_duration_s=sum(float(r.duration_s or 0.0) for r in executions),
        failed_duration_s=sum(float(r.duration_s or 0.0) for r in failing),
        failure_kinds=tuple(r.failure_kind for r in failing),
        failure_messages=tuple(first_meaningful_line(r.message or "") for r in failing)
        if with_messages
        else (),
        repeat=int(meta["repeat"] or 1),
        rerun_later=bool(meta["rerun_later"]),
        job=meta["job"],
        branch=meta["branch"],
        pr=meta["pr"],
        runner=None if runner is None else str(runner),
        environment=_environment(tags),
    )
