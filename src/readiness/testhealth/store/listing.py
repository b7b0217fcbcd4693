"""Queries behind the dashboard's tables and the API's lists: one page of runs, sorted and
filtered in the database, and the tests that failed on a branch.

Text filters match case-insensitively on both SQLite and PostgreSQL (``lower(column) LIKE``,
with ``%`` and ``_`` in the text escaped: they match themselves).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness.testhealth.model import Outcome
from readiness.testhealth.store.runs import RunRow, _run_row
from readiness.testhealth.store.tables import results, runs, tests

_FAILING = [int(o) for o in Outcome if o.is_failure]

RunSort = Literal["started", "duration", "failures", "tests"]
_RUN_SORT = {
    "started": runs.c.started_at,
    "duration": runs.c.duration_s,
    "failures": runs.c.failed,
    "tests": runs.c.total,
}


@dataclass(frozen=True, slots=True)
class RunQuery:
    """Which runs a list shows: a branch (exact), a text (in the run key, commit, CI run id
    or job), an order (ties: newest first) and a window (``offset``, ``limit``)."""

    branch: str | None = None
    text: str | None = None
    sort: RunSort = "started"
    descending: bool = True
    offset: int = 0
    limit: int = 50


def _run_filters(project: str, query: RunQuery) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [runs.c.project == project]
    if query.branch:
        where.append(runs.c.branch == query.branch)
    if query.text:
        needle = query.text.lower()
        where.append(
            sa.or_(
                *(
                    sa.func.lower(col).contains(needle, autoescape=True)
                    for col in (runs.c.run_key, runs.c.commit_sha, runs.c.ci_run_id, runs.c.job)
                )
            )
        )
    return where


def page_runs(engine: Engine, *, project: str, query: RunQuery) -> tuple[list[RunRow], int]:
    """One page of runs in the asked order, and how many runs match in all."""
    where = _run_filters(project, query)
    column = _RUN_SORT[query.sort]
    order = [column.desc() if query.descending else column.asc()]
    if query.sort != "started":
        order.append(runs.c.started_at.desc())
    order.append(runs.c.id.desc())
    select = sa.select(runs).where(*where).order_by(*order).offset(query.offset).limit(query.limit)
    count = sa.select(sa.func.count()).select_from(runs).where(*where)
    with engine.connect() as conn:
        total = int(conn.execute(count).scalar_one())
        return [_run_row(r) for r in conn.execute(select)], total


def branches(engine: Engine, *, project: str, limit: int = 200) -> list[str]:
    """The branches runs were recorded on, most recently run first (at most ``limit``)."""
    newest = sa.func.max(runs.c.started_at)
    query = (
        sa.select(runs.c.branch)
        .where(runs.c.project == project, runs.c.branch.is_not(None))
        .group_by(runs.c.branch)
        .order_by(newest.desc(), runs.c.branch)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [b for b in conn.execute(query).scalars() if b]


def failed_on_branch(
    engine: Engine, *, project: str, branch: str, since: datetime | None = None
) -> set[str]:
    """The tests with a failed or errored execution in a run of ``branch`` (started at or
    after ``since``, when given)."""
    where = [
        runs.c.project == project,
        runs.c.branch == branch,
        results.c.outcome.in_(_FAILING),
    ]
    if since is not None:
        where.append(runs.c.started_at >= since)
    query = (
        sa.select(tests.c.test_key)
        .distinct()
        .select_from(results.join(runs, runs.c.id == results.c.run_id))
        .join(tests, tests.c.id == results.c.test_id)
        .where(*where)
    )
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())
