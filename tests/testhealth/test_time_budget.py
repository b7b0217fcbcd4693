"""The gate check tests.time_budget, on in-memory facts; its Markdown in a PR comment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from readiness._common.clock import FrozenClock
from readiness.config import Settings, load_settings
from readiness.gate.model import CheckResult, CheckStatus, Gate, GateContext
from readiness.gate.runner import run_gate
from readiness.testhealth.detection.budget import (
    RunDuration,
    added_time,
    seconds,
    suite_duration,
)
from readiness.testhealth.time_budget import TimeBudgetCheck, TimeBudgetFacts

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
SLOW, NEW, OLD = (
    "tests/test_a.py::test_slow",
    "tests/test_b.py::test_new",
    "tests/test_c.py::test_old",
)


@dataclass
class FakeBudgetFacts:
    """Runs per commit; the default branch's commits newest first."""

    runs: dict[str, list[RunDuration]] = field(default_factory=dict)
    branch: list[str] = field(default_factory=list)

    def recent_commits(self, limit: int) -> Sequence[str | None]:
        return list(self.runs)[:limit]

    def run_durations(self, commit: str) -> Sequence[RunDuration]:
        return self.runs.get(commit, [])

    def base_commits(self, exclude: str | None, limit: int) -> Sequence[str]:
        return [c for c in self.branch if c != exclude][:limit]


def _typed(facts: FakeBudgetFacts) -> TimeBudgetFacts:
    return facts  # mypy proves the fake implements the protocol


def run(duration: float, tests: dict[str, float] | None = None, job: str = "test") -> RunDuration:
    return RunDuration(job, duration, tests or {})


def judge(facts: FakeBudgetFacts, settings: Settings, head: str | None = "head1") -> CheckResult:
    context = GateContext(
        gate=Gate.MERGE,
        root=Path(),
        settings=settings,
        clock=FrozenClock(NOW),
        base="base1",
        head=head,
        services={"testhealth": _typed(facts)},
    )
    return TimeBudgetCheck().run(context)


def with_base(head_runs: list[RunDuration], base_s: float = 100.0) -> FakeBudgetFacts:
    return FakeBudgetFacts(
        runs={"head1": head_runs, "base1": [run(base_s, {OLD: base_s})]}, branch=["base1"]
    )


def test_a_suite_exactly_at_its_budget_passes(settings: Settings) -> None:
    result = judge(with_base([run(300.0)], base_s=290.0), settings)

    assert (result.status, result.summary) == (
        CheckStatus.PASS,
        "The suite took 300 s of its 300 s budget, 10 s more than main's median (290 s)",
    )


def test_a_suite_a_millisecond_over_its_budget_fails_naming_what_added_the_most(
    settings: Settings,
) -> None:
    result = judge(with_base([run(300.001, {SLOW: 200.001, OLD: 100.0})], 290.0), settings)

    assert result.status is CheckStatus.FAIL
    assert result.summary == (
        "The suite took 300.001 s, 0.001 s over its 300 s budget; "
        "10.001 s more than main's median (290 s)"
    )
    assert result.remediation == (
        "Make the slowest tests faster (fakes instead of real services, no sleeps) or move "
        f"them to the full suite; added the most: {SLOW} (+200.001 s)."
    )
    assert result.missing_evidence is False


def test_a_change_adding_more_than_thirty_seconds_warns_with_the_tests_that_added_it(
    settings: Settings,
) -> None:
    head = [run(145.5, {OLD: 100.0, SLOW: 30.5, NEW: 15.0})]

    result = judge(with_base(head), settings)

    assert result.status is CheckStatus.WARN
    assert result.summary == (
        "The suite took 145.5 s of its 300 s budget, 45.5 s more than main's median "
        "(100 s): over the 30 s a change may add"
    )
    assert result.remediation == (
        f"Added the most: {SLOW} (+30.5 s), {NEW} (+15 s). Could they be unit tests with "
        "fakes, or belong in the full suite?"
    )
    assert result.evidence["most_added"] == [
        {"test_id": SLOW, "added_s": 30.5},
        {"test_id": NEW, "added_s": 15.0},
    ]


def test_exactly_thirty_seconds_added_passes(settings: Settings) -> None:
    result = judge(with_base([run(130.0)]), settings)

    assert (result.status, result.summary) == (
        CheckStatus.PASS,
        "The suite took 130 s of its 300 s budget, 30 s more than main's median (100 s)",
    )


def test_a_faster_suite_says_how_much_time_it_saved(settings: Settings) -> None:
    result = judge(with_base([run(90.0)]), settings)

    assert result.summary == (
        "The suite took 90 s of its 300 s budget, 10 s less than main's median (100 s)"
    )


def test_no_run_of_head_fails_as_missing_evidence(settings: Settings) -> None:
    facts = FakeBudgetFacts(runs={"other": [run(10.0)]}, branch=["other"])

    result = judge(facts, settings)

    assert (result.status, result.missing_evidence) == (CheckStatus.FAIL, True)
    assert result.summary == "No test run recorded for commit head1"


def test_no_base_branch_history_fails_as_missing_evidence(settings: Settings) -> None:
    facts = FakeBudgetFacts(runs={"head1": [run(120.0)]}, branch=["head1"])

    result = judge(facts, settings)

    assert (result.status, result.missing_evidence) == (CheckStatus.FAIL, True)
    assert result.summary == (
        "The suite took 120 s of its 300 s budget; no run of main is recorded to compare with"
    )
    assert result.remediation == (
        "Ingest the test reports of main too (`readiness tests ingest report.xml --branch "
        "main` in its CI), so that a change's added time can be measured."
    )


def test_missing_base_history_warns_with_allow_missing(settings: Settings) -> None:
    facts = FakeBudgetFacts(runs={"head1": [run(120.0)]})
    context = GateContext(
        gate=Gate.MERGE,
        root=Path(),
        settings=settings,
        clock=FrozenClock(NOW),
        head="head1",
        services={"testhealth": facts},
    )

    report = run_gate(
        Gate.MERGE, [TimeBudgetCheck()], context, timer=lambda: 0.0, allow_missing=("tests.*",)
    )

    assert [o.result.status for o in report.outcomes] == [CheckStatus.WARN]


def test_the_budget_and_the_allowed_addition_come_from_the_configuration(
    project_dir: Path,
) -> None:
    (project_dir / "readiness.toml").write_text(
        "[testhealth]\ntime_budget_s = 120\ntime_budget_added_s = 5\n", encoding="utf-8"
    )
    settings = load_settings(project_dir, environ={})

    result = judge(with_base([run(106.0)]), settings)

    assert (result.status, result.summary) == (
        CheckStatus.WARN,
        "The suite took 106 s of its 120 s budget, 6 s more than main's median (100 s): "
        "over the 5 s a change may add",
    )


def test_shards_add_up_and_reruns_of_one_job_take_the_median() -> None:
    runs = [run(100.0, job="shard 1/2"), run(120.0, job="shard 1/2"), run(110.0, job="shard 1/2")]
    runs.append(run(50.0, job="shard 2/2"))

    assert suite_duration(runs) == 160.0


def test_a_new_test_adds_all_its_time_and_a_faster_one_adds_none() -> None:
    head = [run(0, {NEW: 4.0, OLD: 1.0, SLOW: 9.0})]
    base = [[run(0, {OLD: 2.0, SLOW: 5.0})], [run(0, {OLD: 2.0, SLOW: 7.0})]]

    assert [(a.test_id, a.added_s) for a in added_time(head, base)] == [(NEW, 4.0), (SLOW, 3.0)]


@pytest.mark.parametrize(
    ("value", "text"), [(300.0, "300 s"), (300.001, "300.001 s"), (12.5, "12.5 s"), (0.0, "0 s")]
)
def test_seconds_are_shown_with_up_to_three_decimals(value: float, text: str) -> None:
    assert seconds(value) == text


def test_the_pr_comment_shows_the_verdict_and_what_to_do(settings: Settings) -> None:
    from readiness.gate.render.markdown import render_markdown

    context = GateContext(
        gate=Gate.MERGE,
        root=Path(),
        settings=settings,
        clock=FrozenClock(NOW),
        head="head1",
        services={"testhealth": with_base([run(145.5, {SLOW: 45.5, OLD: 100.0})])},
    )
    report = run_gate(Gate.MERGE, [TimeBudgetCheck()], context, timer=lambda: 0.0)

    markdown = render_markdown(report)

    assert "The suite took 145.5 s of its 300 s budget, 45.5 s more than main" in markdown
    assert f"Added the most: {SLOW} (+45.5 s)." in markdown
    assert "{" not in markdown  # no raw evidence JSON in the comment
