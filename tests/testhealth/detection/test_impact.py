"""Impact of a flaky or broken test: exact figures from hand-built runs, and its invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.errors import InputError
from readiness.testhealth.detection.impact import (
    FAILED_RUN_MINUTES,
    LOCAL_FAILURE_MINUTES,
    MAX_NAMED,
    RETRY_MINUTES,
    SORT_KEYS,
    TestImpact,
    TestRun,
    impact_of,
    impact_score,
    sort_by,
)
from readiness.testhealth.model import Outcome

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
P, F, E, S = Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED


def run(n: int, *outcomes: Outcome, ci: bool = True, **kw: object) -> TestRun:
    kw.setdefault("run_duration_s", 600.0)
    return TestRun(run_id=n, started_at=T0 + timedelta(hours=n), outcomes=outcomes, ci=ci, **kw)  # type: ignore[arg-type]


def test_a_failed_ci_run_costs_its_duration_shared_by_the_tests_that_failed_it() -> None:
    found = impact_of("t", [run(1, F, run_failed_tests=3, pr="12", branch="feat")])
    assert (found.ci_runs_failed, found.ci_runs_retried, found.ci_seconds_lost) == (1, 0, 200.0)
    assert (found.prs, found.branches, found.prs_affected, found.branches_affected) == (
        ("12",),
        ("feat",),
        1,
        1,
    )
    assert found.score == round(200 / 60 + FAILED_RUN_MINUTES, 2) == 13.33


def test_a_pass_on_retry_costs_the_time_of_its_failing_executions() -> None:
    found = impact_of("t", [run(1, F, F, P, failed_duration_s=42.0, test_duration_s=50.0)])
    assert (found.ci_runs_failed, found.in_run_retries, found.ci_runs_retried) == (0, 1, 1)
    assert found.ci_seconds_lost == 42.0
    assert found.score == round(0.7 + RETRY_MINUTES, 2) == 2.7


def test_a_failed_run_re_run_as_a_later_ci_attempt_counts_failed_and_retried() -> None:
    found = impact_of("t", [run(1, F, rerun_later=True)])
    assert (found.ci_runs_failed, found.ci_reruns, found.ci_runs_retried) == (1, 1, 1)
    assert found.score == 10 + 10 + 2


def test_local_runs_cost_no_ci_time_but_count_as_failures_and_branches() -> None:
    found = impact_of("t", [run(1, F, ci=False, branch="mine"), run(2, F, P, ci=False)])
    assert (found.ci_runs_failed, found.ci_runs_retried, found.ci_seconds_lost) == (0, 0, 0.0)
    assert (found.local_runs_failed, found.branches, found.score) == (
        2,
        ("mine",),
        2 * LOCAL_FAILURE_MINUTES,
    )


def test_passing_and_skipped_runs_add_nothing_and_last_failure_is_the_newest() -> None:
    found = impact_of("t", [run(3, P), run(1, F), run(2, E, E), run(4, S)])
    assert found.ci_runs_failed == 2
    assert found.last_failed_at == T0 + timedelta(hours=2)


def test_a_repeated_run_fails_on_any_failing_execution_and_is_never_a_retry() -> None:
    found = impact_of("t", [run(1, P, F, P, repeat=3)])
    assert (found.ci_runs_failed, found.in_run_retries) == (1, 0)


def test_no_runs_is_no_impact() -> None:
    assert impact_of("t", []) == TestImpact("t")


def test_pull_requests_named_are_capped_but_counted_in_full() -> None:
    found = impact_of("t", [run(n, F, pr=f"{n:02d}") for n in range(MAX_NAMED + 2)])
    assert found.prs_affected == MAX_NAMED + 2
    assert found.prs == tuple(f"{n:02d}" for n in range(MAX_NAMED))


def test_score_adds_minutes_lost_and_the_person_minutes_of_each_run() -> None:
    assert (
        impact_score(ci_minutes_lost=1.5, ci_runs_failed=2, ci_runs_retried=3, local_runs_failed=4)
        == 1.5 + 20 + 6 + 4
    )


def _sorted(items: list[tuple[str, TestImpact, float]], sort: str) -> list[str]:
    done = sort_by(
        items, sort, test_id=lambda i: i[0], impact=lambda i: i[1], failure_rate=lambda i: i[2]
    )
    return [i[0] for i in done]


ITEMS = [
    ("b", TestImpact("b", score=5.0, last_failed_at=T0), 0.5),
    ("a", TestImpact("a", score=5.0, last_failed_at=T0 + timedelta(hours=1)), 0.1),
    ("c", TestImpact("c", score=9.0), 0.5),
]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("impact", ["c", "a", "b"]),
        ("failure-rate", ["b", "c", "a"]),
        ("name", ["a", "b", "c"]),
        ("last-seen", ["a", "b", "c"]),
    ],
)
def test_each_sort_order_breaks_ties_by_test_id(sort: str, expected: list[str]) -> None:
    assert _sorted(ITEMS, sort) == expected


def test_an_unknown_sort_is_an_input_error_naming_the_choices() -> None:
    with pytest.raises(InputError) as caught:
        _sorted(ITEMS, "bogus")
    assert str(caught.value) == (
        "sort must be one of impact, failure-rate, name, last-seen (got 'bogus'); "
        "the default is impact"
    )


outcomes = st.lists(st.sampled_from([P, F, E, S]), min_size=1, max_size=4).map(tuple)
runs_strategy = st.lists(
    st.builds(
        lambda n, o, ci, rerun, repeat, pr: run(
            n, *o, ci=ci, rerun_later=rerun, repeat=repeat, pr=pr, failed_duration_s=3.0
        ),
        st.integers(0, 500),
        outcomes,
        st.booleans(),
        st.booleans(),
        st.sampled_from([1, 1, 3]),
        st.sampled_from([None, "1", "2"]),
    ),
    max_size=30,
    unique_by=lambda r: r.run_id,
)


@given(runs_strategy)
def test_counts_never_exceed_the_runs_they_count(runs: list[TestRun]) -> None:
    found = impact_of("t", runs)
    ci = [r for r in runs if r.ci]
    assert found.ci_runs_failed + found.in_run_retries <= len(ci)
    assert found.ci_reruns <= found.ci_runs_failed
    assert found.local_runs_failed == sum(1 for r in runs if not r.ci and r.failed_any)
    assert found.prs_affected <= sum(1 for r in runs if r.failed_any)
    assert found.score >= 0 and found.ci_seconds_lost >= 0


@given(runs_strategy)
def test_impact_does_not_depend_on_the_order_of_the_runs(runs: list[TestRun]) -> None:
    assert impact_of("t", runs) == impact_of("t", list(reversed(runs)))


@given(
    st.lists(
        st.tuples(st.text("abc", min_size=1, max_size=3), st.floats(0, 100), st.floats(0, 1)),
        unique_by=lambda i: i[0],
        max_size=12,
    ),
    st.sampled_from(SORT_KEYS),
)
def test_every_order_is_total_whatever_order_the_tests_come_in(
    raw: list[tuple[str, float, float]], sort: str
) -> None:
    items = [(t, TestImpact(t, score=s), r) for t, s, r in raw]
    assert _sorted(items, sort) == _sorted(list(reversed(items)), sort)
