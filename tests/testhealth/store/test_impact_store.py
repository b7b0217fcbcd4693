"""Impact and signals read from the store, on SQLite and PostgreSQL, through the service."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.errors import InputError, NotFoundError
from readiness.storage.engine import Stores
from readiness.testhealth.model import Outcome
from readiness.testhealth.service import TestHealthService
from readiness.testhealth.store.impact import load_test_runs
from readiness.testhealth.store.tables import runs
from tests.testhealth._history import T0, History


def _history(stores: Stores, project: str = "default") -> History:
    """a: fails CI run 100 (re-run as attempt 2), passes on retry in 101, fails locally.
    b: fails CI run 101 on a pull request. c: never fails."""
    h = History(stores.state, project)
    h.run({"a": "F", "b": "P", "c": "P"}, ci_run_id="100", job="unit", duration_s=600.0)
    h.run({"a": "P", "b": "P", "c": "P"}, ci_run_id="100", ci_attempt=2, job="unit", commit="c000")
    h.run({"a": "FP", "b": "F", "c": "P"}, ci_run_id="101", branch="feat", duration_s=300.0)
    h.run({"a": "F", "b": "P", "c": "P"})  # no CI metadata: a local run
    with stores.state.begin() as conn:
        conn.execute(runs.update().where(runs.c.id == h.run_ids[2]).values(pr="7"))
        conn.execute(
            runs.update()
            .where(runs.c.id == h.run_ids[0])
            .values(tags={"runner": "r-1", "os": "linux", "python": "3.12"})
        )
    return h


def _service(stores: Stores, settings: Settings, clock: FrozenClock) -> TestHealthService:
    return TestHealthService(settings=settings, stores=stores, clock=clock)


def test_runs_carry_their_ci_metadata_outcomes_and_tags(stores: Stores) -> None:
    h = _history(stores)
    found = load_test_runs(stores.state, project="default", default_branch="main", window_runs=50)
    a = found["a"]
    assert [r.run_id for r in a] == h.run_ids
    first = a[0]
    assert (first.ci, first.outcomes, first.run_duration_s, first.run_failed_tests) == (
        True,
        (Outcome.FAILED,),
        600.0,
        1,
    )
    assert (first.rerun_later, first.job, first.runner, first.environment) == (
        True,
        "unit",
        "r-1",
        "os=linux, python=3.12",
    )
    assert (first.failure_kinds, first.failure_messages) == (
        ("assertion",),
        ("AssertionError in a",),
    )
    assert (a[1].rerun_later, a[2].outcomes, a[2].pr, a[3].ci) == (
        False,
        (Outcome.FAILED, Outcome.PASSED),
        "7",
        False,
    )


def test_failing_only_keeps_the_runs_with_a_failure_of_the_tests_asked_for(stores: Stores) -> None:
    h = _history(stores)
    found = load_test_runs(
        stores.state,
        project="default",
        default_branch="main",
        window_runs=50,
        test_keys=["a", "c"],
        failing_only=True,
    )
    assert {k: [r.run_id for r in v] for k, v in found.items()} == {
        "a": [h.run_ids[0], h.run_ids[2], h.run_ids[3]]
    }
    assert found["a"][1].failed_duration_s == 1.0


def test_impact_of_every_test_in_the_service(
    stores: Stores, backend_settings: Settings, clock: FrozenClock
) -> None:
    _history(stores, backend_settings.project)
    found = {
        h.test_id: i
        for h, i in _service(stores, backend_settings, clock).flaky_impact(include_healthy=True)
    }
    a, b, c = found["a"], found["b"], found["c"]
    assert (a.ci_runs_failed, a.in_run_retries, a.ci_reruns, a.ci_runs_retried) == (1, 1, 1, 2)
    assert (a.ci_seconds_lost, a.local_runs_failed, a.prs, a.branches) == (
        601.0,
        1,
        ("7",),
        ("feat", "main"),
    )
    assert a.last_failed_at == T0 + timedelta(hours=3)
    assert a.score == round(601 / 60 + 10 + 2 * 2 + 1, 2) == 25.02
    assert (b.ci_runs_failed, b.ci_seconds_lost, b.prs_affected, b.score) == (1, 300.0, 1, 15.0)
    assert (c.score, c.last_failed_at) == (0.0, None)


def test_the_list_is_sorted_by_impact_unless_asked_otherwise(
    stores: Stores, backend_settings: Settings, clock: FrozenClock
) -> None:
    _history(stores, backend_settings.project)
    service = _service(stores, backend_settings, clock)
    by = {s: [h.test_id for h, _ in service.flaky_impact(sort=s, include_healthy=True)]
          for s in ("impact", "name", "last-seen", "failure-rate")}  # fmt: skip
    assert by == {
        "impact": ["a", "b", "c"],
        "name": ["a", "b", "c"],
        "last-seen": ["a", "b", "c"],
        "failure-rate": ["a", "b", "c"],
    }
    with pytest.raises(InputError, match="sort must be one of"):
        service.flaky_impact(sort="worst")


def test_triage_of_one_test_reads_all_its_runs(
    stores: Stores, backend_settings: Settings, clock: FrozenClock
) -> None:
    _history(stores, backend_settings.project)
    found = _service(stores, backend_settings, clock).triage("a")
    assert found.impact.score == 25.02
    assert found.signals.test_id == "a"
    spread = next(s for s in found.signals.signals if s.name == "spread")
    assert spread.explanation == (
        "no spread to compare: it needs two places (CI and local, jobs, runners or "
        "environments) with 3 runs each and a failure among them; ingest local runs too, or "
        "tag runs with --tag runner=NAME"
    )
    source = next(s for s in found.signals.signals if s.name == "source")
    assert source.lean == "unknown"  # tests/... is not in this project directory


def test_triage_of_an_unknown_test_is_not_found(
    stores: Stores, backend_settings: Settings, clock: FrozenClock
) -> None:
    _history(stores, backend_settings.project)
    with pytest.raises(NotFoundError, match="test 'nope' has no recorded results"):
        _service(stores, backend_settings, clock).triage("nope")


def test_an_empty_project_has_no_runs(stores: Stores) -> None:
    assert load_test_runs(stores.state, project="none", default_branch="main", window_runs=5) == {}
    with stores.state.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one() == 0
