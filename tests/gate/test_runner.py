"""The gate runner: collecting checks from plugins, running them, the exit code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pluggy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.errors import ConfigError, GateError, InputError
from readiness.gate.model import (
    Check,
    CheckOutcome,
    CheckResult,
    CheckStatus,
    Gate,
    GateContext,
    GateReport,
)
from readiness.gate.runner import collect_checks, exit_code, run_gate, verdict, verdict_reason
from readiness.plugins import hookimpl, hookspecs


@dataclass
class FakeCheck:
    """A check that returns a fixed result or raises; records the contexts it saw."""

    id: str
    result: CheckResult | None = None
    raises: BaseException | None = None
    title: str = "A fake check"
    checklist_item: str = "Something the handbook asks for."
    gates: tuple[Gate, ...] = (Gate.MERGE,)
    seen: list[GateContext] = field(default_factory=list)

    def run(self, context: GateContext) -> CheckResult:
        self.seen.append(context)
        if self.raises is not None:
            raise self.raises
        assert self.result is not None
        return self.result


def passing(check_id: str, **kwargs: Any) -> FakeCheck:
    return FakeCheck(check_id, CheckResult(CheckStatus.PASS, f"{check_id} ok"), **kwargs)


def ticking(step: float = 0.5) -> Callable[[], float]:
    """A timer that advances by ``step`` seconds on every call."""
    ticks: Iterator[float] = iter(i * step for i in range(10_000))
    return lambda: next(ticks)


NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


@pytest.fixture
def context(settings: Settings, clock: FrozenClock, tmp_path: Path) -> GateContext:
    return GateContext(gate=Gate.MERGE, root=tmp_path, settings=settings, clock=clock)


def statuses(report: GateReport) -> list[tuple[str, CheckStatus]]:
    return [(o.id, o.result.status) for o in report.outcomes]


def test_checks_run_in_id_order_whatever_order_they_arrive_in(context: GateContext) -> None:
    checks = [passing("z.last"), passing("a.first"), passing("m.middle")]

    report = run_gate(Gate.MERGE, checks, context, timer=ticking())

    assert [o.id for o in report.outcomes] == ["a.first", "m.middle", "z.last"]
    assert report.gate is Gate.MERGE


def test_every_check_receives_the_context(context: GateContext) -> None:
    check = passing("tests.passed")

    run_gate(Gate.MERGE, [check], context, timer=ticking())

    assert check.seen == [context]


def test_outcome_carries_the_check_title_checklist_item_and_result(context: GateContext) -> None:
    check = FakeCheck(
        "tests.passed",
        CheckResult(CheckStatus.WARN, "careful", {"n": 1}, "do this"),
        title="Tests pass",
        checklist_item="Quarantine flaky tests.",
    )

    report = run_gate(Gate.MERGE, [check], context, timer=ticking(0.25))

    assert report.outcomes == (
        CheckOutcome(
            id="tests.passed",
            title="Tests pass",
            checklist_item="Quarantine flaky tests.",
            result=CheckResult(CheckStatus.WARN, "careful", {"n": 1}, "do this"),
            duration_s=0.25,
        ),
    )


def test_duration_is_measured_with_the_injected_timer(context: GateContext) -> None:
    readings = iter([10.0, 11.5, 20.0, 22.5])

    report = run_gate(
        Gate.MERGE, [passing("a.one"), passing("b.two")], context, timer=lambda: next(readings)
    )

    assert [o.duration_s for o in report.outcomes] == [1.5, 2.5]


def test_a_check_raising_a_readiness_error_becomes_error_with_its_message(
    context: GateContext,
) -> None:
    broken = FakeCheck(
        "db.reachable",
        raises=GateError("database at db:5432 refused the connection", details={"port": 5432}),
    )

    report = run_gate(Gate.MERGE, [broken, passing("tests.passed")], context, timer=ticking())

    result = report.outcomes[0].result
    assert result.status is CheckStatus.ERROR
    assert result.summary == "database at db:5432 refused the connection"
    assert result.evidence == {"exception": "GateError", "details": {"port": 5432}}
    assert result.remediation == (
        "The check could not run: fix the environment it names and rerun the gate."
    )
    assert report.outcomes[1].result.status is CheckStatus.PASS


def test_a_check_raising_any_exception_becomes_error_and_never_propagates(
    context: GateContext,
) -> None:
    broken = FakeCheck("flaky.plugin", raises=KeyError("services"))

    report = run_gate(Gate.MERGE, [broken], context, timer=ticking())

    assert report.outcomes[0].result.status is CheckStatus.ERROR
    assert report.outcomes[0].result.summary == "KeyError: 'services'"
    assert report.outcomes[0].result.evidence == {"exception": "KeyError"}


def test_a_check_returning_something_else_than_a_result_becomes_error(
    context: GateContext,
) -> None:
    class Sloppy:
        id = "sloppy.check"
        title = "Sloppy"
        checklist_item = "x"
        gates: tuple[Gate, ...] = (Gate.MERGE,)

        def run(self, context: GateContext) -> Any:
            return "pass"

    report = run_gate(Gate.MERGE, [Sloppy()], context, timer=ticking())

    assert report.outcomes[0].result.status is CheckStatus.ERROR
    assert report.outcomes[0].result.summary == (
        "check 'sloppy.check' returned str, expected a CheckResult"
    )


def test_select_keeps_only_checks_matching_a_glob(context: GateContext) -> None:
    checks = [passing("tests.passed"), passing("tests.no_new_flaky"), passing("flags.stale")]

    report = run_gate(Gate.MERGE, checks, context, timer=ticking(), select=["tests.*"])

    assert [o.id for o in report.outcomes] == ["tests.no_new_flaky", "tests.passed"]


def test_a_select_pattern_matching_no_check_is_an_input_error(context: GateContext) -> None:
    with pytest.raises(InputError) as raised:
        run_gate(Gate.MERGE, [passing("tests.passed")], context, timer=ticking(), select=["test.*"])

    assert str(raised.value) == (
        "--select 'test.*' matches no check of the merge gate (checks: tests.passed); "
        "fix the pattern or drop it"
    )


def test_skipped_checks_are_reported_as_skip_without_running(context: GateContext) -> None:
    would_break = FakeCheck("tests.passed", raises=RuntimeError("must not run"))

    report = run_gate(
        Gate.MERGE,
        [would_break, passing("flags.stale")],
        context,
        timer=ticking(),
        skip=["tests.*"],
    )

    assert would_break.seen == []
    assert report.outcomes[1] == CheckOutcome(
        id="tests.passed",
        title="A fake check",
        checklist_item="Something the handbook asks for.",
        result=CheckResult(CheckStatus.SKIP, "skipped by --skip 'tests.*'"),
        duration_s=0.0,
    )


def test_a_gate_with_no_checks_is_a_config_error_naming_the_gate(context: GateContext) -> None:
    with pytest.raises(ConfigError) as raised:
        run_gate(Gate.DEPLOY, [], context, timer=ticking())

    assert str(raised.value) == (
        "the deploy gate has no checks: no installed plugin contributes one; add checks through "
        "a plugin's readiness_gate_checks hook (see 'Contributing checks from a plugin' in "
        "docs/gate.md)"
    )


def test_a_gate_whose_every_check_was_skipped_is_an_error_with_the_reason(
    context: GateContext,
) -> None:
    checks = [passing("tests.passed"), passing("flags.stale")]

    report = run_gate(Gate.MERGE, checks, context, timer=ticking(), skip=["*"])

    assert (verdict(report), exit_code(report), verdict_reason(report)) == (
        "error",
        2,
        "every check was skipped, so the merge gate verified nothing and cannot pass; run at "
        "least one check (narrow --skip, or provide what the skipped checks need)",
    )


def test_one_check_that_ran_among_skipped_ones_lets_the_gate_pass(context: GateContext) -> None:
    skipping = FakeCheck("flags.stale", CheckResult(CheckStatus.SKIP, "No flags configured"))

    report = run_gate(Gate.MERGE, [skipping, passing("tests.passed")], context, timer=ticking())

    assert (verdict(report), exit_code(report), verdict_reason(report)) == ("pass", 0, None)


# --- missing evidence -------------------------------------------------------------------------


def missing(check_id: str) -> FakeCheck:
    """A check that fails because the evidence it reads was never recorded."""
    result = CheckResult(
        CheckStatus.FAIL,
        "No test run recorded for commit abc1234",
        {"commit": "abc1234"},
        "Ingest it.",
        missing_evidence=True,
    )
    return FakeCheck(check_id, result)


def test_a_missing_evidence_failure_fails_the_gate_unless_allowed(context: GateContext) -> None:
    report = run_gate(Gate.MERGE, [missing("tests.passed")], context, timer=ticking())

    assert (report.outcomes[0].result.status, exit_code(report)) == (CheckStatus.FAIL, 1)


def test_allow_missing_turns_a_matching_missing_evidence_failure_into_a_named_warning(
    context: GateContext,
) -> None:
    report = run_gate(
        Gate.MERGE,
        [missing("tests.passed"), passing("flags.stale")],
        context,
        timer=ticking(),
        allow_missing=["flags.*", "tests.*", "tests.passed"],
    )

    assert report.outcomes[1].result == CheckResult(
        CheckStatus.WARN,
        "No test run recorded for commit abc1234 (missing evidence allowed by --allow-missing "
        "'tests.*')",
        {"commit": "abc1234"},
        "Ingest it.",
        missing_evidence=True,
        allowed_by="tests.*",
    )
    assert exit_code(report) == 0


def test_allow_missing_leaves_missing_evidence_of_other_checks_failing(
    context: GateContext,
) -> None:
    report = run_gate(
        Gate.MERGE,
        [missing("tests.passed"), missing("flags.stale")],
        context,
        timer=ticking(),
        allow_missing=["flags.*"],
    )

    assert statuses(report) == [
        ("flags.stale", CheckStatus.WARN),
        ("tests.passed", CheckStatus.FAIL),
    ]


def test_allow_missing_never_excuses_a_failure_that_is_a_finding(context: GateContext) -> None:
    finding = FakeCheck("tests.passed", CheckResult(CheckStatus.FAIL, "2 of 9 tests failed"))

    report = run_gate(Gate.MERGE, [finding], context, timer=ticking(), allow_missing=["*"])

    assert report.outcomes[0].result == CheckResult(CheckStatus.FAIL, "2 of 9 tests failed")


def test_the_missing_evidence_marker_on_a_pass_changes_nothing(context: GateContext) -> None:
    marked = CheckResult(CheckStatus.PASS, "fine", missing_evidence=True)

    report = run_gate(
        Gate.MERGE,
        [FakeCheck("tests.passed", marked)],
        context,
        timer=ticking(),
        allow_missing=["*"],
    )

    assert report.outcomes[0].result == marked


def test_an_allow_missing_pattern_matching_no_check_is_an_input_error(
    context: GateContext,
) -> None:
    with pytest.raises(InputError) as raised:
        run_gate(
            Gate.MERGE,
            [missing("tests.passed")],
            context,
            timer=ticking(),
            allow_missing=["test.*"],
        )

    assert str(raised.value) == (
        "--allow-missing 'test.*' matches no check of the merge gate (checks: tests.passed); "
        "fix the pattern or drop it"
    )


def _report(*found: CheckStatus) -> GateReport:
    outcomes = tuple(
        CheckOutcome(f"c.n{i}", "t", "i", CheckResult(status, "s"), 0.0)
        for i, status in enumerate(found)
    )
    return GateReport(Gate.MERGE, outcomes)


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ((CheckStatus.PASS, CheckStatus.WARN, CheckStatus.SKIP), (0, "pass")),
        ((CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.WARN), (1, "fail")),
        ((CheckStatus.PASS, CheckStatus.ERROR), (2, "error")),
        ((CheckStatus.FAIL, CheckStatus.ERROR), (2, "error")),
        ((CheckStatus.SKIP, CheckStatus.SKIP), (2, "error")),
        ((), (2, "error")),
    ],
)
def test_exit_code_is_2_on_error_else_1_on_failure_else_0(
    found: tuple[CheckStatus, ...], expected: tuple[int, str]
) -> None:
    report = _report(*found)

    assert (exit_code(report), verdict(report)) == expected


_SEVERITY = {
    CheckStatus.PASS: 0,
    CheckStatus.WARN: 0,
    CheckStatus.SKIP: 0,
    CheckStatus.FAIL: 1,
    CheckStatus.ERROR: 2,
}


@given(st.lists(st.sampled_from(list(CheckStatus)), max_size=12))
def test_exit_code_is_the_worst_severity_or_2_when_no_check_concluded(
    found: list[CheckStatus],
) -> None:
    concluded = [s for s in found if s is not CheckStatus.SKIP]
    expected = max(_SEVERITY[s] for s in concluded) if concluded else 2

    assert exit_code(_report(*found)) == expected


# --- collecting checks through the plugin hook ----------------------------------------------


class Contributes:
    """A plugin object contributing fixed checks to every gate."""

    def __init__(self, *checks: Any) -> None:
        self.checks = list(checks)

    @hookimpl
    def readiness_gate_checks(self, gate: Gate) -> list[Check]:
        return self.checks


def manager(**plugins: object) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("readiness")
    pm.add_hookspecs(hookspecs)
    for name, plugin in plugins.items():
        pm.register(plugin, name=name)
    return pm


def test_checks_of_every_plugin_are_collected_sorted_by_id() -> None:
    pm = manager(
        first=Contributes(passing("tests.passed")),
        second=Contributes(passing("flags.stale"), passing("audit.chain")),
    )

    checks = collect_checks(pm, Gate.MERGE)

    assert [c.id for c in checks] == ["audit.chain", "flags.stale", "tests.passed"]


def test_checks_not_meant_for_the_gate_are_left_out() -> None:
    pm = manager(
        mixed=Contributes(passing("tests.passed"), passing("deploy.fleet", gates=(Gate.DEPLOY,)))
    )

    assert [c.id for c in collect_checks(pm, Gate.DEPLOY)] == ["deploy.fleet"]


def test_the_hook_receives_the_gate() -> None:
    asked: list[Gate] = []

    class Recorder:
        @hookimpl
        def readiness_gate_checks(self, gate: Gate) -> list[Check]:
            asked.append(gate)
            return []

    collect_checks(manager(recorder=Recorder()), Gate.VERIFY)

    assert asked == [Gate.VERIFY]


def test_a_plugin_returning_none_contributes_nothing() -> None:
    class Silent:
        @hookimpl
        def readiness_gate_checks(self, gate: Gate) -> None:
            return None

    pm = manager(silent=Silent(), real=Contributes(passing("tests.passed")))

    assert [c.id for c in collect_checks(pm, Gate.MERGE)] == ["tests.passed"]


def test_duplicate_check_ids_are_a_config_error_naming_both_plugins() -> None:
    pm = manager(
        acme_checks=Contributes(passing("tests.passed")),
        readiness_testhealth=Contributes(passing("tests.passed")),
    )

    with pytest.raises(ConfigError) as raised:
        collect_checks(pm, Gate.MERGE)

    # plugins are asked in registration order
    assert str(raised.value) == (
        "gate check id 'tests.passed' is contributed by plugin 'acme_checks' and by plugin "
        "'readiness_testhealth'; ids must be unique: rename one check or unregister one plugin"
    )


def test_a_contribution_that_is_not_a_check_is_a_config_error() -> None:
    pm = manager(broken=Contributes(42))

    with pytest.raises(ConfigError) as raised:
        collect_checks(pm, Gate.MERGE)

    assert str(raised.value) == (
        "plugin 'broken' returned 42 from readiness_gate_checks, which lacks "
        "id, title, checklist_item, gates, run; return objects implementing "
        "readiness.gate.model.Check"
    )


@pytest.mark.parametrize("bad_id", ["passed", "Tests.Passed", "tests passed", "tests."])
def test_a_check_id_that_is_not_dotted_lowercase_is_a_config_error(bad_id: str) -> None:
    pm = manager(odd=Contributes(passing(bad_id)))

    with pytest.raises(ConfigError) as raised:
        collect_checks(pm, Gate.MERGE)

    assert str(raised.value) == (
        f"plugin 'odd' contributed a check with id {bad_id!r}; expected dotted lowercase "
        "words such as 'tests.passed'"
    )


_RESULTS = st.builds(
    CheckResult,
    st.sampled_from(list(CheckStatus)),
    st.just("s"),
    missing_evidence=st.booleans(),
)


@given(st.lists(_RESULTS, min_size=1, max_size=8))
def test_allowing_missing_evidence_never_makes_the_exit_code_worse(
    results: list[CheckResult],
) -> None:
    checks = [FakeCheck(f"c.n{i}", result) for i, result in enumerate(results)]
    context = GateContext(gate=Gate.MERGE, root=Path(), settings=Settings(), clock=FrozenClock(NOW))

    strict = run_gate(Gate.MERGE, checks, context, timer=ticking())
    lenient = run_gate(Gate.MERGE, checks, context, timer=ticking(), allow_missing=["*"])

    assert exit_code(lenient) <= exit_code(strict)
    assert [o.result.status for o in lenient.outcomes] == [
        CheckStatus.WARN if r.status is CheckStatus.FAIL and r.missing_evidence else r.status
        for r in results
    ]
