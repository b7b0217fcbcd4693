"""Gate history: every evaluation stored per project, listed newest first, trends by day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness._common.clock import FrozenClock
from readiness.audit.service import list_events
from readiness.config import Settings
from readiness.gate.history import CheckLine, DayTrend, GateRun, daily_trend, gate_run_of
from readiness.gate.model import CheckOutcome, CheckResult, CheckStatus, Gate, GateReport
from readiness.gate.service import list_gate_runs, record_gate_run, run_gate_for
from readiness.projects.service import ProjectService
from readiness.storage.engine import Stores

AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
HEAD = "a" * 64


def report(
    status: CheckStatus = CheckStatus.FAIL, summary: str = "1 of 3 tests failed: t"
) -> GateReport:
    outcomes = (
        CheckOutcome("tests.passed", "T", "I", CheckResult(status, summary, {"x": 1}), 0.1),
        CheckOutcome("tests.no_new_flaky", "T", "I", CheckResult(CheckStatus.PASS, "fine"), 0.2),
    )
    return GateReport(Gate.MERGE, outcomes, base="b" * 40, head=HEAD)


def run_at(
    at: datetime, verdict: str = "pass", duration_s: float = 1.0, project: str = "shop"
) -> GateRun:
    return GateRun(project, "merge", "c0ffee", None, verdict, (), duration_s, at, "ci")


def test_a_report_is_stored_as_its_verdict_and_each_checks_status_and_summary() -> None:
    run = gate_run_of(report(), project="shop", duration_s=1.25, at=AT, by="ci-bot")

    assert run == GateRun(
        project="shop",
        gate="merge",
        commit=HEAD,
        base="b" * 40,
        verdict="fail",
        checks=(
            CheckLine("tests.passed", "fail", "1 of 3 tests failed: t"),
            CheckLine("tests.no_new_flaky", "pass", "fine"),
        ),
        duration_s=1.25,
        at=AT,
        by="ci-bot",
    )


def test_a_long_summary_is_cut_to_500_characters_with_an_ellipsis() -> None:
    run = gate_run_of(report(summary="x" * 600), project="shop", duration_s=0.0, at=AT, by="ci")

    assert run.checks[0].summary == "x" * 499 + "…"


def test_a_stored_run_reads_back_equal_with_its_id(stores: Stores, clock: FrozenClock) -> None:
    run = gate_run_of(report(), project="shop", duration_s=1.25, at=AT, by="ci-bot")

    stored = record_gate_run(stores, run, clock=clock)
    runs, total = list_gate_runs(stores, "shop")

    assert stored.id is not None
    assert (runs, total) == ([stored], 1)
    assert stored == replace(run, id=stored.id)


def test_recording_a_run_creates_its_project_with_an_audit_event(
    stores: Stores, clock: FrozenClock
) -> None:
    record_gate_run(stores, run_at(AT, project="new-app"), clock=clock)

    assert ProjectService(stores=stores, clock=clock).find("new-app") is not None
    events = list_events(stores, limit=10, action_prefix="project.")
    assert [(e.action, e.actor_id, e.target) for e in events] == [
        ("project.create", "ci", "project:1")
    ]


def test_runs_are_listed_newest_first_per_project_and_gate_with_paging(
    stores: Stores, clock: FrozenClock
) -> None:
    for hours in range(5):
        record_gate_run(stores, run_at(AT + timedelta(hours=hours)), clock=clock)
    record_gate_run(stores, run_at(AT, project="other"), clock=clock)
    deploy = GateRun("shop", "deploy", None, None, "pass", (), 0.5, AT, "ci")
    record_gate_run(stores, deploy, clock=clock)

    page, total = list_gate_runs(stores, "shop", gate="merge", limit=2, offset=1)

    assert total == 5
    assert [r.at for r in page] == [AT + timedelta(hours=3), AT + timedelta(hours=2)]
    assert list_gate_runs(stores, "shop")[1] == 6
    assert [r.gate for r in list_gate_runs(stores, "shop", gate="deploy")[0]] == ["deploy"]


def test_the_daily_trend_counts_passes_and_takes_the_median_duration() -> None:
    runs = [
        run_at(AT, "pass", 1.0),
        run_at(AT + timedelta(hours=1), "fail", 3.0),
        run_at(AT + timedelta(hours=2), "pass", 2.0),
        run_at(AT + timedelta(days=2), "error", 5.0),
    ]

    assert daily_trend(reversed(runs)) == [
        DayTrend(date(2026, 3, 10), runs=3, passed=2, median_duration_s=2.0),
        DayTrend(date(2026, 3, 12), runs=1, passed=0, median_duration_s=5.0),
    ]
    assert daily_trend(runs)[0].pass_rate == pytest.approx(2 / 3)


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=24 * 30),
            st.sampled_from(["pass", "fail", "error"]),
        ),
        max_size=40,
    )
)
def test_the_trend_accounts_for_every_run_and_every_pass_once(
    spec: list[tuple[int, str]],
) -> None:
    runs = [run_at(AT + timedelta(hours=h), v) for h, v in spec]

    trend = daily_trend(runs)

    assert sum(d.runs for d in trend) == len(runs)
    assert sum(d.passed for d in trend) == sum(1 for r in runs if r.verdict == "pass")
    assert [d.day for d in trend] == sorted({r.at.date() for r in runs})


def test_a_local_gate_run_is_stored_in_the_project_s_database_with_its_duration(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    ticks = iter(range(100))

    run_gate_for(
        Gate.MERGE,
        settings=backend_settings,
        clock=clock,
        head="c0ffee",
        timer=lambda: next(ticks) / 2,
        actor="ci-bot",
    )

    (stored,), total = list_gate_runs(stores, backend_settings.project)
    assert (total, stored.gate, stored.commit, stored.verdict, stored.by) == (
        1,
        "merge",
        "c0ffee",
        "fail",
        "ci-bot",
    )
    assert (stored.at, stored.duration_s) == (clock.now(), 11.5)  # 23 ticks: 2 per check, 1 end


def test_a_gate_run_with_record_off_stores_nothing(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    run_gate_for(
        Gate.MERGE, settings=backend_settings, clock=clock, timer=lambda: 0.0, record=False
    )

    assert list_gate_runs(stores, backend_settings.project) == ([], 0)


def test_the_trend_reads_verdicts_and_durations_of_the_newest_runs_only(
    stores: Stores, clock: FrozenClock
) -> None:
    from readiness.gate.service import gate_trend

    for hours, verdict in ((0, "pass"), (1, "fail"), (25, "pass"), (26, "pass")):
        record_gate_run(stores, run_at(AT + timedelta(hours=hours), verdict), clock=clock)

    assert gate_trend(stores, "shop", runs=3) == [
        DayTrend(date(2026, 3, 10), runs=1, passed=0, median_duration_s=1.0),
        DayTrend(date(2026, 3, 11), runs=2, passed=2, median_duration_s=1.0),
    ]
