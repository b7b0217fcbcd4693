"""The queries behind the tables: a page of runs, branches, tests failing on a branch, owners
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.storage.engine import Stores
from readiness.testhealth.service import TestHealthService
from readiness.testhealth.store.listing import RunQuery
from tests.testhealth._history import T0, History

A = "tests/test_a.py::test_a"
B = "tests/test_b.py::test_b"
C = "tests/test_c.py::test_c"


@pytest.fixture
def service(stores: Stores, settings: Settings) -> TestHealthService:
    history = History(stores.state, project=settings.project)
    history.run({A: "P", B: "F"}, branch="main", job="unit", duration_s=30.0)
    history.run({A: "F", B: "P"}, branch="feature/x", job="integration", duration_s=90.0)
    history.run({A: "P", B: "P", C: "F"}, branch="main", job="unit", duration_s=60.0)
    history.run({A: "P"}, branch=None, job=None, duration_s=10.0)
    return TestHealthService(settings=settings, stores=stores, clock=FrozenClock(T0))


def _commits(service: TestHealthService, **query: object) -> tuple[list[str | None], int]:
    rows, total = service.runs_page(RunQuery(**query))  # type: ignore[arg-type]
    return [r.commit for r in rows], total


def test_runs_come_newest_first_with_the_total(service: TestHealthService) -> None:
    assert _commits(service) == (["c003", "c002", "c001", "c000"], 4)


def test_a_window_of_runs_keeps_the_total_of_all(service: TestHealthService) -> None:
    assert _commits(service, offset=1, limit=2) == (["c002", "c001"], 4)
    assert _commits(service, offset=4, limit=2) == ([], 4)


def test_runs_filter_by_branch_exactly(service: TestHealthService) -> None:
    assert _commits(service, branch="main") == (["c002", "c000"], 2)
    assert _commits(service, branch="mai") == ([], 0)


def test_runs_filter_by_text_in_job_commit_or_run_key_ignoring_case(
    service: TestHealthService,
) -> None:
    assert _commits(service, text="INTEG") == (["c001"], 1)
    assert _commits(service, text="unit") == (["c002", "c000"], 2)
    assert _commits(service, text="c003") == (["c003"], 1)


def test_a_percent_sign_in_the_text_matches_itself_only(service: TestHealthService) -> None:
    assert _commits(service, text="%") == ([], 0)
    assert _commits(service, text="_") == ([], 0)


def test_runs_sort_by_duration_both_ways(service: TestHealthService) -> None:
    assert _commits(service, sort="duration") == (["c001", "c002", "c000", "c003"], 4)
    assert _commits(service, sort="duration", descending=False) == (
        ["c003", "c000", "c002", "c001"],
        4,
    )


def test_runs_sorted_by_failures_break_ties_newest_first(service: TestHealthService) -> None:
    assert _commits(service, sort="failures") == (["c002", "c001", "c000", "c003"], 4)
    assert _commits(service, sort="failures", descending=False) == (
        ["c003", "c002", "c001", "c000"],
        4,
    )


def test_branches_come_most_recently_run_first(service: TestHealthService) -> None:
    assert service.branches() == ["main", "feature/x"]


def test_the_tests_failing_on_a_branch_within_a_time_range(service: TestHealthService) -> None:
    assert service.failed_on_branch("main") == {B, C}
    assert service.failed_on_branch("main", since=T0 + timedelta(hours=1)) == {C}
    assert service.failed_on_branch("feature/x") == {A}
    assert service.failed_on_branch("nope") == set()


def test_an_owner_comes_from_the_quarantine_entry_else_codeowners(
    service: TestHealthService, settings: Settings
) -> None:
    (settings.root / "CODEOWNERS").write_text(
        "tests/test_a.py @team-a\ntests/test_b.py @team-b\n", encoding="utf-8"
    )
    service.quarantine_add(B, reason="flaky", owner="@bob")

    assert service.owners([A, B, C]) == {A: "@team-a", B: "@bob", C: None}
