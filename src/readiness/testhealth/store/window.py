"""The detection window: the runs every figure and rule of flaky-test detection reads.

It holds the last ``window_runs`` counted runs of the default branch (the flip-rate and
broken-streak window) and the counted runs of every other branch that started since the
oldest of them, at most ``OTHER_BRANCH_FACTOR × window_runs`` of those (the newest). Runs
flagged ``infra_failure`` are never counted. So a report reads at most
``(1 + OTHER_BRANCH_FACTOR) × window_runs`` runs, however many months of history are kept: its
cost is bounded by the window, never by the history (``benchmarks/flaky_report_scale.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from readiness.testhealth.store.tables import runs

#: Runs of other branches (pull requests, feature branches) per default-branch window run.
OTHER_BRANCH_FACTOR = 4


@contextmanager
def connect(conn_or_engine: Connection | Engine) -> Iterator[Connection]:
    """A connection: the one given, or a new one of the engine given (closed afterwards)."""
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            yield conn
    else:
        yield conn_or_engine


def utc(at: datetime | None) -> datetime | None:
    """``at`` as an aware datetime: SQLite returns naive ones for columns stored as UTC."""
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=UTC)


def counted_runs(project: str, until: datetime | None = None) -> list[sa.ColumnElement[bool]]:
    """Conditions on ``th_runs`` of the runs that count: ``project``'s, no infrastructure
    failure, started at or before ``until`` when given."""
    cond = [runs.c.project == project, runs.c.infra_failure == sa.false()]
    if until is not None:
        cond.append(runs.c.started_at <= until)
    return cond


@dataclass(frozen=True, slots=True)
class WindowRun:
    """One run of the detection window."""

    id: int
    commit: str | None
    started_at: datetime
    default_branch: bool
    repeat: int  # N of --readiness-repeat N (1: its reruns are CI retries)


@dataclass(frozen=True, slots=True)
class DetectionWindow:
    """The runs of the window, newest first; ``default`` is its default-branch part."""

    runs: tuple[WindowRun, ...]
    default: tuple[WindowRun, ...]

    @property
    def ids(self) -> list[int]:
        """Ids of every run of the window."""
        return [r.id for r in self.runs]

    @property
    def start(self) -> datetime | None:
        """When the oldest run of the window started (None for an empty window)."""
        return self.runs[-1].started_at if self.runs else None

    def repeats(self) -> set[int]:
        """Ids of the runs made with ``--readiness-repeat`` (their reruns are not retries)."""
        return {r.id for r in self.runs if r.repeat > 1}


def load_window(
    conn: Connection,
    *,
    project: str,
    default_branch: str,
    window_runs: int,
    until: datetime | None = None,
) -> DetectionWindow:
    """The detection window of ``project`` as it stood at ``until`` (None: now)."""
    order = (runs.c.started_at.desc(), runs.c.id.desc())
    columns = (runs.c.id, runs.c.commit_sha, runs.c.started_at, runs.c.repeat)
    counted = counted_runs(project, until)
    default_q = (
        sa.select(*columns)
        .where(*counted, runs.c.branch == default_branch)
        .order_by(*order)
        .limit(window_runs)
    )
    default = [_run(row, default_branch=True) for row in conn.execute(default_q)]
    other_cond: list[sa.ColumnElement[bool]] = [
        *counted,
        sa.or_(runs.c.branch != default_branch, runs.c.branch.is_(None)),
    ]
    if len(default) == window_runs:
        other_cond.append(runs.c.started_at >= default[-1].started_at)
    other_q = (
        sa.select(*columns)
        .where(*other_cond)
        .order_by(*order)
        .limit(OTHER_BRANCH_FACTOR * window_runs)
    )
    other = [_run(row, default_branch=False) for row in conn.execute(other_q)]
    merged = sorted(default + other, key=lambda r: (r.started_at, r.id), reverse=True)
    return DetectionWindow(runs=tuple(merged), default=tuple(default))


def _run(row: Any, *, default_branch: bool) -> WindowRun:
    started: datetime = row.started_at  # NOT NULL
    return WindowRun(
        id=int(row.id),
        commit=row.commit_sha,
        started_at=started if started.tzinfo else started.replace(tzinfo=UTC),
        default_branch=default_branch,
        repeat=int(row.repeat or 1),
    )
