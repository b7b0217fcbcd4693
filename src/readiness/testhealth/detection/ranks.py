"""The Mann-Whitney U test, one-sided, for "are these values larger than those?". Pure.

Used by :mod:`.signals` to ask whether the runs a test failed in were longer (busier) than the
runs it passed in. Asymptotic: the normal approximation with the tie correction and the
continuity correction, the same as ``scipy.stats.mannwhitneyu(x, y, alternative="greater",
method="asymptotic")`` (scipy is not a dependency; a test compares the two when it is there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from readiness.errors import InputError


@dataclass(frozen=True, slots=True)
class RankTest:
    """U of the first sample and the one-sided p-value that it is stochastically larger."""

    u: float
    p: float


def midranks(values: Sequence[float]) -> list[float]:
    """Ranks 1..n of ``values`` in their order, ties sharing the mean of their ranks."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def mann_whitney_greater(x: Sequence[float], y: Sequence[float]) -> RankTest:
    """Whether ``x`` tends to be larger than ``y``; p is 1.0 when every value is equal."""
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise InputError(
            f"mann_whitney_greater: both samples need a value (got {n1} and {n2}); "
            "compare only when each side has runs"
        )
    both = [*x, *y]
    ranks = midranks(both)
    u = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    n = n1 + n2
    counts: dict[float, int] = {}
    for v in both:
        counts[v] = counts.get(v, 0) + 1
    ties = sum(t**3 - t for t in counts.values())
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:
        return RankTest(u=u, p=1.0)
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return RankTest(u=u, p=0.5 * math.erfc(z / math.sqrt(2)))
