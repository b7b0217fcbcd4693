"""Fix verification: rerun a fixed test as often as its flake rate demands, in failing-like orders.

Handbook 19.7 step 4: run a fixed test 50-100 times before releasing it from quarantine. The
number is ``n = ceil(ln alpha / ln(1 - p))`` for the measured flake rate ``p``, never below
``fix_min_runs`` (50) nor above ``fix_max_runs``. Runs alone cannot show that an
order-dependent victim is fixed, so the runs start with the orders it failed in:

1. the tests before it in each stored failing order (or the order its recorded seed gives;
   without either, the whole suite in collected, reversed and one random order);
2. its known polluters, then the test, round after round in one process;
3. the rest: half back to back alone in one process (timing, non-idempotence), half in rounds
   of random permutations of its own module.

The first failure ends the verification: the test is still flaky and stays in quarantine.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from readiness._common.words import plural
from readiness.config import Settings, TestHealthSettings
from readiness.errors import InputError
from readiness.testhealth.experiments.orders import (
    CandidateOrder,
    Seeded,
    failing_like_orders,
    fallback_orders,
    no_seed,
)
from readiness.testhealth.experiments.runner import PytestRunner, Runner
from readiness.testhealth.experiments.verdict import RUN_OUTCOMES, fix_verdict
from readiness.testhealth.model import FailingOrder, FixVerification, Outcome

PAIR_SHARE = 4  # a quarter of the runs go to polluter-then-test rounds


@dataclass(frozen=True, slots=True)
class Experiment:
    """One fresh process: ``tests`` in order (the test may appear many times), each
    ``repeat`` times back to back; ``runs`` is how often the test itself runs."""

    name: str
    tests: tuple[str, ...]
    runs: int
    repeat: int = 1


def runs_to_verify(flake_rate: float, th: TestHealthSettings) -> int:
    """Clean runs a fix needs: ``ceil(ln alpha / ln(1 - p))`` within the configured floor
    (``fix_min_runs``, 50 by default) and ceiling (``fix_max_runs``)."""
    from readiness.testhealth.detection.stats import required_runs

    return required_runs(flake_rate, th.fix_alpha, th.fix_min_runs, th.fix_max_runs)


def plan_verification(
    test_id: str,
    required_runs: int,
    *,
    orders: Sequence[CandidateOrder],
    polluters: Sequence[str],
    module_tests: Sequence[str],
    rng: random.Random,
) -> list[Experiment]:
    """The processes a verification runs, failing-like ones first; at least ``required_runs``
    runs of the test in all."""
    if required_runs < 1:
        raise InputError(f"required_runs must be at least 1 (got {required_runs})")
    plan = [Experiment(o.name, (*o.before, test_id), runs=1) for o in orders]
    culprits = tuple(p for p in dict.fromkeys(polluters) if p != test_id)
    if culprits:
        rounds = max(1, math.ceil(required_runs / PAIR_SHARE))
        plan.append(Experiment("pair", (*culprits, test_id) * rounds, runs=rounds))
    remaining = max(0, required_runs - sum(e.runs for e in plan))
    others = [t for t in dict.fromkeys(module_tests) if t != test_id]
    interleaved = remaining // 2 if others else 0
    alone = remaining - interleaved
    if alone:
        plan.append(Experiment("alone", (test_id,), runs=alone, repeat=alone))
    if interleaved:
        tests: list[str] = []
        for _ in range(interleaved):
            round_ = [*others, test_id]
            rng.shuffle(round_)
            tests += round_
        plan.append(Experiment("module-rounds", tuple(tests), runs=interleaved))
    return plan


def tally(outcomes: Sequence[Outcome]) -> str:
    """``passed 12 of 12``, ``failed 1 of 3``; skips are not runs and are counted apart."""
    runs = [o for o in outcomes if o in RUN_OUTCOMES]
    skipped = len(outcomes) - len(runs)
    if not runs:
        return f"skipped {skipped} of {skipped}" if skipped else "not run"
    failed = sum(1 for o in runs if o.is_failure)
    text = f"failed {failed} of {len(runs)}" if failed else f"passed {len(runs)} of {len(runs)}"
    return f"{text} ({skipped} skipped, not counted)" if skipped else text


def verify_fix(
    runner: Runner,
    test_id: str,
    required_runs: int,
    *,
    rng: random.Random,
    suite: Sequence[str] = (),
    failing: Sequence[FailingOrder] = (),
    seeded: Seeded = no_seed,
    polluters: Sequence[str] = (),
    module_tests: Sequence[str] = (),
    flake_rate: float = 0.0,
    alpha: float = 0.05,
) -> FixVerification:
    """Rerun a fixed test at least ``required_runs`` times; the first failure means still flaky.

    ``suite`` (every collected test) gives the failing-like orders: ``failing`` stored orders
    (or ``seeded`` recorded seeds), else the whole suite's collected, reversed and one random
    order. Without ``suite`` only ``polluters`` and the module rounds vary the order.
    """
    orders: list[CandidateOrder] = []
    if suite:
        orders, _notes = failing_like_orders(test_id, suite, failing, seeded)
        if not orders:
            orders = fallback_orders(test_id, suite, rng, random_orders=1)
    plan = plan_verification(
        test_id,
        required_runs,
        orders=orders,
        polluters=polluters,
        module_tests=module_tests,
        rng=rng,
    )
    outcomes: list[Outcome] = []
    experiments: dict[str, str] = {}
    for experiment in plan:
        seen = [
            o for t, o in runner.run(experiment.tests, repeat=experiment.repeat) if t == test_id
        ]
        experiments[experiment.name] = tally(seen)
        outcomes += seen
        if any(o.is_failure for o in seen):
            break  # still flaky: more runs would not change the verdict
    runs = [o for o in outcomes if o in RUN_OUTCOMES]
    return FixVerification(
        test_id=test_id,
        flake_rate=flake_rate,
        alpha=alpha,
        required_runs=required_runs,
        runs=len(runs),
        failures=sum(1 for o in runs if o.is_failure),
        verdict=fix_verdict(outcomes, required_runs),
        experiments=experiments,
    )


def verify_fix_locally(
    settings: Settings,
    test_id: str,
    *,
    flake_rate: float,
    failing: Sequence[FailingOrder] = (),
    polluters: Sequence[str] = (),
    runs: int | None = None,
    rng: random.Random,
    runner: PytestRunner | None = None,
) -> FixVerification:
    """Verify the fix of ``test_id`` in the project checkout, over its whole suite.

    ``runs`` overrides the computed number (:func:`runs_to_verify`); ``runner`` defaults to a
    real :class:`~readiness.testhealth.experiments.runner.PytestRunner` on ``settings.root``.
    """
    th = settings.testhealth
    needed = runs or runs_to_verify(flake_rate, th)
    real = runner or PytestRunner(settings.root)
    suite = real.collect()
    if test_id not in suite:
        raise InputError(
            f"test {test_id!r} is not in the suite pytest collects ({plural(len(suite), 'test')}); "
            "check the id with `pytest --collect-only -q` in the project root"
        )
    module = test_id.split("::", 1)[0]
    outcome: FixVerification = verify_fix(
        real,
        test_id,
        needed,
        rng=rng,
        suite=suite,
        failing=failing,
        seeded=real.seeded_order,
        polluters=polluters,
        module_tests=[t for t in suite if t.split("::", 1)[0] == module],
        flake_rate=flake_rate,
        alpha=th.fix_alpha,
    )
    return outcome
