"""The figures shown for one test, wherever it is shown: one computation. Pure.

The CLI (``tests flaky``, ``tests show``), the JSON API and the dashboard all show
:class:`~readiness.testhealth.model.TestFigures` as :func:`readiness.testhealth.views.figure_cells`
formats it, so a test never has two different counts on two surfaces.

Every figure is read from the detection window (see :mod:`readiness.testhealth.store.evidence`):
``runs`` counts the window's runs in which the test ran (its first execution passed, failed or
errored: skips, xfails and xpasses are not runs), ``failures`` those whose first execution
failed. Reruns inside a run (CI retries, ``--readiness-repeat`` repeats) never add runs.
"""

from __future__ import annotations

from readiness.errors import InputError
from readiness.testhealth.detection.stats import wilson_interval
from readiness.testhealth.model import TestFigures


def test_figures(runs: int, failures: int, streak: int, *, broken_streak: int) -> TestFigures:
    """The figures of a test that ran ``runs`` times, failed ``failures`` times and failed the
    last ``streak`` default-branch runs in a row (a streak of ``broken_streak`` is broken)."""
    if not 0 <= streak <= failures <= runs:
        raise InputError(
            f"test_figures: need 0 <= streak <= failures <= runs (got streak={streak}, "
            f"failures={failures}, runs={runs}); count all three over the same window"
        )
    low, high = wilson_interval(failures, runs)
    rate = failures / runs if runs else 0.0
    broken = streak >= broken_streak
    return TestFigures(
        runs=runs,
        failures=failures,
        failure_rate=rate,
        failure_rate_low=low,
        failure_rate_high=high,
        streak=streak,
        flake_rate=None if broken else rate,
        flake_rate_low=None if broken else low,
        flake_rate_high=None if broken else high,
    )


test_figures.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
