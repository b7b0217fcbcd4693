"""``verify_fix``: failing-like orders first, then the pair, then alone and module rounds."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from readiness.errors import InputError
from readiness.testhealth.experiments.orders import CandidateOrder
from readiness.testhealth.experiments.verify import (
    Experiment,
    plan_verification,
    tally,
    verify_fix,
)
from readiness.testhealth.model import FailingOrder, FixVerification, Outcome
from tests.testhealth.experiments.fakes import (
    FAIL,
    PASS,
    SKIP,
    FakeRunner,
    failing_order,
    generated_suite,
    polluted_by,
)

SUITE = generated_suite(files=30, per_file=10)
WORKER = SUITE[1::2]
POLLUTER = "tests/pkg_1/test_mod_5.py::test_case_3"
VICTIM = "tests/pkg_2/test_mod_22.py::test_case_7"
MODULE = [t for t in SUITE if t.startswith("tests/pkg_2/test_mod_22.py::")]


def _verify(
    runner: FakeRunner,
    required: int = 50,
    *,
    failing: Sequence[FailingOrder] = (),
    seeded: dict[str, list[str]] | None = None,
    polluters: Sequence[str] = (),
) -> FixVerification:
    return verify_fix(
        runner,
        VICTIM,
        required,
        rng=random.Random(0),
        suite=SUITE,
        failing=failing,
        seeded=(seeded or {}).get,
        polluters=polluters,
        module_tests=MODULE,
        flake_rate=0.1,
    )


def _fixed(test_id: str, before: list[str]) -> Outcome:
    return PASS


def test_a_victim_whose_polluter_still_pollutes_fails_in_its_stored_failing_order() -> None:
    runner = FakeRunner(polluted_by(VICTIM, POLLUTER))

    result = _verify(runner, failing=[failing_order(WORKER[: WORKER.index(VICTIM)])])

    assert (result.verdict, result.runs, result.failures) == ("still-flaky", 1, 1)
    assert result.experiments == {"failing-order-1": "failed 1 of 1"}


def test_the_first_failure_ends_the_verification() -> None:
    runner = FakeRunner(polluted_by(VICTIM, POLLUTER))

    _verify(runner, failing=[failing_order(WORKER[: WORKER.index(VICTIM)])])

    assert len(runner.calls) == 1


def test_a_known_polluter_that_still_pollutes_fails_the_pair_rounds() -> None:
    # The stored order is another worker's: the polluter was not in it.
    runner = FakeRunner(polluted_by(VICTIM, POLLUTER))

    result = _verify(runner, failing=[failing_order(MODULE[:3])], polluters=[POLLUTER])

    assert result.verdict == "still-flaky"
    assert result.experiments == {"failing-order-1": "passed 1 of 1", "pair": "failed 13 of 13"}


def test_a_run_without_a_stored_order_is_replayed_from_its_seed() -> None:
    order = [POLLUTER, VICTIM, *[t for t in SUITE if t not in (POLLUTER, VICTIM)]]
    runner = FakeRunner(polluted_by(VICTIM, POLLUTER))

    result = _verify(runner, failing=[failing_order(None, seed="99")], seeded={"99": order})

    assert result.experiments == {"seed-99": "failed 1 of 1"}
    assert runner.calls[0] == ([POLLUTER, VICTIM], 1)


def test_without_failing_orders_the_whole_suite_orders_run_first_never_isolation_only() -> None:
    runner = FakeRunner(_fixed)

    result = _verify(runner)

    assert list(result.experiments) == ["suite", "reversed", "random-1", "alone", "module-rounds"]
    assert runner.calls[0] == ([*SUITE[:227], VICTIM], 1)


def test_a_fixed_test_passes_every_run_and_is_fixed() -> None:
    runner = FakeRunner(_fixed)

    result = _verify(runner, failing=[failing_order(WORKER[: WORKER.index(VICTIM)])])

    assert (result.verdict, result.runs, result.failures, result.required_runs) == (
        "fixed",
        50,
        0,
        50,
    )
    assert result.experiments == {
        "failing-order-1": "passed 1 of 1",
        "alone": "passed 25 of 25",
        "module-rounds": "passed 24 of 24",
    }


def test_a_test_skipped_in_its_runs_is_not_fixed() -> None:
    runner = FakeRunner(lambda test_id, before: SKIP)

    result = _verify(runner, 4)

    assert (result.verdict, result.runs, result.failures) == ("still-flaky", 0, 0)
    assert result.experiments["alone"] == "skipped 1 of 1"


@pytest.mark.parametrize(
    ("outcomes", "text"),
    [
        ([PASS, PASS], "passed 2 of 2"),
        ([PASS, FAIL, PASS], "failed 1 of 3"),
        ([PASS, SKIP], "passed 1 of 1 (1 skipped, not counted)"),
        ([SKIP, SKIP], "skipped 2 of 2"),
        ([], "not run"),
    ],
)
def test_the_tally_of_an_experiment_counts_runs_and_skips_apart(
    outcomes: list[Outcome], text: str
) -> None:
    assert tally(outcomes) == text


def test_the_plan_puts_failing_like_orders_then_pair_rounds_then_alone_and_module_rounds() -> None:
    orders = [CandidateOrder("failing-order-1", "...", (POLLUTER,), failing_like=True)]

    plan = plan_verification(
        VICTIM, 50, orders=orders, polluters=[POLLUTER], module_tests=MODULE, rng=random.Random(0)
    )

    assert [(e.name, e.runs, e.repeat) for e in plan] == [
        ("failing-order-1", 1, 1),
        ("pair", 13, 1),
        ("alone", 18, 18),
        ("module-rounds", 18, 1),
    ]
    assert plan[0] == Experiment("failing-order-1", (POLLUTER, VICTIM), runs=1)
    assert plan[1].tests == (POLLUTER, VICTIM) * 13
    assert plan[3].tests.count(VICTIM) == 18
    assert len(plan[3].tests) == 18 * len(MODULE)


def test_the_plan_runs_the_test_at_least_the_required_number_of_times() -> None:
    plan = plan_verification(
        VICTIM, 7, orders=[], polluters=[], module_tests=[], rng=random.Random(0)
    )

    assert plan == [Experiment("alone", (VICTIM,), runs=7, repeat=7)]


def test_a_verification_needs_at_least_one_run() -> None:
    with pytest.raises(InputError) as raised:
        _verify(FakeRunner(_fixed), 0)

    assert str(raised.value) == "required_runs must be at least 1 (got 0)"


def test_a_failure_in_module_rounds_is_still_flaky() -> None:
    neighbour = MODULE[0]
    runner = FakeRunner(polluted_by(VICTIM, neighbour))

    result = verify_fix(
        runner, VICTIM, 10, rng=random.Random(0), module_tests=MODULE, flake_rate=0.1
    )

    assert result.verdict == "still-flaky"
    assert result.experiments["alone"] == "passed 5 of 5"
    assert result.experiments["module-rounds"].startswith("failed ")


def test_outcomes_of_failing_rounds_count_every_failure_seen() -> None:
    result = verify_fix(
        FakeRunner(lambda test_id, before: FAIL if test_id == VICTIM else PASS),
        VICTIM,
        6,
        rng=random.Random(0),
    )

    assert (result.runs, result.failures, result.experiments) == (6, 6, {"alone": "failed 6 of 6"})
