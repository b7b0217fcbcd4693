from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from readiness.errors import InputError
from readiness.testhealth.experiments.classify import classify
from readiness.testhealth.experiments.runner import PytestRunner
from readiness.testhealth.experiments.verify import verify_fix
from readiness.testhealth.model import Classification, Hint, Outcome

P, V, U = "test_mod.py::test_polluter", "test_mod.py::test_victim", "test_mod.py::test_unrelated"
PASS, FAIL = Outcome.PASSED, Outcome.FAILED

Rule = Callable[[str, list[str]], Outcome]


class FakeRunner:
    """Simulates one process per ``run``: ``rule(test_id, tests_run_before_in_process)``."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.calls: list[tuple[list[str], int]] = []

    def run(
        self,
        test_ids: Sequence[str],
        *,
        order: str = "given",
        seed: int | None = None,
        repeat: int = 1,
    ) -> list[tuple[str, Outcome]]:
        ids = list(test_ids)
        if order == "random":
            random.Random(seed).shuffle(ids)
        self.calls.append((ids, repeat))
        history: list[str] = []
        out = []
        for test_id in ids:
            for _ in range(repeat):
                out.append((test_id, self.rule(test_id, history)))
                history.append(test_id)
        return out


def _victim(test_id: str, before: list[str]) -> Outcome:
    return FAIL if test_id == V and P in before else PASS


def _classify(runner: FakeRunner) -> Classification:
    return classify(
        runner,
        V,
        module_tests=[P, V, U],
        original_order=[U, P, V],
        rng=random.Random(7),
        random_orders=2,
        source_root=Path("/nonexistent"),
    )


def test_the_fake_runner_runs_repeated_ids_in_one_process_in_the_given_order() -> None:
    runner = FakeRunner(_victim)

    assert runner.run([V, P, V], repeat=1) == [(V, PASS), (P, PASS), (V, FAIL)]
    assert runner.run([P, V], repeat=2) == [(P, PASS), (P, PASS), (V, FAIL), (V, FAIL)]


def test_a_victim_is_found_with_its_single_polluter() -> None:
    result = classify(
        FakeRunner(_victim),
        V,
        module_tests=[P, V, U],
        original_order=[U, P, V],
        rng=random.Random(7),
        random_orders=2,
        source_root=Path("/nonexistent"),
    )

    assert (result.label, result.polluters) == ("order-dependent-victim", (P,))
    assert result.runs["alone"] == "passed,passed,passed"
    assert result.runs["original"] == "failed"
    assert result.runs["reversed"] == "passed"


def test_a_polluter_is_found_among_many_tests_by_bisection() -> None:
    others = [f"test_mod.py::test_{i}" for i in range(20)]
    order = [*others[:13], P, *others[13:], V]
    runner = FakeRunner(_victim)

    result = classify(
        runner,
        V,
        module_tests=order,
        original_order=order,
        rng=random.Random(1),
        random_orders=0,
        source_root=Path("/nonexistent"),
        alone_runs=1,
    )

    assert result.polluters == (P,)
    assert len(runner.calls) <= 1 + 2 + 1 + 6  # alone, two orders, again, log2(21) + check


def test_a_test_that_fails_alone_and_passes_after_a_state_setter_is_brittle() -> None:
    setter = "test_mod.py::test_setter"

    def rule(test_id: str, before: list[str]) -> Outcome:
        return FAIL if test_id == V and setter not in before else PASS

    result = classify(
        FakeRunner(rule),
        V,
        module_tests=[setter, V, U],
        original_order=[U, setter, V],
        rng=random.Random(3),
        random_orders=1,
        source_root=Path("/nonexistent"),
    )

    assert (result.label, result.polluters) == ("brittle", (setter,))


def test_a_test_that_fails_when_run_twice_in_one_process_is_non_idempotent() -> None:
    def rule(test_id: str, before: list[str]) -> Outcome:
        return FAIL if test_id == V and V in before else PASS

    result = _classify(FakeRunner(rule))

    assert (result.label, result.runs["alone-second-run"]) == (
        "non-idempotent",
        "failed,failed,failed",
    )


def test_a_test_whose_outcome_varies_when_run_alone_is_non_order_dependent() -> None:
    outcomes = iter([PASS, PASS, FAIL, PASS, PASS, PASS] + [PASS] * 50)

    def rule(test_id: str, before: list[str]) -> Outcome:
        return next(outcomes) if test_id == V else PASS

    result = _classify(FakeRunner(rule))

    assert (result.label, result.runs["alone"]) == ("non-order-dependent", "passed,failed,passed")


def test_a_failing_order_that_passes_when_repeated_is_non_order_dependent() -> None:
    outcomes = iter([PASS] * 6 + [FAIL] + [PASS] * 50)

    def rule(test_id: str, before: list[str]) -> Outcome:
        return next(outcomes) if test_id == V else PASS

    result = _classify(FakeRunner(rule))

    assert (result.label, result.runs["original"], result.runs["original-again"]) == (
        "non-order-dependent",
        "failed",
        "passed",
    )


def test_a_test_that_never_fails_is_stable() -> None:
    result = _classify(FakeRunner(lambda t, b: PASS))

    assert (result.label, result.polluters, result.failure_kind) == ("stable", (), None)


def test_a_test_that_always_fails_is_broken_not_flaky() -> None:
    assert _classify(FakeRunner(lambda t, b: FAIL)).label == "broken"


def test_a_test_that_never_ran_is_an_input_error() -> None:
    class Empty(FakeRunner):
        def run(self, *args: object, **kwargs: object) -> list[tuple[str, Outcome]]:
            return []

    with pytest.raises(InputError, match=r"^test 'test_mod.py::test_victim' did not run"):
        _classify(Empty(_victim))


def test_verify_fix_splits_the_runs_between_alone_and_interleaved_rounds() -> None:
    runner = FakeRunner(lambda t, b: PASS)

    result = verify_fix(runner, V, 21, rng=random.Random(0), module_tests=[P, V, U])

    assert (result.verdict, result.runs, result.failures, result.required_runs) == (
        "fixed",
        21,
        0,
        21,
    )
    (alone, alone_repeat), (interleaved, _) = runner.calls
    assert (alone, alone_repeat) == ([V], 11)
    assert (len(interleaved), interleaved.count(V)) == (30, 10)


def test_verify_fix_catches_a_fix_that_is_still_order_dependent() -> None:
    result = verify_fix(
        FakeRunner(_victim), V, 20, rng=random.Random(0), module_tests=[P, V], flake_rate=0.1
    )

    assert (result.verdict, result.flake_rate, result.alpha) == ("still-flaky", 0.1, 0.05)
    # Once the polluter has run in the process, every later round fails.
    assert (result.runs, result.failures) == (20, 10)


def test_verify_fix_without_module_tests_runs_every_run_alone() -> None:
    runner = FakeRunner(lambda t, b: PASS)

    result = verify_fix(runner, V, 5, rng=random.Random(0))

    assert (result.runs, runner.calls) == (5, [([V], 5)])


def test_verify_fix_needs_at_least_one_run() -> None:
    with pytest.raises(InputError, match=r"^required_runs must be at least 1 \(got 0\)"):
        verify_fix(FakeRunner(_victim), V, 0, rng=random.Random(0))


# -- the real runner on tiny projects (a few pytest processes each) ------------------------

PROJECT = """\
import random

STATE = []
SETUP = {}


def test_polluter():
    STATE.append(1)


def test_victim():
    assert STATE == []


def test_unrelated():
    pass


def test_setter():
    SETUP["ready"] = True


def test_brittle():
    assert SETUP.get("ready"), "needs the setter"


def test_twice():
    STATE.append(2)
    assert STATE.count(2) == 1
"""


FAST = ("-p", "no:hypothesispytest", "-p", "no:anyio")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "test_mod.py").write_text(PROJECT, encoding="utf-8")
    return tmp_path


def _runner(root: Path) -> PytestRunner:
    return PytestRunner(root, extra_args=FAST)


def test_the_real_runner_finds_the_polluter_of_a_victim(project: Path) -> None:
    runner = _runner(project)

    result = classify(
        runner,
        V,
        module_tests=[P, V, U],
        original_order=[U, P, V],
        rng=random.Random(0),
        random_orders=0,
        source_root=project,
        alone_runs=1,
    )

    assert (result.label, result.polluters) == ("order-dependent-victim", (P,))
    assert result.failure_kind == "assertion"
    assert result.hints == (Hint("module-state", 3, "STATE = []"),)


def test_the_real_runner_finds_the_state_setter_of_a_brittle_test(project: Path) -> None:
    setter, brittle = "test_mod.py::test_setter", "test_mod.py::test_brittle"

    result = classify(
        _runner(project),
        brittle,
        module_tests=[setter, brittle],
        original_order=[setter, brittle],
        rng=random.Random(0),
        random_orders=0,
        source_root=project,
        alone_runs=1,
    )

    assert (result.label, result.polluters) == ("brittle", (setter,))


def test_the_real_runner_flags_a_test_that_fails_on_its_second_run(project: Path) -> None:
    twice = "test_mod.py::test_twice"

    result = classify(
        _runner(project),
        twice,
        module_tests=[twice],
        original_order=[twice],
        rng=random.Random(0),
        random_orders=0,
        source_root=project,
        alone_runs=1,
    )

    assert (result.label, result.runs["alone"], result.runs["alone-second-run"]) == (
        "non-idempotent",
        "passed",
        "failed",
    )


def test_the_real_runner_runs_a_repeated_id_again_in_the_same_process(project: Path) -> None:
    assert _runner(project).run([V, P, V, U]) == [(V, PASS), (P, PASS), (V, FAIL), (U, PASS)]


def test_the_real_runner_reports_an_unknown_test_as_an_input_error(project: Path) -> None:
    with pytest.raises(InputError, match=r"exited 4"):
        _runner(project).run(["test_mod.py::test_nope"])
