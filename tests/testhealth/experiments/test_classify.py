"""``classify`` over a whole (simulated) suite: stored failing orders, seeds, fallbacks, search."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from readiness.errors import InputError
from readiness.testhealth.experiments.classify import classify
from readiness.testhealth.experiments.culprits import bisection_bound
from readiness.testhealth.model import Classification, FailingOrder, Outcome
from tests.testhealth.experiments.fakes import (
    FAIL,
    PASS,
    FakeRunner,
    failing_order,
    generated_suite,
    polluted_by,
)

SUITE = generated_suite(files=30, per_file=10)  # 300 tests in 4 packages
WORKER = SUITE[1::2]  # what one of two pytest-xdist workers ran, in order
POLLUTER = "tests/pkg_1/test_mod_5.py::test_case_3"
VICTIM = "tests/pkg_2/test_mod_22.py::test_case_7"
NOWHERE = Path("/nonexistent")


def _classify(
    runner: FakeRunner,
    test_id: str = VICTIM,
    *,
    failing: Sequence[FailingOrder] = (),
    seeded: dict[str, list[str]] | None = None,
    random_orders: int = 0,
    search_budget: int = 64,
) -> Classification:
    return classify(
        runner,
        test_id,
        suite=SUITE,
        failing=failing,
        seeded=(seeded or {}).get,
        rng=random.Random(7),
        random_orders=random_orders,
        source_root=NOWHERE,
        search_budget=search_budget,
    )


def _before(test_id: str, order: list[str]) -> list[str]:
    return order[: order.index(test_id)]


def test_the_fake_runner_runs_repeated_ids_in_one_process_in_the_given_order() -> None:
    runner = FakeRunner(polluted_by(VICTIM, POLLUTER))

    assert runner.run([VICTIM, POLLUTER, VICTIM]) == [
        (VICTIM, PASS),
        (POLLUTER, PASS),
        (VICTIM, FAIL),
    ]
    assert runner.run([POLLUTER, VICTIM], repeat=2) == [
        (POLLUTER, PASS),
        (POLLUTER, PASS),
        (VICTIM, FAIL),
        (VICTIM, FAIL),
    ]


def test_a_victim_is_found_with_its_polluter_in_another_package_from_the_stored_failing_order() -> (
    None
):
    runner = FakeRunner(polluted_by(VICTIM, POLLUTER))

    result = _classify(runner, failing=[failing_order(_before(VICTIM, WORKER))])

    assert (result.label, result.polluters) == ("order-dependent-victim", (POLLUTER,))
    assert result.evidence == (
        "passes alone (3 runs in fresh processes) and fails after the order of run 3f2a1c0d9e8b "
        "(pytest:gw1) where it failed: 113 tests before it; confirmed as a pair: "
        f"{POLLUTER} then the test fails"
    )
    assert (result.runs["failing-order-1"], result.runs["failing-order-1-again"]) == (
        "failed",
        "failed",
    )


def test_the_polluter_search_takes_at_most_ceil_log2_n_plus_one_runs_and_says_how_many() -> None:
    before = _before(VICTIM, WORKER)
    runner = FakeRunner(polluted_by(VICTIM, POLLUTER))

    result = _classify(runner, failing=[failing_order(before)])

    assert result.search_runs <= bisection_bound(len(before)) == 8
    assert result.pytest_runs == len(runner.calls) == 3 + 1 + 1 + result.search_runs
    assert result.runs["polluter-search"] == (
        f"1 confirmed in {result.search_runs} runs over 113 tests"
    )


def test_the_last_search_run_is_the_polluter_then_the_victim_alone() -> None:
    runner = FakeRunner(polluted_by(VICTIM, POLLUTER))

    _classify(runner, failing=[failing_order(_before(VICTIM, WORKER))])

    assert ([POLLUTER, VICTIM], 1) in runner.calls


def test_a_run_that_stored_no_order_is_replayed_from_its_recorded_seed() -> None:
    shuffled = list(SUITE)
    random.Random(4242).shuffle(shuffled)
    shuffled.remove(POLLUTER)
    shuffled.insert(0, POLLUTER)
    runner = FakeRunner(polluted_by(VICTIM, POLLUTER))

    result = _classify(
        runner, failing=[failing_order(None, seed="4242")], seeded={"4242": shuffled}
    )

    n = shuffled.index(VICTIM)
    assert (result.label, result.polluters) == ("order-dependent-victim", (POLLUTER,))
    assert result.evidence.startswith(
        "passes alone (3 runs in fresh processes) and fails after the order pytest-randomly "
        f"gives seed 4242 (run 3f2a1c0d9e8b failed with it): {n} tests before it;"
    )


def test_without_failing_orders_the_whole_suite_is_tried_forwards_first() -> None:
    runner = FakeRunner(polluted_by(VICTIM, POLLUTER))  # the polluter's file sorts first

    result = _classify(runner)

    assert (result.label, result.polluters) == ("order-dependent-victim", (POLLUTER,))
    assert result.evidence.startswith(
        "passes alone (3 runs in fresh processes) and fails after the suite's collected order: "
        "227 tests before it;"
    )


def test_without_failing_orders_a_polluter_that_comes_later_is_found_in_the_reversed_suite() -> (
    None
):
    victim = "tests/pkg_1/test_mod_1.py::test_case_0"
    polluter = "tests/pkg_3/test_mod_27.py::test_case_9"
    runner = FakeRunner(polluted_by(victim, polluter))

    result = _classify(runner, victim)

    assert (result.label, result.polluters) == ("order-dependent-victim", (polluter,))
    assert (result.runs["suite"], result.runs["reversed"]) == ("passed", "failed")


def test_two_polluters_that_only_act_together_are_both_named() -> None:
    other = "tests/pkg_0/test_mod_12.py::test_case_1"
    runner = FakeRunner(polluted_by(VICTIM, POLLUTER, other))

    result = _classify(runner, failing=[failing_order(_before(VICTIM, SUITE))])

    assert (result.label, result.polluters) == ("order-dependent-victim", (POLLUTER, other))
    assert result.runs["polluter-search"] == (
        f"2 confirmed in {result.search_runs} runs over 227 tests"
    )


def test_a_search_that_runs_out_of_budget_keeps_the_label_and_names_no_polluter() -> None:
    other = "tests/pkg_0/test_mod_12.py::test_case_1"
    runner = FakeRunner(polluted_by(VICTIM, POLLUTER, other))

    result = _classify(runner, failing=[failing_order(_before(VICTIM, SUITE))], search_budget=4)

    assert (result.label, result.polluters, result.search_runs) == ("order-dependent-victim", (), 4)
    assert result.runs["polluter-search"] == (
        "stopped at the budget of 4 runs over 227 tests; none confirmed"
    )


def test_a_stored_failing_order_that_passes_here_makes_the_test_non_order_dependent() -> None:
    runner = FakeRunner(lambda test_id, before: PASS)

    result = _classify(runner, failing=[failing_order(SUITE[:5])])

    assert result.label == "non-order-dependent"
    assert result.evidence == (
        "passed alone (3 runs in fresh processes) and after every order tried, the orders it "
        "failed in on CI first: the order of run 3f2a1c0d9e8b (pytest:gw1) where it failed: "
        "5 tests before it; the suite's collected order: 227 tests before it; "
        "the suite's order reversed: 72 tests before it"
    )


def test_a_failing_order_that_passes_when_repeated_is_non_order_dependent() -> None:
    outcomes = iter([PASS, PASS, PASS, PASS, PASS, PASS, FAIL, PASS])

    def rule(test_id: str, before: list[str]) -> Outcome:
        return next(outcomes) if test_id == VICTIM else PASS

    result = _classify(FakeRunner(rule), failing=[failing_order(SUITE[:5])])

    assert (result.label, result.evidence) == (
        "non-order-dependent",
        "failed after the order of run 3f2a1c0d9e8b (pytest:gw1) where it failed: 5 tests "
        "before it, then passed in the same order",
    )


def test_a_test_that_fails_alone_and_passes_after_a_state_setter_elsewhere_is_brittle() -> None:
    setter = "tests/pkg_0/test_mod_0.py::test_case_4"

    def rule(test_id: str, before: list[str]) -> Outcome:
        return FAIL if test_id == VICTIM and setter not in before else PASS

    result = _classify(FakeRunner(rule), failing=[failing_order(SUITE[-3:])])

    assert (result.label, result.polluters) == ("brittle", (setter,))
    assert result.evidence == (
        "fails alone (3 runs in fresh processes) and passes after the suite's collected order: "
        f"227 tests before it; confirmed as a pair: {setter} then the test passes"
    )
    assert "failing-order-1" not in result.runs  # orders it failed in cannot make it pass


def test_a_test_that_fails_when_run_twice_in_one_process_is_non_idempotent() -> None:
    def rule(test_id: str, before: list[str]) -> Outcome:
        return FAIL if test_id == VICTIM and VICTIM in before else PASS

    result = _classify(FakeRunner(rule))

    assert (result.label, result.runs["alone-second-run"], result.evidence) == (
        "non-idempotent",
        "failed,failed,failed",
        "passed alone, failed when run again in the same process (3 runs in fresh processes)",
    )


def test_a_test_whose_outcome_varies_alone_is_non_order_dependent() -> None:
    outcomes = iter([PASS, PASS, FAIL, PASS, PASS, PASS])

    def rule(test_id: str, before: list[str]) -> Outcome:
        return next(outcomes)

    result = _classify(FakeRunner(rule))

    assert (result.label, result.runs["alone"], result.pytest_runs) == (
        "non-order-dependent",
        "passed,failed,passed",
        3,
    )


def test_a_test_that_never_fails_is_stable_and_says_which_orders_it_passed() -> None:
    result = _classify(FakeRunner(lambda t, b: PASS), random_orders=1)

    assert (result.label, result.polluters, result.failure_kind) == ("stable", (), None)
    assert result.evidence.startswith(
        "passed alone (3 runs in fresh processes) and after every order tried: the suite's "
        "collected order: 227 tests before it; the suite's order reversed: 72 tests before it; "
        "random order 1 of the suite: "
    )


def test_a_test_that_always_fails_is_broken_not_flaky() -> None:
    result = _classify(FakeRunner(lambda t, b: FAIL))

    assert (result.label, result.pytest_runs) == ("broken", 5)


def test_a_test_that_never_ran_is_an_input_error() -> None:
    class Empty(FakeRunner):
        def run(self, *args: object, **kwargs: object) -> list[tuple[str, Outcome]]:
            return []

    with pytest.raises(
        InputError, match=r"^test 'tests/pkg_2/test_mod_22.py::test_case_7' did not run"
    ):
        _classify(Empty(polluted_by(VICTIM, POLLUTER)))


def test_a_test_the_suite_does_not_collect_is_an_input_error() -> None:
    with pytest.raises(InputError) as raised:
        _classify(FakeRunner(polluted_by(VICTIM, POLLUTER)), "tests/test_typo.py::test_x")

    assert str(raised.value) == (
        "test 'tests/test_typo.py::test_x' is not in the suite pytest collects (300 tests); "
        "check the id with `pytest --collect-only -q` in the project root"
    )


def test_an_experiment_never_runs_a_stored_test_the_suite_no_longer_has() -> None:
    gone = "tests/test_removed.py::test_old"
    runner = FakeRunner(polluted_by(VICTIM, POLLUTER))

    _classify(runner, failing=[failing_order([gone, POLLUTER])])

    assert all(gone not in tests for tests, _ in runner.calls)
