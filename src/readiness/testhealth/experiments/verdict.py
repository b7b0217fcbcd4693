"""The labels experiments give, from what the runs showed. Pure.

Vocabulary from iDFlakies (Lam et al., 2019): an *order-dependent victim* passes alone and fails
after a *polluter*; a *brittle* test fails alone and passes after a *state-setter*; a
*non-idempotent* test passes once and fails when run again in the same process; a
*non-order-dependent* test varies with the order held fixed. A test that fails in every
experiment is *broken* (not flaky: fix it first); one that never failed is *stable*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from readiness.errors import InputError
from readiness.testhealth.model import Outcome

Label = Literal[
    "order-dependent-victim",
    "brittle",
    "non-idempotent",
    "non-order-dependent",
    "broken",
    "stable",
]
FixVerdict = Literal["fixed", "still-flaky"]

RUN_OUTCOMES = frozenset({Outcome.PASSED, Outcome.FAILED, Outcome.ERROR})


def summary(outcomes: Sequence[Outcome | None]) -> str:
    """``passed,failed,not-run``: what each run of the test did, in order."""
    return ",".join(o.name.lower() if o is not None else "not-run" for o in outcomes)


@dataclass(frozen=True, slots=True)
class AloneVerdict:
    """What runs of the test alone decide: a label, or which way an order must tip it."""

    label: Label | None  # None: the orders decide
    fails_alone: bool


def alone_verdict(
    test_id: str, first: Sequence[Outcome | None], second: Sequence[Outcome | None]
) -> AloneVerdict:
    """Label from fresh processes each running the test twice (``first``, ``second`` runs).

    Mixed outcomes alone: non-order-dependent. Always passing first and failing at least once
    on the second run in the same process: non-idempotent. Skips are not runs.
    """
    alone = [o for o in first if o in RUN_OUTCOMES]
    if not alone:
        raise InputError(
            f"test {test_id!r} did not run (outcomes alone: {summary(first)}); "
            "check the id with `pytest --collect-only -q` and that it is not skipped"
        )
    fails = {o.is_failure for o in alone}
    if fails == {True, False}:
        return AloneVerdict("non-order-dependent", fails_alone=False)
    fails_alone = fails == {True}
    if not fails_alone and any(o is not None and o.is_failure for o in second):
        return AloneVerdict("non-idempotent", fails_alone=False)
    return AloneVerdict(None, fails_alone=fails_alone)


def tips(fails_alone: bool, outcome: Outcome | None) -> bool:
    """Whether ``outcome`` after some order differs from the test's outcome alone."""
    return outcome in RUN_OUTCOMES and outcome is not None and outcome.is_failure != fails_alone


def order_label(fails_alone: bool, again: Outcome | None) -> Label:
    """Label once an order tipped the outcome and was run ``again``: repeatable means order
    dependence (victim or brittle); not repeatable means the order is not what decides."""
    if not tips(fails_alone, again):
        return "non-order-dependent"
    return "brittle" if fails_alone else "order-dependent-victim"


def untipped_label(fails_alone: bool, *, failed_in_known_order: bool) -> Label:
    """Label when no order changed the outcome.

    Failing everywhere is broken. Passing everywhere is stable, unless the test failed in CI
    in an order that was replayed here and passed: the same order gave both outcomes, which
    is what non-order-dependent means.
    """
    if fails_alone:
        return "broken"
    return "non-order-dependent" if failed_in_known_order else "stable"


def fix_verdict(outcomes: Sequence[Outcome], required_runs: int) -> FixVerdict:
    """Fixed when at least ``required_runs`` runs (passed, failed or error) had no failure."""
    runs = [o for o in outcomes if o in RUN_OUTCOMES]
    if len(runs) >= required_runs and not any(o.is_failure for o in runs):
        return "fixed"
    return "still-flaky"
