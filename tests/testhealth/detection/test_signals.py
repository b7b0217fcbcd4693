"""Flaky system or flaky test: each signal at its thresholds, its words, and the verdict."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from readiness.testhealth.detection import signals as sig
from readiness.testhealth.detection.impact import TestRun
from readiness.testhealth.detection.ranks import mann_whitney_greater
from readiness.testhealth.detection.signals import (
    KIND_SHARE,
    MIN_FAILURES,
    MIN_LOAD_RUNS,
    MIN_RUNS_PER_PLACE,
    VERDICT_SYSTEM,
    VERDICT_TEST,
    VERDICT_UNKNOWN,
    Signal,
    failure_family,
    flakiness_signals,
)
from readiness.testhealth.model import Outcome

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
_n = iter(range(1_000_000))


def ok(**kw: object) -> TestRun:
    n = next(_n)
    kw.setdefault("ci", True)
    return TestRun(run_id=n, started_at=T0 + timedelta(minutes=n), outcomes=(Outcome.PASSED,), **kw)  # type: ignore[arg-type]


def bad(kind: str | None = "assertion", message: str = "", **kw: object) -> TestRun:
    n = next(_n)
    kw.setdefault("ci", True)
    return TestRun(
        run_id=n,
        started_at=T0 + timedelta(minutes=n),
        outcomes=(Outcome.FAILED,),
        failure_kinds=(kind,),
        failure_messages=(message,),
        **kw,  # type: ignore[arg-type]
    )


def signal(runs: list[TestRun], name: str, hints: list[str] | None = None) -> Signal:
    found = flakiness_signals("t", runs, hints=hints)
    return next(s for s in found.signals if s.name == name)


# ------------------------------------------------------------------ failure kind


@pytest.mark.parametrize(
    ("kind", "message", "family"),
    [
        ("assertion", "", "wrong value"),
        ("timeout", "", "timeout"),
        ("connection", "", "connection"),
        ("error", "MemoryError: cannot grow", "out of memory"),
        ("error", "container OOMKilled", "out of memory"),
        ("error", "KeyError: 'x'", "error"),
        (None, "", "error"),
    ],
)
def test_failure_family_of_kind_and_message(kind: str | None, message: str, family: str) -> None:
    assert failure_family(kind, message) == family


def test_kinds_are_not_weighed_below_the_minimum_of_failures() -> None:
    found = signal([bad()] * (MIN_FAILURES - 1) + [ok()], "failure kind")
    assert (found.lean, found.explanation) == (
        "unknown",
        "2 failures recorded; their kinds are weighed from 3 on",
    )


def test_wrong_values_at_exactly_the_share_lean_to_the_system() -> None:
    runs = [bad()] * 7 + [bad("timeout")] * 3
    assert KIND_SHARE * 10 == 7
    found = signal(runs, "failure kind")
    assert (found.lean, found.explanation) == (
        "system",
        "7 of 10 failures are wrong values (assertion mismatches): a wrong result can come "
        "from a real race in the code",
    )
    assert found.evidence == {"failures": 10, "kinds": {"timeout": 3, "wrong value": 7}}


def test_environment_kinds_at_exactly_the_share_lean_to_the_test() -> None:
    runs = [bad("timeout")] * 4 + [bad("connection")] * 2 + [bad("error", "MemoryError")]
    found = signal([*runs, *[bad()] * 3], "failure kind")
    assert (found.lean, found.explanation) == (
        "test",
        "7 of 10 failures are timeouts, lost connections or out-of-memory errors: usually the "
        "environment (a slow or busy machine, the network), which points to the test",
    )


def test_kinds_just_below_the_share_on_both_sides_are_mixed() -> None:
    found = signal([bad()] * 6 + [bad("timeout")] * 3 + [bad("error")], "failure kind")
    assert (found.lean, found.explanation) == (
        "neutral",
        "mixed failure kinds (6 wrong values, 3 timeouts, 1 other error): neither wrong values "
        "nor environment errors reach 70%",
    )


# ------------------------------------------------------------------------ spread


def test_failing_only_in_ci_with_enough_clean_local_runs_points_to_the_test() -> None:
    runs = [bad()] * 5 + [ok()] * 5 + [ok(ci=False)] * 12
    found = signal(runs, "spread")
    assert (found.lean, found.explanation) == (
        "test",
        "fails only in CI (CI 5 of 10, local 0 of 12); 12 local runs without a failure, at its "
        "23% failure rate a chance of 4.5%: an environmental dependency of the test",
    )
    assert found.evidence["location"]["chance"] == 0.0453


def test_one_clean_local_run_fewer_could_be_luck() -> None:
    runs = [bad()] * 5 + [ok()] * 5 + [ok(ci=False)] * 11
    found = signal(runs, "spread")
    assert (found.lean, found.explanation) == (
        "neutral",
        "fails only in CI (CI 5 of 10, local 0 of 11), but 11 local runs without a failure "
        "could be luck (at its 24% failure rate a chance of 5.0%)",
    )


def test_chance_exactly_at_the_threshold_is_still_luck(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = [bad()] * 4 + [ok(ci=False)] * 4  # rate 0.5, chance 0.5**4 = 0.0625
    monkeypatch.setattr(sig, "CHANCE", 0.0625)
    assert signal(runs, "spread").lean == "neutral"
    monkeypatch.setattr(sig, "CHANCE", 0.0626)
    assert signal(runs, "spread").lean == "test"


def test_a_place_needs_the_minimum_of_runs_to_be_compared() -> None:
    runs = [bad()] * 5 + [ok()] * 5 + [ok(ci=False)] * (MIN_RUNS_PER_PLACE - 1)
    found = signal(runs, "spread")
    assert (found.lean, found.explanation) == (
        "unknown",
        "no spread to compare: it needs two places (CI and local, jobs, runners or "
        "environments) with 3 runs each and a failure among them; ingest local runs too, or "
        "tag runs with --tag runner=NAME",
    )
    runs.append(ok(ci=False))
    assert signal(runs, "spread").lean == "neutral"


def test_failing_in_ci_and_locally_points_to_the_code() -> None:
    runs = [bad()] * 2 + [ok()] * 8 + [bad(ci=False)] + [ok(ci=False)] * 4
    found = signal(runs, "spread")
    assert (found.lean, found.explanation) == (
        "system",
        "fails both in CI and locally (CI 2 of 10, local 1 of 5): failing everywhere points to "
        "the code",
    )


def test_failing_on_one_job_of_three_points_to_the_test_and_every_dimension_is_said() -> None:
    runs = (
        [bad(job="py312")] * 4
        + [ok(job="py312")] * 2
        + [ok(job="py311")] * 10
        + [ok(job="pypy")] * 10
    )
    found = signal(runs, "spread")
    assert (found.lean, found.explanation) == (
        "test",
        "fails on 1 of 3 jobs (py311 0 of 10, py312 4 of 6, pypy 0 of 10); 20 runs on the "
        "others without a failure, at its 15% failure rate a chance of 3.5%: an environmental "
        "dependency of the test",
    )


def test_failing_on_every_runner_points_to_the_code() -> None:
    runs = [bad(runner="a"), bad(runner="b")] + [ok(runner="a"), ok(runner="b")] * 3
    found = signal(runs, "spread")
    assert (found.lean, found.explanation) == (
        "system",
        "fails on all 2 runners (a 1 of 4, b 1 of 4): failing everywhere points to the code",
    )


# -------------------------------------------------------------------------- load


def _timed(failing: list[float], passing: list[float]) -> list[TestRun]:
    return [bad(run_duration_s=d) for d in failing] + [ok(run_duration_s=d) for d in passing]


def test_runs_with_nothing_but_the_test_say_nothing_about_load() -> None:
    runs = [bad(run_duration_s=1.0, test_duration_s=1.0)] * 6 + [ok(run_duration_s=2.0)] * 6
    found = signal(runs, "load")
    assert (found.lean, found.evidence) == ("unknown", {"failing_runs": 0, "passing_runs": 6})


def test_load_needs_the_minimum_of_runs_on_each_side() -> None:
    runs = _timed([600.0] * (MIN_LOAD_RUNS - 1), [300.0] * 10)
    found = signal(runs, "load")
    assert (found.lean, found.explanation) == (
        "unknown",
        "comparing run durations needs 5 runs with a failure and 5 without, with other tests "
        "in them (has 4 and 10)",
    )


def test_failing_in_longer_runs_leans_to_the_system() -> None:
    runs = _timed([600.0, 620.0, 640.0, 660.0, 680.0], [300.0, 310.0, 320.0, 330.0, 340.0])
    found = signal(runs, "load")
    assert (found.lean, found.explanation) == (
        "system",
        "runs it failed in were longer: a median 10.7 min against 5.3 min (Mann-Whitney p = "
        "0.006); failing more under load is what a real race does under contention",
    )


def test_load_without_this_tests_own_time_and_no_link_is_neutral() -> None:
    # The failing runs are only longer by the test's own (timed-out) executions.
    runs = [bad(run_duration_s=d + 30, test_duration_s=30) for d in (40, 50, 60, 70, 80)]
    runs += [ok(run_duration_s=d) for d in (45, 55, 65, 75, 85)]
    found = signal(runs, "load")
    assert (found.lean, found.explanation) == (
        "neutral",
        "no link with load: runs it failed in took a median 1.0 min, runs it passed in 1.1 min "
        "(Mann-Whitney p = 0.73)",
    )


def test_load_significance_exactly_at_alpha_is_not_a_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failing, passing = [600.0, 620.0, 640.0, 660.0, 680.0], [300.0, 310.0, 320.0, 330.0, 340.0]
    p = mann_whitney_greater(failing, passing).p
    monkeypatch.setattr(sig, "LOAD_ALPHA", p)
    assert signal(_timed(failing, passing), "load").lean == "neutral"
    monkeypatch.setattr(sig, "LOAD_ALPHA", math.nextafter(p, 1.0))
    assert signal(_timed(failing, passing), "load").lean == "system"


# ------------------------------------------------------------------------ source


def test_source_hints_point_to_the_test_and_missing_source_is_unknown() -> None:
    runs = [bad(), ok()]
    found = signal(runs, "source", hints=["sleep", "hard-coded-port", "sleep"])
    assert (found.lean, found.explanation) == (
        "test",
        "its source has 3 determinism hints (hard-coded-port, sleep): a test that sleeps, "
        "shares state or reads the clock is the likely culprit",
    )
    assert signal(runs, "source", hints=[]).lean == "neutral"
    assert signal(runs, "source", hints=None).explanation == (
        "its source is not at hand to look for sleeps, hard-coded ports, shared state or "
        "clock reads"
    )


# ----------------------------------------------------------------------- verdict


def test_wrong_values_everywhere_look_like_a_flaky_system() -> None:
    runs = [bad(), bad(), bad(ci=False)] + [ok()] * 5 + [ok(ci=False)] * 4
    found = flakiness_signals("t", runs, hints=[])
    assert found.verdict == VERDICT_SYSTEM
    assert found.explanation == (
        "Looks like a flaky system: 2 signals point to the code under test and 0 to the test. "
        "Before quarantining, look for a real race or leak in the code: a quarantine would "
        "hide it."
    )


def test_timeouts_only_in_ci_with_a_sleep_look_like_a_flaky_test() -> None:
    runs = [bad("timeout")] * 5 + [ok()] * 5 + [ok(ci=False)] * 20
    found = flakiness_signals("t", runs, hints=["sleep"])
    assert found.verdict == VERDICT_TEST
    assert found.explanation == (
        "Looks like a flaky test: 3 signals point to the test and 0 to the code under test. "
        "Fix the test: isolate its data, wait on conditions, stub the network, inject the "
        "clock."
    )


def test_disagreeing_signals_are_not_enough_evidence() -> None:
    runs = [bad()] * 3 + [ok()] * 7
    found = flakiness_signals("t", runs, hints=["sleep"])
    assert (found.verdict, found.explanation) == (
        VERDICT_UNKNOWN,
        "Not enough evidence: the signals disagree (1 to the test, 1 to the code under test). "
        "Spend half an hour on the failure mode before quarantining.",
    )


def test_no_lean_at_all_is_not_enough_evidence() -> None:
    found = flakiness_signals("t", [bad(), ok()])
    assert (found.verdict, found.explanation) == (
        VERDICT_UNKNOWN,
        "Not enough evidence: no signal leans either way yet. Ingest more runs, local runs, or "
        "runs tagged with --tag runner=NAME.",
    )


def test_a_test_that_never_failed_or_always_failed_has_nothing_to_tell_apart() -> None:
    assert flakiness_signals("t", [ok()] * 3).explanation == (
        "Not enough evidence: it did not fail in the detection window, so there is nothing to "
        "tell apart."
    )
    always = flakiness_signals("t", [bad()] * 8 + [bad(ci=False)] * 4, hints=[])
    assert (always.verdict, always.explanation) == (
        VERDICT_UNKNOWN,
        "Not enough evidence: it failed in every run it had, so it is broken, not flaky: fix "
        "what fails.",
    )


def test_skipped_runs_are_not_counted() -> None:
    skipped = TestRun(run_id=-1, started_at=T0, outcomes=(Outcome.SKIPPED,), ci=False)
    found = flakiness_signals("t", [bad(), ok(), skipped])
    assert signal([bad(), ok(), skipped], "spread").lean == "unknown"
    assert found.verdict == VERDICT_UNKNOWN
