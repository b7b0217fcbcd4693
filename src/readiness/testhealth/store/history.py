"""SQL behind suite health, co-failure clusters and one test's history (SQLAlchemy Core, SQLite
and PostgreSQL). The per-test evidence of flaky-test detection is in :mod:`.queries`."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from readiness.errors import NotFoundError
from readiness.testhealth.detection.model import (
    HistoryEntry,
    QuarantineSpan,
    RunSummary,
    SuiteHealthInputs,
    TestDuration,
)
from readiness.testhealth.model import Outcome
from readiness.testhealth.store.evidence import FAILING, _aware, _connect, _counted_runs, _utc
from readiness.testhealth.store.memo import EngineMemo
from readiness.testhealth.store.tables import fix_verifications, quarantine, results, runs, tests


def load_clusters_input(
    conn_or_engine: Connection | Engine,
    *,
    project: str,
    window_runs: int,
    branch: str | None = None,
) -> dict[str, frozenset[int]]:
    """Test key -> ids of the last ``window_runs`` counted runs where its first attempt failed."""
    recent = sa.select(runs.c.id).where(*_counted_runs(project))
    if branch is not None:
        recent = recent.where(runs.c.branch == branch)
    recent_sq = recent.order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(window_runs)
    q = (
        sa.select(tests.c.test_key, results.c.run_id)
        .select_from(results.join(tests, tests.c.id == results.c.test_id))
        .where(
            results.c.run_id.in_(recent_sq.scalar_subquery()),
            results.c.attempt == 0,
            results.c.outcome.in_(FAILING),
        )
    )
    out: dict[str, set[int]] = defaultdict(set)
    with _connect(conn_or_engine) as conn:
        for key, run_id in conn.execute(q):
            out[key].add(run_id)
    return {k: frozenset(v) for k, v in out.items()}


# Mean test durations per set of runs (the suite-health page's costliest read).
_durations_memo = EngineMemo(size=8)


def load_suite_health_inputs(
    conn_or_engine: Connection | Engine,
    *,
    project: str,
    since: datetime | None = None,
    until: datetime | None = None,
    branch: str | None = None,
    job: str | None = None,
) -> SuiteHealthInputs:
    """Counted runs in ``[since, until)`` (optionally one branch/job), quarantine and fixes."""
    cond = _counted_runs(project)
    if since is not None:
        cond.append(runs.c.started_at >= since)
    if until is not None:
        cond.append(runs.c.started_at < until)
    if branch is not None:
        cond.append(runs.c.branch == branch)
    if job is not None:
        cond.append(runs.c.job == job)
    run_q = sa.select(
        runs.c.id,
        runs.c.ci_run_id,
        runs.c.attempt,
        runs.c.commit_sha,
        runs.c.started_at,
        runs.c.duration_s,
        runs.c.failed,
        runs.c.reruns,
        runs.c.job,
        runs.c.provider,
    ).where(*cond)
    dur_q = (
        sa.select(
            tests.c.test_key,
            sa.func.avg(results.c.duration_s).label("mean"),
            sa.func.count().label("n"),
        )
        .select_from(
            results.join(runs, runs.c.id == results.c.run_id).join(
                tests, tests.c.id == results.c.test_id
            )
        )
        .where(*cond, results.c.attempt == 0)
        .group_by(tests.c.test_key)
    )
    q_q = sa.select(quarantine.c.test_key, quarantine.c.created_at, quarantine.c.removed_at).where(
        quarantine.c.project == project
    )
    fix_q = sa.select(fix_verifications.c.test_key, fix_verifications.c.at).where(
        fix_verifications.c.project == project, fix_verifications.c.verdict == "fixed"
    )
    with _connect(conn_or_engine) as conn:
        run_rows = tuple(
            RunSummary(i, ci, a, c, _aware(at), float(d), f, rr, job, provider)
            for i, ci, a, c, at, d, f, rr, job, provider in conn.execute(run_q)
        )

        def load_durations() -> tuple[TestDuration, ...]:
            return tuple(TestDuration(k, float(m), int(n)) for k, m, n in conn.execute(dur_q))

        # A run's results never change once committed: the runs chosen name the answer.
        if isinstance(conn_or_engine, Engine):
            key = (project, tuple((r.run_id, r.started_at, r.duration_s) for r in run_rows))
            durations = _durations_memo.get_or_load(conn_or_engine, key, load_durations)
        else:
            durations = load_durations()
        spans = tuple(QuarantineSpan(k, _aware(c), _utc(r)) for k, c, r in conn.execute(q_q))
        fixes = tuple((k, _aware(at)) for k, at in conn.execute(fix_q))
    return SuiteHealthInputs(run_rows, spans, fixes, durations)


def load_test_history(
    conn_or_engine: Connection | Engine, project: str, test_key: str, limit: int = 100
) -> list[HistoryEntry]:
    """The last ``limit`` runs of one test (infra failures included and flagged), newest first."""
    with _connect(conn_or_engine) as conn:
        test_id = conn.execute(
            sa.select(tests.c.id).where(tests.c.project == project, tests.c.test_key == test_key)
        ).scalar()
        if test_id is None:
            raise NotFoundError(
                f"test {test_key!r} has no history in project {project!r}; "
                "check the test id (see `readiness tests report`)"
            )
        recent = (
            sa.select(results.c.run_id)
            .join(runs, runs.c.id == results.c.run_id)
            .where(results.c.test_id == test_id, results.c.attempt == 0)
            .order_by(runs.c.started_at.desc(), runs.c.id.desc())
            .limit(limit)
            .scalar_subquery()
        )
        return _entries(conn, test_id, recent)


def load_history_around(
    conn_or_engine: Connection | Engine,
    *,
    test_key: str,
    project: str,
    run_id: int,
    started_at: datetime,
    each_side: int,
) -> list[HistoryEntry]:
    """The runs of one test around run ``run_id``: up to ``each_side`` before it, the run
    itself and up to ``each_side`` after it (in start order), newest first. Empty when the test
    is unknown."""
    with _connect(conn_or_engine) as conn:
        test_id = conn.execute(
            sa.select(tests.c.id).where(tests.c.project == project, tests.c.test_key == test_key)
        ).scalar()
        if test_id is None:
            return []
        earlier = sa.or_(
            runs.c.started_at < started_at,
            sa.and_(runs.c.started_at == started_at, runs.c.id < run_id),
        )
        later = sa.or_(
            runs.c.started_at > started_at,
            sa.and_(runs.c.started_at == started_at, runs.c.id > run_id),
        )
        of_test = (
            sa.select(results.c.run_id)
            .join(runs, runs.c.id == results.c.run_id)
            .where(results.c.test_id == test_id, results.c.attempt == 0)
        )
        before = conn.execute(
            of_test.where(earlier)
            .order_by(runs.c.started_at.desc(), runs.c.id.desc())
            .limit(each_side)
        ).scalars()
        after = conn.execute(
            of_test.where(later).order_by(runs.c.started_at, runs.c.id).limit(each_side)
        ).scalars()
        ids = [run_id, *before, *after]
        return _entries(conn, test_id, ids)


def _entries(conn: Connection, test_id: int, run_ids: Any) -> list[HistoryEntry]:
    """The history entries of one test in ``run_ids`` (a list or a subquery), newest first."""
    q = (
        sa.select(
            runs.c.id,
            runs.c.run_key,
            runs.c.started_at,
            runs.c.commit_sha,
            runs.c.branch,
            runs.c.ci_run_id,
            runs.c.attempt.label("ci_attempt"),
            runs.c.infra_failure,
            results.c.attempt,
            results.c.outcome,
            results.c.duration_s,
            results.c.message,
        )
        .select_from(results.join(runs, runs.c.id == results.c.run_id))
        .where(results.c.test_id == test_id, results.c.run_id.in_(run_ids))
        .order_by(runs.c.started_at.desc(), runs.c.id.desc(), results.c.attempt)
    )
    by_run: dict[int, list[Any]] = {}
    for r in conn.execute(q):
        by_run.setdefault(r.id, []).append(r)
    out = []
    for rows in by_run.values():
        head = rows[0]
        message = next((r.message for r in rows if r.outcome in FAILING), None)
        out.append(
            HistoryEntry(
                run_key=head.run_key,
                started_at=_aware(head.started_at),
                commit=head.commit_sha,
                branch=head.branch,
                ci_run_id=head.ci_run_id,
                ci_attempt=head.ci_attempt,
                infra_failure=bool(head.infra_failure),
                outcomes=tuple(Outcome(r.outcome) for r in rows),
                duration_s=float(head.duration_s),
                message=message,
            )
        )
    return out
