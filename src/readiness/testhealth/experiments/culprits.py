"""Which tests, run before a test, change its outcome: bisection and delta debugging. Pure.

The search works on an abstract *oracle*: ``oracle(subset)`` runs ``subset`` (in the order of the
candidates) and then the test, and says whether the test showed the outcome being explained (a
victim failed, a brittle test passed). The caller has seen the whole candidate list do it.

- One culprit (the common case, and any case where one culprit alone suffices): plain
  bisection, one oracle call per halving, then one call that confirms the culprit alone —
  at most ``ceil(log2 n) + 1`` calls.
- Several culprits that only act together: the bisection's confirmation fails, and Zeller and
  Hildebrandt's divide-and-conquer isolation (``dd``, "Simplifying and isolating
  failure-inducing input", 2002) finds a minimal set in ``O(k log n)`` calls for ``k`` culprits.

Every call counts against ``budget``; a search that runs out says so instead of guessing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

Oracle = Callable[[Sequence[T]], bool]


@dataclass(frozen=True, slots=True)
class CulpritSearch(Generic[T]):
    """What a search found and what it cost.

    ``culprits`` is empty when nothing was confirmed: the budget ran out (``exhausted``) or the
    oracle is not consistent (the test's outcome depends on more than which tests ran before).
    """

    culprits: tuple[T, ...]
    calls: int
    budget: int
    exhausted: bool


class _OutOfBudget(Exception):
    """Raised inside the search when the next oracle call would exceed the budget."""


class _Counted(Generic[T]):
    """The oracle over index sets: keeps the candidates' order and counts every call."""

    def __init__(self, candidates: Sequence[T], oracle: Oracle[T], budget: int) -> None:
        self.candidates = candidates
        self.oracle = oracle
        self.budget = budget
        self.calls = 0

    def __call__(self, indices: Sequence[int]) -> bool:
        if self.calls >= self.budget:
            raise _OutOfBudget
        self.calls += 1
        return self.oracle([self.candidates[i] for i in sorted(indices)])


def bisection_bound(n: int) -> int:
    """Oracle calls the search needs at most for one culprit among ``n`` candidates."""
    return math.ceil(math.log2(n)) + 1 if n > 1 else 1


def find_culprits(candidates: Sequence[T], oracle: Oracle[T], *, budget: int) -> CulpritSearch[T]:
    """A minimal subset of ``candidates`` for which ``oracle`` holds, in candidate order.

    Precondition: ``oracle(candidates)`` holds (the caller has seen it). The subset found is
    confirmed by one call of its own before it is returned.
    """
    if budget < 1:
        raise ValueError(f"find_culprits: budget must be at least 1 (got {budget})")
    counted = _Counted(candidates, oracle, budget)
    if not candidates:
        return CulpritSearch((), 0, budget, exhausted=False)
    everything = list(range(len(candidates)))
    try:
        found = _bisect(counted, everything)
        if found is None:
            found = _isolate(counted, everything, [])
            if not counted(found):
                found = []
    except _OutOfBudget:
        return CulpritSearch((), counted.calls, budget, exhausted=True)
    return CulpritSearch(
        tuple(candidates[i] for i in sorted(found)), counted.calls, budget, exhausted=False
    )


def _bisect(oracle: _Counted[T], indices: list[int]) -> list[int] | None:
    """One culprit by halving, confirmed alone; None when no single candidate suffices.

    Only the first half is asked: when it does not hold, the culprit is assumed to be in the
    second half, which the confirmation at the end checks.
    """
    if not indices:
        return None
    confirmed = False
    while len(indices) > 1:
        first, second = indices[: len(indices) // 2], indices[len(indices) // 2 :]
        confirmed = oracle(first)
        indices = first if confirmed else second
    if confirmed or oracle(indices):
        return indices
    return None


def _isolate(oracle: _Counted[T], c: list[int], r: list[int]) -> list[int]:
    """Zeller's ``dd``: a minimal part of ``c`` that, with all of ``r``, makes the oracle hold.

    Precondition: the oracle holds for ``c + r``. When neither half holds alone, both halves
    contribute (interference): minimise each half with the other (or its minimal part) kept.
    """
    if len(c) <= 1:
        return c
    first, second = c[: len(c) // 2], c[len(c) // 2 :]
    if oracle([*r, *first]):
        return _isolate(oracle, first, r)
    if oracle([*r, *second]):
        return _isolate(oracle, second, r)
    needed_first = _isolate(oracle, first, [*r, *second])
    return needed_first + _isolate(oracle, second, [*r, *needed_first])
