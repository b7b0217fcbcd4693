"""The suite-health text counts in words: one run, one fix, one test, never "1 runs"."""

from __future__ import annotations

import io

from rich.console import Console

from readiness.testhealth.textreport import render_report


def rendered(report: dict[str, object]) -> list[str]:
    out = io.StringIO()
    render_report(report, Console(file=out, width=200, highlight=False, soft_wrap=True))
    return out.getvalue().splitlines()


def test_one_of_each_is_counted_in_the_singular() -> None:
    health = {
        "flaky_run_rate": 1.0,
        "flaky_runs": 1,
        "runs": 1,
        "ci_retry_rate": 0.0,
        "ci_runs": 1,
        "rerun_rate": 0.0,
        "mean_time_to_fix_s": 7200,
        "fixes": 1,
        "slow_tests": [{"mean_duration_s": 1.5, "test_key": "t.py::slow"}],
        "slow_runtime_share": 0.5,
    }
    cluster = {"tests": ["t.py::a"], "runs": ["r1"]}

    lines = rendered({"suite_health": health, "clusters": [cluster]})

    assert lines == [
        "  flaky run rate 100.0% (1 of 1 run failed on a commit that later passed)",
        "  CI retry rate 0.0% of 1 CI run; in-run rerun rate 0.0%",
        "  mean time to fix a flaky test: 2.0 h over 1 fix",
        "  slowest 1 test takes 50% of the suite's runtime:",
        "    1.50s  t.py::slow",
        "  co-failing cluster of 1 test in 1 run: t.py::a",
    ]


def test_many_are_counted_in_the_plural() -> None:
    health = {"flaky_runs": 0, "runs": 2, "ci_runs": 0, "fixes": 2, "mean_time_to_fix_s": 3600}

    lines = rendered({"suite_health": health})

    assert lines == [
        "  flaky run rate 0.0% (0 of 2 runs failed on a commit that later passed)",
        "  CI retry rate 0.0% of 0 CI runs; in-run rerun rate 0.0%",
        "  mean time to fix a flaky test: 1.0 h over 2 fixes",
    ]
