"""Run-level queries of testhealth (per-test evidence queries live in ``queries``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness._common.clock import utc
from readiness.testhealth.detection.model import HistoryEntry
from readiness.testhealth.model import Outcome
from readiness.testhealth.store.tables import results, runs, tests

_FAILING = [int(o) for o in Outcome if o.is_failure]


@dataclass(frozen=True, slots=True)
class RunRow:
    """One ingested run, as lists and the gate show it."""

    run_key: str
    ci_run_id: str | None
    attempt: int
    job: str | None
    commit: str | None
    branch: str | None
    started_at: datetime
    source: str
    format: str
    seed: str | None
    total: int
    failed: int
    skipped: int
    reruns: int
    duration_s: float
    infra_failure: bool
    pr: str | None = None
    url: str | None = None
    provider: str | None = None


def list_runs(engine: Engine, *, project: str, limit: int = 50) -> list[RunRow]:
    """The newest runs first."""
    query = (
        sa.select(runs)
        .where(runs.c.project == project)
        .order_by(runs.c.started_at.desc(), runs.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [_run_row(r) for r in conn.execute(query)]


def _run_row(r: Any) -> RunRow:
    return RunRow(
        run_key=r.run_key,
        ci_run_id=r.ci_run_id,
        attempt=r.attempt,
        job=r.job,
        commit=r.commit_sha,
        branch=r.branch,
        started_at=utc(r.started_at),
        source=r.source,
        format=r.format,
        seed=r.seed,
        total=r.total,
        failed=r.failed,
        skipped=r.skipped,
        reruns=r.reruns,
        duration_s=r.duration_s,
        infra_failure=bool(r.infra_failure),
        pr=r.pr,
        url=r.url,
        provider=r.provider,
    )


@dataclass(frozen=True, slots=True)
class RunFailure:
    """One test that failed (or errored) in a run: its attempts and first failure's details."""

    test_key: str
    outcomes: tuple[Outcome, ...]  # by attempt: first execution, then reruns
    kind: str | None
    message: str | None


@dataclass(frozen=True, slots=True)
class RunDetail:
    """One run with its failures (at most ``shown`` of ``failed_tests``) and, for each, the
    test's history around the run (newest first)."""

    run: RunRow
    failed_tests: int
    failures: tuple[tuple[RunFailure, tuple[HistoryEntry, ...]], ...]


def find_run(engine: Engine, *, project: str, run_key: str) -> tuple[int, RunRow] | None:
    """(id, row) of the run ``run_key`` of ``project`` (None: no such run)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(runs).where(runs.c.project == project, runs.c.run_key == run_key).limit(1)
        ).first()
    return None if row is None else (row.id, _run_row(row))


def run_failures(engine: Engine, run_id: int) -> list[RunFailure]:
    """The tests of run ``run_id`` with a failing attempt, by test id."""
    failing = (
        sa.select(results.c.test_id)
        .where(results.c.run_id == run_id, results.c.outcome.in_(_FAILING))
        .distinct()
        .scalar_subquery()
    )
    query = (
        sa.select(
            tests.c.test_key,
            results.c.attempt,
            results.c.outcome,
            results.c.failure_kind,
            results.c.message,
        )
        .select_from(results.join(tests, tests.c.id == results.c.test_id))
        .where(results.c.run_id == run_id, results.c.test_id.in_(failing))
        .order_by(tests.c.test_key, results.c.attempt)
    )
    by_test: dict[str, list[Any]] = {}
    with engine.connect() as conn:
        for r in conn.execute(query):
            by_test.setdefault(r.test_key, []).append(r)
    out = []
    for key, rows in by_test.items():
        first = next(r for r in rows if Outcome(r.outcome).is_failure)
        out.append(
            RunFailure(
                test_key=key,
                outcomes=tuple(Outcome(r.outcome) for r in rows),
                kind=first.failure_kind,
                message=first.message,
            )
        )
    return out


def latest_runs_of(engine: Engine, *, project: str, commit: str | None) -> list[tuple[int, str]]:
    """(id, run_key) of the latest run of every CI job for ``commit`` (None: the newest commit).

    "Latest" is the highest CI attempt, then the newest start: a retried pipeline counts as
    its retry, as a reviewer would read it.
    """
    with engine.connect() as conn:
        if commit is None:
            commit = conn.execute(
                sa.select(runs.c.commit_sha)
                .where(runs.c.project == project)
                .order_by(runs.c.started_at.desc(), runs.c.id.desc())
                .limit(1)
            ).scalar()
        cond = [runs.c.project == project]
        cond.append(runs.c.commit_sha.is_(None) if commit is None else runs.c.commit_sha == commit)
        rows = conn.execute(
            sa.select(runs.c.id, runs.c.run_key, runs.c.job)
            .where(*cond)
            .order_by(runs.c.attempt.desc(), runs.c.started_at.desc(), runs.c.id.desc())
        ).all()
    chosen: dict[str | None, tuple[int, str]] = {}
    for run_id, run_key, job in rows:
        chosen.setdefault(job, (run_id, run_key))
    return sorted(chosen.values())


def final_outcomes(engine: Engine, run_ids: list[int]) -> dict[str, Outcome]:
    """Test key -> outcome of its last attempt, over ``run_ids`` (a failure anywhere wins)."""
    last = (
        sa.select(
            results.c.run_id,
            results.c.test_id,
            sa.func.max(results.c.attempt).label("attempt"),
        )
        .where(results.c.run_id.in_(run_ids))
        .group_by(results.c.run_id, results.c.test_id)
        .subquery()
    )
    query = sa.select(tests.c.test_key, results.c.outcome).select_from(
        results.join(
            last,
            sa.and_(
                results.c.run_id == last.c.run_id,
                results.c.test_id == last.c.test_id,
                results.c.attempt == last.c.attempt,
            ),
        ).join(tests, tests.c.id == results.c.test_id)
    )
    out: dict[str, Outcome] = {}
    with engine.connect() as conn:
        for key, outcome in conn.execute(query):
            previous = out.get(key)
            if previous is None or not previous.is_failure:
                out[key] = Outcome(outcome)
    return out


# pytest's own --junitxml and our plugin (CONTRACTS C1) give the error of a collector (a module
# that cannot be imported) and of a session that ended early these <error message="...">.
COLLECTION_FAILURE = "collection failure"
SESSION_ERROR = "session error"


def collector_errors(engine: Engine, run_ids: list[int]) -> dict[str, str]:
    """Test key -> ``COLLECTION_FAILURE`` or ``SESSION_ERROR`` for such errors in ``run_ids``."""
    query = (
        sa.select(tests.c.test_key, results.c.message)
        .select_from(results.join(tests, tests.c.id == results.c.test_id))
        .where(
            results.c.run_id.in_(run_ids),
            results.c.outcome == int(Outcome.ERROR),
            results.c.message.in_((COLLECTION_FAILURE, SESSION_ERROR)),
        )
    )
    with engine.connect() as conn:
        return {row.test_key: row.message for row in conn.execute(query)}


def known_test_keys(engine: Engine, *, project: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(tests.c.test_key)
                .where(tests.c.project == project)
                .order_by(tests.c.test_key)
            ).scalars()
        )


def last_run_at(engine: Engine, *, project: str, commit: str) -> datetime | None:
    """When the newest run of ``commit`` started (None: no run of it is recorded)."""
    with engine.connect() as conn:
        at = conn.execute(
            sa.select(sa.func.max(runs.c.started_at)).where(
                runs.c.project == project, runs.c.commit_sha == commit
            )
        ).scalar()
    return None if at is None else utc(at)
