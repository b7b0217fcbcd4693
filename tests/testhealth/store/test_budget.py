"""What tests.time_budget reads from the store, and the budget trend, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from readiness.storage.engine import Stores
from readiness.testhealth.detection.budget import RunDuration
from readiness.testhealth.detection.model import BudgetPoint, RunSummary
from readiness.testhealth.detection.suite import budget_trend
from readiness.testhealth.store.budget import load_run_durations, recent_branch_commits
from readiness.testhealth.store.tables import runs
from tests.testhealth._history import History

DAY1 = datetime(2026, 3, 1, tzinfo=UTC)


def _census(stores: Stores, run_id: int) -> None:
    with stores.state.begin() as conn:
        conn.execute(sa.update(runs).where(runs.c.id == run_id).values(provider="census"))


def test_run_durations_of_a_commit_leave_out_census_runs_and_infra_failures(
    stores: Stores,
) -> None:
    h = History(stores.state)
    h.run({"a": "P", "b": "FP"}, commit="head", job="shard 1", duration_s=40.0)
    h.run({"c": "P"}, commit="head", job="shard 2", duration_s=25.0)
    h.run({"a": "P"}, commit="head", job="shard 1", duration_s=99.0, infra=True)
    _census(stores, h.run({"a": "P"}, commit="head", job="census", duration_s=500.0))

    found = load_run_durations(stores.state, project="default", commit="head")

    assert sorted(found, key=lambda r: r.job or "") == [
        RunDuration("shard 1", 40.0, {"a": 1.0, "b": 2.0}),
        RunDuration("shard 2", 25.0, {"c": 1.0}),
    ]


def test_base_commits_are_the_newest_of_the_default_branch_without_head(stores: Stores) -> None:
    h = History(stores.state)
    for commit in ("c1", "c2", "c3", "head"):
        h.run({"a": "P"}, commit=commit)
    h.run({"a": "P"}, commit="feature", branch="feature-x")
    _census(stores, h.run({"a": "P"}, commit="c9"))

    found = recent_branch_commits(
        stores.state, project="default", branch="main", exclude="head", limit=2
    )

    assert found == ["c3", "c2"]


def _summary(i: int, commit: str, hours: int, duration: float, **kw: str) -> RunSummary:
    return RunSummary(
        run_id=i,
        ci_run_id=None,
        attempt=1,
        commit=commit,
        started_at=DAY1 + timedelta(hours=hours),
        duration_s=duration,
        failed=0,
        reruns=0,
        **kw,
    )


def test_budget_trend_is_the_median_commit_of_each_day_with_shards_summed() -> None:
    summaries = [
        _summary(1, "c1", 1, 100.0, job="shard 1"),
        _summary(2, "c1", 2, 50.0, job="shard 2"),
        _summary(3, "c2", 3, 90.0, job="shard 1"),
        _summary(4, "c2", 4, 70.0, job="shard 2"),
        _summary(5, "c3", 5, 200.0, job="shard 1"),
        _summary(6, "c3", 6, 80.0, job="census", provider="census"),
        _summary(7, "c4", 30, 120.0, job="shard 1"),
    ]

    assert budget_trend(summaries) == [
        BudgetPoint("2026-03-01", 3, 160.0),
        BudgetPoint("2026-03-02", 1, 120.0),
    ]
