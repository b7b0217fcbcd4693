"""Statistics of flakiness: the Wilson interval, the runs a fix needs, percentiles. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence

from readiness.errors import InputError

Z95 = 1.96


def wilson_interval(failures: int, runs: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of the failure proportion; ``(0, 1)`` when nothing ran."""
    if runs < 0 or not 0 <= failures <= max(runs, 0):
        raise InputError(
            f"wilson_interval: need 0 <= failures <= runs (got failures={failures}, "
            f"runs={runs}); count failures among the same executions as runs"
        )
    if runs == 0:
        return 0.0, 1.0
    p = failures / runs
    z2 = z * z
    denom = 1 + z2 / runs
    centre = (p + z2 / (2 * runs)) / denom
    half = z * math.sqrt(p * (1 - p) / runs + z2 / (4 * runs * runs)) / denom
    # Clamp rounding noise so that low <= p <= high holds exactly at p = 0 and p = 1.
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def required_runs(p_hat: float, alpha: float, min_runs: int, max_runs: int) -> int:
    """Clean runs needed to show, with confidence 1 - alpha, that rate ``p_hat`` is gone.

    ``ceil(ln(alpha) / ln(1 - p_hat))`` clamped to ``[min_runs, max_runs]``; 59 for 0.05, 0.05.
    """
    if not 0 < alpha < 1:
        raise InputError(f"required_runs: alpha must be in (0, 1) (got {alpha}); try 0.05")
    if not 1 <= min_runs <= max_runs:
        raise InputError(
            f"required_runs: need 1 <= min_runs <= max_runs (got {min_runs}, {max_runs})"
        )
    if p_hat <= 0:
        return max_runs
    if p_hat >= 1:
        return min_runs
    needed = math.log(alpha) / math.log1p(-p_hat)  # inf when p_hat is denormal-small
    return max(min_runs, min(max_runs, math.ceil(min(needed, float(max_runs)))))


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) with linear interpolation between closest ranks."""
    if not values:
        raise InputError("percentile: no values; pass at least one")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
