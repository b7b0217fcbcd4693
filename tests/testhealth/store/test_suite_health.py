"""The five suite-health metrics, exact on hand-built inputs and loaded from both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from readiness.errors import InputError
from readiness.storage.engine import Stores
from readiness.testhealth.detection.model import (
    QuarantinePoint,
    QuarantineSpan,
    RunSummary,
    SlowTest,
    SuiteHealthInputs,
    TestDuration,
    TrendPoint,
)
from readiness.testhealth.detection.stats import percentile
from readiness.testhealth.detection.suite import quarantine_trend, suite_health
from readiness.testhealth.store import history as history_queries
from tests.testhealth._history import T0, History

DAY1 = datetime(2026, 3, 1, tzinfo=UTC)


def run(i: int, commit: str, *, failed: int = 0, hours: int = 0, **kw: object) -> RunSummary:
    defaults: dict[str, object] = {"ci_run_id": f"ci-{i}", "attempt": 1, "reruns": 0}
    defaults.update(kw)
    return RunSummary(
        run_id=i,
        commit=commit,
        started_at=DAY1 + timedelta(hours=hours),
        duration_s=float(defaults.pop("duration_s", 100.0)),  # type: ignore[arg-type]
        failed=failed,
        **defaults,  # type: ignore[arg-type]
    )


def test_percentile_interpolates_between_closest_ranks() -> None:
    assert (percentile([1, 2, 3, 4], 0.5), percentile([10.0], 0.95)) == (2.5, 10.0)
    assert percentile([0, 10, 20, 30, 40], 0.95) == 38.0


def test_percentile_of_nothing_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no values"):
        percentile([], 0.5)


def test_suite_duration_is_trended_per_utc_day() -> None:
    runs = [
        run(1, "a", hours=1, duration_s=100.0),
        run(2, "b", hours=2, duration_s=200.0),
        run(3, "c", hours=25, duration_s=50.0),
    ]
    health = suite_health(SuiteHealthInputs(tuple(runs)), slow_share=0.05, days=[])
    assert health.duration_trend == (
        TrendPoint("2026-03-01", 2, 150.0, 195.0),
        TrendPoint("2026-03-02", 1, 50.0, 50.0),
    )


def test_flaky_run_rate_counts_failed_runs_whose_commit_later_passed() -> None:
    runs = [
        run(1, "a", failed=2, hours=0),  # a passes later: flaky
        run(2, "a", failed=0, hours=1),
        run(3, "b", failed=1, hours=2),  # b never passes: a real failure
        run(4, "c", failed=0, hours=3),
        run(5, "c", failed=1, hours=4),  # c passed only before: not flaky
    ]
    health = suite_health(SuiteHealthInputs(tuple(runs)), slow_share=0.05, days=[])
    assert (health.runs, health.flaky_runs, health.flaky_run_rate) == (5, 1, 0.2)


def test_ci_retry_rate_is_the_share_of_ci_runs_re_triggered() -> None:
    runs = [
        run(1, "a", ci_run_id="x", attempt=1, reruns=3),
        run(2, "a", ci_run_id="x", attempt=2),
        run(3, "b", ci_run_id="y", attempt=1),
        run(4, "c", ci_run_id="z", attempt=1, reruns=1),
    ]
    health = suite_health(SuiteHealthInputs(tuple(runs)), slow_share=0.05, days=[])
    assert (health.ci_runs, health.ci_retry_rate, health.rerun_rate) == (3, 1 / 3, 0.5)


def test_quarantine_size_is_counted_at_the_end_of_each_day() -> None:
    spans = [
        QuarantineSpan("a", DAY1 + timedelta(hours=5), DAY1 + timedelta(days=2, hours=1)),
        QuarantineSpan("b", DAY1 + timedelta(days=1, hours=3), None),
        QuarantineSpan("c", DAY1 + timedelta(hours=1), DAY1 + timedelta(hours=2)),
    ]
    days = [date(2026, 2, 28) + timedelta(days=i) for i in range(5)]
    assert quarantine_trend(spans, days) == [
        QuarantinePoint("2026-02-28", 0),
        QuarantinePoint("2026-03-01", 1),
        QuarantinePoint("2026-03-02", 2),
        QuarantinePoint("2026-03-03", 1),
        QuarantinePoint("2026-03-04", 1),
    ]


def test_mean_time_to_fix_counts_removals_preceded_by_a_fixed_verification() -> None:
    spans = (
        QuarantineSpan("a", DAY1, DAY1 + timedelta(days=2)),  # fixed on day 1: 2 days
        QuarantineSpan("b", DAY1, DAY1 + timedelta(days=4)),  # fixed on day 3: 4 days
        QuarantineSpan("c", DAY1, DAY1 + timedelta(days=1)),  # removed without a fix
        QuarantineSpan("d", DAY1, None),  # still quarantined
    )
    fixes = (
        ("a", DAY1 + timedelta(days=1)),
        ("b", DAY1 + timedelta(days=3)),
        ("c", DAY1 - timedelta(days=1)),  # before quarantine: does not count
        ("d", DAY1 + timedelta(days=1)),
    )
    health = suite_health(SuiteHealthInputs((), spans, fixes), slow_share=0.05, days=[])
    assert (health.fixes, health.mean_time_to_fix_s) == (2, 3 * 86400.0)


def test_no_fixes_means_no_mean_time_to_fix() -> None:
    health = suite_health(SuiteHealthInputs(()), slow_share=0.05, days=[])
    assert (health.fixes, health.mean_time_to_fix_s, health.flaky_run_rate) == (0, None, 0.0)


def test_the_slowest_share_of_tests_and_their_share_of_runtime() -> None:
    durations = (
        *(TestDuration(f"t{i:02d}", 1.0, 10) for i in range(38)),
        TestDuration("slow1", 30.0, 10),
        TestDuration("slow2", 32.0, 10),
    )
    health = suite_health(SuiteHealthInputs((), durations=durations), slow_share=0.05, days=[])
    # 5% of 40 tests is 2 tests: 62 s of a 100 s suite.
    assert health.slow_tests == (SlowTest("slow2", 32.0, 0.32), SlowTest("slow1", 30.0, 0.30))
    assert health.slow_runtime_share == pytest.approx(0.62, abs=1e-12)


def test_suite_health_inputs_load_counted_runs_quarantine_fixes_and_durations(
    stores: Stores,
) -> None:
    h = History(stores.state)
    h.run({"a": "F", "b": "P"}, commit="x", ci_run_id="ci-1", duration_s=90.0)
    h.run({"a": "P", "b": "P"}, commit="x", ci_run_id="ci-1", ci_attempt=2, duration_s=110.0)
    h.run({"a": "F", "b": "F"}, commit="y", infra=True)
    h.quarantine("a", T0, T0 + timedelta(days=2))
    h.fix("a", T0 + timedelta(days=1))
    h.fix("b", T0 + timedelta(days=1), verdict="still-flaky")
    inputs = history_queries.load_suite_health_inputs(stores.state, project="default")
    health = suite_health(inputs, slow_share=0.5, days=[T0.date()])
    assert sorted((r.commit, r.attempt, r.failed) for r in inputs.runs) == [
        ("x", 1, 1),
        ("x", 2, 0),
    ]
    assert health.duration_trend == (TrendPoint("2026-03-01", 2, 100.0, 109.0),)
    assert (health.flaky_runs, health.ci_runs, health.ci_retry_rate) == (1, 1, 1.0)
    assert health.quarantine_trend == (QuarantinePoint("2026-03-01", 1),)
    assert (health.fixes, health.mean_time_to_fix_s) == (1, 2 * 86400.0)
    assert sorted(inputs.durations, key=lambda d: d.test_key) == [
        TestDuration("a", 1.0, 2),
        TestDuration("b", 1.0, 2),
    ]


def test_suite_health_inputs_can_be_limited_to_a_time_range(stores: Stores) -> None:
    h = History(stores.state)
    h.series({"a": "PPP"})
    inputs = history_queries.load_suite_health_inputs(
        stores.state,
        project="default",
        since=T0 + timedelta(hours=1),
        until=T0 + timedelta(hours=2),
    )
    assert [r.commit for r in inputs.runs] == ["c001"]
