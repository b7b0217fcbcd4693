"""The culprit search over an abstract oracle: bisection for one culprit, dd for several."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.testhealth.experiments.culprits import bisection_bound, find_culprits

BIG = 10_000
# An example over thousands of candidates builds lists of thousands per oracle call: its time
# depends on the machine's load, not on the behaviour under test.
slow_examples = settings(deadline=None)


def _log2(n: int) -> int:
    return math.ceil(math.log2(n)) if n > 1 else 0


class Oracle:
    """Holds when every test of ``needed`` ran; counts its calls and keeps each subset."""

    def __init__(self, *needed: int) -> None:
        self.needed = set(needed)
        self.subsets: list[list[int]] = []

    def __call__(self, subset: Sequence[int]) -> bool:
        self.subsets.append(list(subset))
        return self.needed <= set(subset)


@st.composite
def suite_and_culprit(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(1, BIG))
    return n, draw(st.integers(0, n - 1))


@slow_examples
@given(suite_and_culprit())
def test_one_culprit_is_found_within_ceil_log2_n_plus_one_calls(case: tuple[int, int]) -> None:
    n, culprit = case
    oracle = Oracle(culprit)

    found = find_culprits(range(n), oracle, budget=100)

    assert found.culprits == (culprit,)
    assert found.calls == len(oracle.subsets) <= _log2(n) + 1 == bisection_bound(n)


@slow_examples
@given(suite_and_culprit())
def test_the_last_call_of_a_search_confirms_the_culprit_alone(case: tuple[int, int]) -> None:
    n, culprit = case
    oracle = Oracle(culprit)

    find_culprits(range(n), oracle, budget=100)

    assert [culprit] in oracle.subsets


@slow_examples
@given(
    st.integers(2, BIG).flatmap(
        lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1), min_size=2, max_size=5))
    )
)
def test_when_any_of_several_culprits_suffices_one_of_them_is_found_as_fast(
    case: tuple[int, set[int]],
) -> None:
    n, culprits = case

    def oracle(subset: Sequence[int]) -> bool:
        return not culprits.isdisjoint(subset)

    found = find_culprits(range(n), oracle, budget=100)

    assert len(found.culprits) == 1
    assert found.culprits[0] in culprits
    assert found.calls <= _log2(n) + 1


@slow_examples
@given(
    st.integers(2, BIG).flatmap(
        lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1), min_size=2, max_size=2))
    )
)
def test_two_culprits_that_only_act_together_are_both_found_within_5_log2_n_calls(
    case: tuple[int, set[int]],
) -> None:
    n, culprits = case
    oracle = Oracle(*culprits)

    found = find_culprits(range(n), oracle, budget=1000)

    assert found.culprits == tuple(sorted(culprits))
    assert found.calls <= 5 * _log2(n)


@slow_examples
@given(
    st.integers(3, 2000).flatmap(
        lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1), min_size=3, max_size=3))
    )
)
def test_three_culprits_that_only_act_together_are_all_found(case: tuple[int, set[int]]) -> None:
    n, culprits = case

    found = find_culprits(range(n), Oracle(*culprits), budget=1000)

    assert found.culprits == tuple(sorted(culprits))
    assert not found.exhausted


@slow_examples
@given(suite_and_culprit())
def test_every_subset_the_oracle_sees_keeps_the_candidates_order(case: tuple[int, int]) -> None:
    n, culprit = case
    candidates = list(reversed(range(n)))
    oracle = Oracle(culprit)

    find_culprits(candidates, oracle, budget=100)

    for subset in oracle.subsets:
        assert subset == sorted(subset, reverse=True)


@slow_examples
@given(st.integers(2, BIG), st.integers(1, 30))
def test_a_search_never_calls_the_oracle_more_often_than_its_budget(n: int, budget: int) -> None:
    oracle = Oracle(0, n - 1)

    found = find_culprits(range(n), oracle, budget=budget)

    assert len(oracle.subsets) == found.calls <= budget
    assert found.exhausted == (found.culprits == ())


def test_a_search_that_runs_out_of_budget_says_so_and_names_no_culprit() -> None:
    found = find_culprits(range(1000), Oracle(3, 900), budget=5)

    assert (found.culprits, found.calls, found.budget, found.exhausted) == ((), 5, 5, True)


def test_every_candidate_is_a_culprit_when_only_all_of_them_together_act() -> None:
    found = find_culprits(range(8), lambda subset: len(subset) == 8, budget=100)

    assert (found.culprits, found.exhausted) == (tuple(range(8)), False)


def test_an_oracle_that_never_holds_again_yields_no_culprit() -> None:
    # The outcome the caller saw was chance: no subset reproduces it, not even the confirmation.
    found = find_culprits(range(8), lambda subset: False, budget=100)

    assert (found.culprits, found.exhausted) == ((), False)


def test_no_candidates_cost_no_call() -> None:
    nothing: list[int] = []

    found = find_culprits(nothing, Oracle(), budget=10)

    assert (found.culprits, found.calls, found.exhausted) == ((), 0, False)


def test_one_candidate_is_confirmed_with_one_call() -> None:
    polluter = "tests/test_a.py::test_p"
    seen: list[list[str]] = []

    def oracle(subset: Sequence[str]) -> bool:
        seen.append(list(subset))
        return polluter in subset

    found = find_culprits([polluter], oracle, budget=5)

    assert (found.culprits, found.calls, seen) == ((polluter,), 1, [[polluter]])


def test_a_budget_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^find_culprits: budget must be at least 1 \(got 0\)$"):
        find_culprits(range(3), Oracle(1), budget=0)


@pytest.mark.parametrize(
    ("n", "bound"), [(1, 1), (2, 2), (3, 3), (1000, 11), (1024, 11), (1025, 12), (5000, 14)]
)
def test_the_bisection_bound_is_ceil_log2_n_plus_one(n: int, bound: int) -> None:
    assert bisection_bound(n) == bound
