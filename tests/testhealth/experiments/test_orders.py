"""Order arithmetic: prefixes, reversals, random orders and the orders a test failed in."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from readiness.testhealth.experiments.orders import (
    CandidateOrder,
    ahead_of,
    failing_like_orders,
    fallback_orders,
    no_seed,
    random_suite,
    reversed_suite,
    still_collected,
)
from readiness.testhealth.model import FailingOrder

A, B, C, V = (f"tests/{p}/test_{p}.py::test_{p}" for p in ("a", "b", "c", "v"))
AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
RUN = "3f2a1c0d9e8b" + "0" * 52

suites = st.lists(st.text("abcdef", min_size=1, max_size=4), unique=True, min_size=1, max_size=60)


def _failing(before: Sequence[str] | None, *, seed: str | None = None) -> FailingOrder:
    return FailingOrder(
        run_key=RUN,
        started_at=AT,
        commit="c1",
        seed=seed,
        suite="pytest:gw1",
        before=tuple(before) if before is not None else None,
    )


@given(suites, st.data())
def test_the_tests_before_a_test_are_exactly_those_ahead_of_it(
    suite: list[str], data: st.DataObject
) -> None:
    test_id = data.draw(st.sampled_from(suite))

    before = ahead_of(suite, test_id)

    assert (*before, test_id) == tuple(suite[: suite.index(test_id) + 1])


@given(suites, st.data())
def test_reversed_suite_puts_ahead_of_a_test_what_followed_it_in_reverse(
    suite: list[str], data: st.DataObject
) -> None:
    test_id = data.draw(st.sampled_from(suite))

    before = reversed_suite(suite, test_id)

    assert before == tuple(reversed(suite[suite.index(test_id) + 1 :]))


@given(suites, st.data(), st.integers(0, 2**32))
def test_a_random_order_puts_a_subset_of_the_suite_ahead_of_the_test_once_each(
    suite: list[str], data: st.DataObject, seed: int
) -> None:
    test_id = data.draw(st.sampled_from(suite))

    before = random_suite(suite, test_id, random.Random(seed))

    assert test_id not in before
    assert len(set(before)) == len(before)
    assert set(before) <= set(suite)


@given(suites, st.data())
def test_still_collected_keeps_the_stored_order_of_tests_the_suite_still_has(
    suite: list[str], data: st.DataObject
) -> None:
    stored = data.draw(st.lists(st.text("abcdefgh", min_size=1, max_size=4), max_size=60))
    test_id = data.draw(st.sampled_from(suite))

    kept = still_collected(stored, suite, test_id)

    expected = [t for t in dict.fromkeys(stored) if t in set(suite) and t != test_id]
    assert kept == tuple(expected)


def test_a_stored_failing_order_comes_first_with_what_it_rests_on() -> None:
    orders, notes = failing_like_orders(V, [A, B, C, V], [_failing([C, A])], no_seed)

    assert orders == [
        CandidateOrder(
            "failing-order-1",
            "the order of run 3f2a1c0d9e8b (pytest:gw1) where it failed: 2 tests before it",
            (C, A),
            failing_like=True,
        )
    ]
    assert notes == []


def test_a_stored_order_drops_tests_the_suite_no_longer_collects_and_says_so() -> None:
    gone = "tests/test_old.py::test_removed"

    orders, _ = failing_like_orders(V, [A, B, V], [_failing([gone, A])], no_seed)

    assert orders[0].before == (A,)
    assert orders[0].evidence == (
        "the order of run 3f2a1c0d9e8b (pytest:gw1) where it failed: 2 tests before it; "
        "1 of them no longer collected"
    )


def test_a_run_without_a_stored_order_is_replayed_from_its_recorded_seed() -> None:
    asked: list[str] = []

    def seeded(seed: str) -> list[str]:
        asked.append(seed)
        return [B, A, V, C]

    orders, _ = failing_like_orders(V, [A, B, C, V], [_failing(None, seed="4242")], seeded)

    assert asked == ["4242"]
    assert orders == [
        CandidateOrder(
            "seed-4242",
            "the order pytest-randomly gives seed 4242 (run 3f2a1c0d9e8b failed with it): "
            "2 tests before it",
            (B, A),
            failing_like=True,
        )
    ]


def test_a_seed_that_cannot_be_replayed_is_noted_not_run() -> None:
    orders, notes = failing_like_orders(V, [A, V], [_failing(None, seed="4242")], no_seed)

    assert orders == []
    assert notes == [
        "run 3f2a1c0d9e8b stored no order and its seed 4242 cannot be replayed "
        "(pytest-randomly is not installed)"
    ]


def test_a_run_with_neither_order_nor_seed_is_noted() -> None:
    orders, notes = failing_like_orders(V, [A, V], [_failing(None)], no_seed)

    assert (orders, notes) == ([], ["run 3f2a1c0d9e8b stored no order and recorded no seed"])


def test_two_failing_runs_with_the_same_tests_before_it_are_run_once() -> None:
    orders, _ = failing_like_orders(
        V, [A, B, V], [_failing([A]), _failing([A]), _failing([B])], no_seed
    )

    assert [(o.name, o.before) for o in orders] == [
        ("failing-order-1", (A,)),
        ("failing-order-3", (B,)),
    ]


def test_the_fallback_orders_are_the_suite_forwards_backwards_and_shuffled() -> None:
    orders = fallback_orders(B, [A, B, C], random.Random(0), random_orders=2)

    assert [(o.name, o.evidence, o.failing_like) for o in orders] == [
        ("suite", "the suite's collected order: 1 test before it", False),
        ("reversed", "the suite's order reversed: 1 test before it", False),
        ("random-1", "random order 1 of the suite: 2 tests before it", False),
        ("random-2", "random order 2 of the suite: 1 test before it", False),
    ]
    assert [o.before for o in orders][:2] == [(A,), (C,)]


def test_fallback_random_orders_depend_only_on_the_seed_of_the_rng() -> None:
    suite = [f"tests/test_{i}.py::test_{i}" for i in range(50)]

    first = fallback_orders(suite[10], suite, random.Random(5), random_orders=3)
    second = fallback_orders(suite[10], suite, random.Random(5), random_orders=3)

    assert first == second
