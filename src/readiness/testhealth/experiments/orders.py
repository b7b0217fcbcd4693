"""The orders experiments run a test in, and what each one rests on. Pure.

An experiment runs the tests *before* the test in some order, then the test, in one fresh
process. The orders, most telling first:

1. a **stored failing order**: the tests that ran before it in the same process (the same
   pytest-xdist worker) of a CI run where it failed, as ingested (``th_run_orders``);
2. a **recorded seed**: when a failing run stored no order but recorded its pytest-randomly
   seed, the order pytest-randomly gives that seed on the whole suite;
3. **fallbacks** over the whole suite (every file, module and package): its collected order,
   reversed, and random permutations.

Tests a stored order names that the suite no longer collects (renamed, deleted) are dropped.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from readiness._common.words import plural
from readiness.testhealth.model import FailingOrder

Seeded = Callable[[str], Sequence[str] | None]
"""The whole suite in the order pytest-randomly gives a seed; None when it cannot be replayed."""


def no_seed(_seed: str) -> None:
    """A :data:`Seeded` for runners that cannot replay seeds."""
    return None


@dataclass(frozen=True, slots=True)
class CandidateOrder:
    """Tests to run before the test, in order, with a name and the evidence it stands for."""

    name: str
    evidence: str
    before: tuple[str, ...]
    failing_like: bool  # from a run where the test failed (stored order or recorded seed)


def ahead_of(order: Sequence[str], test_id: str) -> tuple[str, ...]:
    """The tests ahead of the first ``test_id`` in ``order`` (all of it when absent)."""
    for i, name in enumerate(order):
        if name == test_id:
            return tuple(order[:i])
    return tuple(order)


def still_collected(tests: Iterable[str], suite: Iterable[str], test_id: str) -> tuple[str, ...]:
    """``tests`` in their order, without ``test_id``, repeats and tests ``suite`` lacks."""
    known = set(suite)
    return tuple(t for t in dict.fromkeys(tests) if t in known and t != test_id)


def reversed_suite(suite: Sequence[str], test_id: str) -> tuple[str, ...]:
    """The tests that come before ``test_id`` when the whole suite runs backwards."""
    return ahead_of(list(reversed(suite)), test_id)


def random_suite(suite: Sequence[str], test_id: str, rng: random.Random) -> tuple[str, ...]:
    """The tests before ``test_id`` in one random permutation (from ``rng``) of the suite."""
    shuffled = list(dict.fromkeys([*suite, test_id]))
    rng.shuffle(shuffled)
    return ahead_of(shuffled, test_id)


def _short(run_key: str) -> str:
    return run_key[:12]


def count_tests(n: int) -> str:
    """``1 test``, ``2 tests``."""
    return plural(n, "test")


def failing_like_orders(
    test_id: str,
    suite: Sequence[str],
    failing: Sequence[FailingOrder],
    seeded: Seeded,
) -> tuple[list[CandidateOrder], list[str]]:
    """Orders from runs where the test failed, newest first, and notes on what was skipped.

    ``seeded(seed)`` is the whole suite in the order pytest-randomly gives ``seed`` (None when
    it cannot be replayed); it is only asked for runs that stored no order. Orders with the
    same tests before the test are run once.
    """
    orders: list[CandidateOrder] = []
    notes: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for n, found in enumerate(failing, start=1):
        run = _short(found.run_key)
        if found.before is not None:
            before = still_collected(found.before, suite, test_id)
            dropped = len(dict.fromkeys(found.before)) - len(before)
            gone = f"; {dropped} of them no longer collected" if dropped else ""
            candidate = CandidateOrder(
                f"failing-order-{n}",
                f"the order of run {run} ({found.suite}) where it failed: "
                f"{count_tests(len(found.before))} before it{gone}",
                before,
                failing_like=True,
            )
        elif found.seed is not None:
            order = seeded(found.seed)
            if order is None:
                notes.append(
                    f"run {run} stored no order and its seed {found.seed} cannot be replayed "
                    "(pytest-randomly is not installed)"
                )
                continue
            before = ahead_of(order, test_id)
            candidate = CandidateOrder(
                f"seed-{found.seed}",
                f"the order pytest-randomly gives seed {found.seed} (run {run} failed with it):"
                f" {count_tests(len(before))} before it",
                before,
                failing_like=True,
            )
        else:
            notes.append(f"run {run} stored no order and recorded no seed")
            continue
        if candidate.before not in seen:
            seen.add(candidate.before)
            orders.append(candidate)
    return orders, notes


def fallback_orders(
    test_id: str, suite: Sequence[str], rng: random.Random, *, random_orders: int
) -> list[CandidateOrder]:
    """The whole suite in its collected order, reversed, and ``random_orders`` permutations."""
    collected = ahead_of(suite, test_id)
    backwards = reversed_suite(suite, test_id)
    orders = [
        CandidateOrder(
            "suite",
            f"the suite's collected order: {count_tests(len(collected))} before it",
            collected,
            failing_like=False,
        ),
        CandidateOrder(
            "reversed",
            f"the suite's order reversed: {count_tests(len(backwards))} before it",
            backwards,
            failing_like=False,
        ),
    ]
    for i in range(1, random_orders + 1):
        before = random_suite(suite, test_id, rng)
        orders.append(
            CandidateOrder(
                f"random-{i}",
                f"random order {i} of the suite: {count_tests(len(before))} before it",
                before,
                failing_like=False,
            )
        )
    return orders
