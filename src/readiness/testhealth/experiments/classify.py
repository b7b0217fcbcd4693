"""Experiments that rerun tests: fix verification and root-cause classification.

Vocabulary from iDFlakies (Lam et al., 2019): an *order-dependent victim* passes alone and fails
after a *polluter*; a *brittle* test fails alone and passes after a *state-setter*; a
*non-idempotent* test passes once and fails when run again in the same process; a
*non-order-dependent* test varies with the order held fixed.

The runner is injectable: :class:`PytestRunner` runs pytest in subprocesses through this
package's pytest plugin; unit tests pass a fake with the same ``run`` method.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from readiness.config import Settings
from readiness.errors import InputError
from readiness.testhealth.experiments.runner import (
    FailureSeen,
    PytestRunner,
    Runner,
    _outcome_of,
)
from readiness.testhealth.model import Classification, Hint, Outcome


def _summary(outcomes: Sequence[Outcome | None]) -> str:
    return ",".join(o.name.lower() if o is not None else "not-run" for o in outcomes)


def _prefix(order: Sequence[str], test_id: str) -> list[str]:
    return list(order[: list(order).index(test_id)]) if test_id in order else list(order)


def _search(
    runner: Runner, test_id: str, before: list[str], *, fails_with: bool
) -> tuple[str, ...]:
    """Bisect ``before`` for one test that makes ``test_id`` fail (``fails_with``) or pass.

    Assumes a single culprit and verifies it by running ``[culprit, test_id]``; when that check
    disagrees (several tests act together), falls back to trying each test as a pair.
    """

    def culprit_in(candidates: list[str]) -> bool:
        outcome = _outcome_of(runner.run([*candidates, test_id]), test_id)
        return outcome is not None and outcome.is_failure == fails_with

    candidates = list(before)
    while len(candidates) > 1:
        half = candidates[: len(candidates) // 2]
        candidates = half if culprit_in(half) else candidates[len(half) :]
    if candidates and culprit_in(candidates):
        return (candidates[0],)
    for candidate in before:
        if candidate not in candidates and culprit_in([candidate]):
            return (candidate,)
    return ()


def _failure_kind(runner: Runner, test_id: str) -> str | None:
    seen: list[FailureSeen] = [f for f in getattr(runner, "failures", []) if f.test_id == test_id]
    if not seen:
        return None
    try:
        from readiness.testhealth.junit.failures import classify_failure
    except ImportError:  # pragma: no cover - the parser module ships with the package
        return "assertion" if any("Assert" in (f.failure_type or "") for f in seen) else "error"
    kinds = Counter(str(classify_failure(f.failure_type, f.message)) for f in seen)
    return kinds.most_common(1)[0][0]


def _hints(source_root: Path, test_id: str) -> tuple[Hint, ...]:
    from readiness.errors import ReadinessError
    from readiness.testhealth.experiments.hints import hints_for_file

    path = source_root / test_id.split("::", 1)[0]
    if not path.is_file():
        return ()
    try:
        return tuple(hints_for_file(path, test_id))
    except ReadinessError:
        return ()


def classify(
    runner: Runner,
    test_id: str,
    *,
    module_tests: Sequence[str],
    original_order: Sequence[str],
    rng: random.Random,
    random_orders: int = 5,
    source_root: Path,
    alone_runs: int = 3,
) -> Classification:
    """Find the root-cause category of a flaky test by rerunning it in controlled orders.

    Experiments: ``alone_runs`` fresh processes each running the test twice back to back (the
    first run is "alone", the second detects non-idempotence); the original order, reversed,
    and ``random_orders`` random permutations of ``module_tests``, each cut after the test.
    A test that fails in every experiment is labelled ``"broken"`` (not flaky: fix it first).
    """
    runs: dict[str, str] = {}
    alone_first: list[Outcome | None] = []
    alone_second: list[Outcome | None] = []
    for _ in range(alone_runs):
        results = [o for t, o in runner.run([test_id], repeat=2) if t == test_id]
        alone_first.append(results[0] if results else None)
        alone_second.append(results[1] if len(results) > 1 else None)
    runs["alone"] = _summary(alone_first)
    runs["alone-second-run"] = _summary(alone_second)

    orders: list[tuple[str, list[str]]] = [
        ("original", list(original_order)),
        ("reversed", list(reversed(original_order))),
    ]
    for i in range(random_orders):
        shuffled = list(dict.fromkeys([*module_tests, test_id]))
        rng.shuffle(shuffled)
        orders.append((f"random-{i + 1}", shuffled))
    ordered: list[tuple[str, list[str], Outcome | None]] = []
    for name, order in orders:
        before = _prefix(order, test_id)
        outcome = _outcome_of(runner.run([*before, test_id]), test_id)
        runs[name] = _summary([outcome])
        ordered.append((name, before, outcome))

    label, polluters = _decide(
        runner,
        test_id,
        alone_first=alone_first,
        alone_second=alone_second,
        ordered=ordered,
        runs=runs,
    )
    return Classification(
        test_id=test_id,
        label=label,
        polluters=polluters,
        hints=_hints(source_root, test_id),
        failure_kind=_failure_kind(runner, test_id),
        runs=runs,
    )


def _decide(
    runner: Runner,
    test_id: str,
    *,
    alone_first: list[Outcome | None],
    alone_second: list[Outcome | None],
    ordered: list[tuple[str, list[str], Outcome | None]],
    runs: dict[str, str],
) -> tuple[str, tuple[str, ...]]:
    alone = [o for o in alone_first if o is not None]
    if not alone:
        raise InputError(f"test {test_id!r} did not run; check the id with `pytest --collect-only`")
    alone_fails = {o.is_failure for o in alone}
    if alone_fails == {True, False}:
        return "non-order-dependent", ()
    if alone_fails == {False} and any(o is not None and o.is_failure for o in alone_second):
        return "non-idempotent", ()
    # Passing alone, look for an order that fails (victim); failing alone, one that passes.
    fails_alone = alone_fails == {True}
    found = [(n, b) for n, b, o in ordered if o is not None and o.is_failure != fails_alone]
    if not found:
        return ("broken" if fails_alone else "stable"), ()
    name, before = found[0]
    # The same order again: if the outcome changes, the order is not what decides it.
    again = _outcome_of(runner.run([*before, test_id]), test_id)
    runs[f"{name}-again"] = _summary([again])
    if again is None or again.is_failure == fails_alone:
        return "non-order-dependent", ()
    culprits = _search(runner, test_id, before, fails_with=not fails_alone)
    if fails_alone:
        runs["state-setter-check"] = "passed" if culprits else "no single state-setter"
        return "brittle", culprits
    runs["polluter-check"] = "failed" if culprits else "no single polluter"
    return "order-dependent-victim", culprits


def classify_locally(
    settings: Settings, test_id: str, *, rng: random.Random, runner: PytestRunner | None = None
) -> Classification:
    """Run the iDFlakies-style experiments on ``test_id`` in the project checkout."""
    real = runner or PytestRunner(settings.root)
    module_tests = real.collect([test_id.split("::", 1)[0]])
    found: Classification = classify(
        real,
        test_id,
        module_tests=module_tests,
        original_order=module_tests,
        rng=rng,
        source_root=settings.root,
    )
    return found
