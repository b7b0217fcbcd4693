"""Fix verification: rerun a fixed test as often as its flake rate demands."""

from __future__ import annotations

import random
from collections.abc import Sequence

from readiness.config import Settings
from readiness.errors import InputError
from readiness.testhealth.experiments.runner import PytestRunner, Runner
from readiness.testhealth.model import FixVerification


def verify_fix(
    runner: Runner,
    test_id: str,
    required_runs: int,
    *,
    rng: random.Random,
    module_tests: Sequence[str] = (),
    flake_rate: float = 0.0,
    alpha: float = 0.05,
) -> FixVerification:
    """Rerun a fixed test ``required_runs`` times; any failure means still flaky.

    The runs are split in two halves: ``ceil(n/2)`` back to back in one process with the test
    alone (timing and non-idempotence), and ``floor(n/2)`` rounds in one process where each round
    is a fresh random permutation (from ``rng``) of the module's tests (order dependence).
    Without ``module_tests`` every run is an isolated one.
    """
    if required_runs < 1:
        raise InputError(f"required_runs must be at least 1 (got {required_runs})")
    others = [t for t in module_tests if t != test_id]
    interleaved = required_runs // 2 if others else 0
    alone = required_runs - interleaved
    outcomes = [o for t, o in runner.run([test_id], repeat=alone) if t == test_id]
    if interleaved:
        order: list[str] = []
        for _ in range(interleaved):
            round_ = [*others, test_id]
            rng.shuffle(round_)
            order += round_
        outcomes += [o for t, o in runner.run(order) if t == test_id]
    failures = sum(1 for o in outcomes if o.is_failure)
    return FixVerification(
        test_id=test_id,
        flake_rate=flake_rate,
        alpha=alpha,
        required_runs=required_runs,
        runs=len(outcomes),
        failures=failures,
        verdict="fixed" if failures == 0 and outcomes else "still-flaky",
    )


def verify_fix_locally(
    settings: Settings,
    test_id: str,
    *,
    flake_rate: float,
    runs: int | None = None,
    rng: random.Random,
    runner: PytestRunner | None = None,
) -> FixVerification:
    """Rerun ``test_id`` in the project checkout as often as its flake rate demands.

    ``runs`` overrides the computed n = ceil(ln alpha / ln(1 - p)); ``runner`` defaults to a
    real :class:`~readiness.testhealth.experiments.PytestRunner` on ``settings.root``.
    """
    from readiness.testhealth.detection.stats import required_runs

    th = settings.testhealth
    needed = runs or required_runs(flake_rate, th.fix_alpha, th.fix_min_runs, th.fix_max_runs)
    real = runner or PytestRunner(settings.root)
    module_tests = real.collect([test_id.split("::", 1)[0]])
    outcome: FixVerification = verify_fix(
        real,
        test_id,
        needed,
        rng=rng,
        module_tests=module_tests,
        flake_rate=flake_rate,
        alpha=th.fix_alpha,
    )
    return outcome
