"""What the time-budget check reads: run and test durations of commits (SQLAlchemy Core).

Census runs (``provider = 'census'``, ``readiness tests census``) run on a developer's machine,
not in CI: they never count toward the budget, nor do infrastructure failures.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness.testhealth.detection.budget import RunDuration
from readiness.testhealth.detection.suite import CENSUS_PROVIDER
from readiness.testhealth.store.tables import results, runs, tests
from readiness.testhealth.store.window import counted_runs


def _budget_runs(project: str) -> list[sa.ColumnElement[bool]]:
    return [
        *counted_runs(project),
        sa.or_(runs.c.provider.is_(None), runs.c.provider != CENSUS_PROVIDER),
    ]


def load_run_durations(engine: Engine, *, project: str, commit: str) -> list[RunDuration]:
    """Every budget-counted run of ``commit``, with each test's attempts summed."""
    run_q = sa.select(runs.c.id, runs.c.job, runs.c.duration_s).where(
        *_budget_runs(project), runs.c.commit_sha == commit
    )
    with engine.connect() as conn:
        found = conn.execute(run_q.order_by(runs.c.id)).all()
        per_run: dict[int, dict[str, float]] = defaultdict(dict)
        if found:
            test_q = (
                sa.select(results.c.run_id, tests.c.test_key, sa.func.sum(results.c.duration_s))
                .select_from(results.join(tests, tests.c.id == results.c.test_id))
                .where(results.c.run_id.in_([r.id for r in found]))
                .group_by(results.c.run_id, tests.c.test_key)
            )
            for run_id, key, total in conn.execute(test_q):
                per_run[run_id][key] = float(total)
    return [RunDuration(r.job, float(r.duration_s), per_run.get(r.id, {})) for r in found]


def recent_branch_commits(
    engine: Engine, *, project: str, branch: str, exclude: str | None, limit: int
) -> list[str]:
    """The ``limit`` newest commits with a budget-counted run on ``branch``, but ``exclude``."""
    newest = sa.func.max(runs.c.started_at)
    query = (
        sa.select(runs.c.commit_sha, newest)
        .where(*_budget_runs(project), runs.c.branch == branch, runs.c.commit_sha.is_not(None))
        .group_by(runs.c.commit_sha)
        .order_by(newest.desc(), runs.c.commit_sha)
        .limit(limit + 1)
    )
    with engine.connect() as conn:
        commits = [c for c, _ in conn.execute(query) if c != exclude]
    return commits[:limit]
