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
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from readiness.config import Settings
from readiness.errors import GateError, InputError
from readiness.testhealth.model import Classification, FixVerification, Hint, Outcome

Order = Literal["given", "random"]


class Runner(Protocol):
    """Runs tests in one fresh process and returns ``(test_id, outcome)`` in execution order.

    With ``order="given"`` an id may repeat (it runs again, in the same process); ``repeat``
    runs each test that many times back to back.
    """

    def run(
        self,
        test_ids: Sequence[str],
        *,
        order: Order = "given",
        seed: int | None = None,
        repeat: int = 1,
    ) -> list[tuple[str, Outcome]]: ...


@dataclass(frozen=True, slots=True)
class FailureSeen:
    """One failed attempt seen by a runner, for the failure kind of a classification."""

    test_id: str
    failure_type: str | None
    message: str | None


class PytestRunner:
    """Runs pytest on the project at ``root`` with ``python``; records failures it sees.

    ``extra_args`` go to every pytest call (``-p no:hypothesispytest`` saves ~0.5 s a process
    in projects that do not need Hypothesis' pytest plugin).
    """

    def __init__(
        self,
        root: Path,
        python: str = sys.executable,
        *,
        timeout_s: float = 900,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.root = root
        self.python = python
        self.timeout_s = timeout_s
        self.extra_args = tuple(extra_args)
        self.failures: list[FailureSeen] = []

    def run(
        self,
        test_ids: Sequence[str],
        *,
        order: Order = "given",
        seed: int | None = None,
        repeat: int = 1,
    ) -> list[tuple[str, Outcome]]:
        """Run ``test_ids`` in one pytest process (random order shuffles with ``seed``)."""
        ids = list(test_ids)
        if order == "random":
            random.Random(seed).shuffle(ids)  # noqa: S311 - a test order, not a secret
        if not ids:
            return []
        with tempfile.TemporaryDirectory(prefix="readiness-run-") as tmp:
            order_file = Path(tmp) / "order.txt"
            order_file.write_text("\n".join(ids) + "\n", encoding="utf-8")
            junit = Path(tmp) / "junit.xml"
            command = [
                self.python,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:randomly",
                "-p",
                "no:cacheprovider",
                f"--rootdir={self.root}",
                f"--readiness-order-file={order_file}",
                f"--readiness-junit={junit}",
                f"--readiness-repeat={repeat}",
                *self.extra_args,
                *dict.fromkeys(ids),
            ]
            try:
                done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
                    command,
                    cwd=self.root,
                    capture_output=True,
                    text=True,
                    timeout=self.timeout_s,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise GateError(
                    f"pytest in {self.root} ran longer than {self.timeout_s:.0f}s; "
                    "raise the timeout or pick fewer runs"
                ) from exc
            if done.returncode not in (0, 1) or not junit.is_file():
                tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
                raise InputError(
                    f"pytest in {self.root} exited {done.returncode} for {ids[0]!r}...: "
                    f"{' | '.join(tail)}; check the test ids with `pytest --collect-only -q`"
                )
            per_test = self._read_junit(junit)
        return _in_execution_order(ids, per_test, repeat)

    def collect(self, paths: Sequence[str]) -> list[str]:
        """Test ids pytest collects from ``paths`` (files or node ids), in file order."""
        command = [
            self.python,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            f"--rootdir={self.root}",
            *self.extra_args,
            *paths,
        ]
        done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            command,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=self.timeout_s,
            check=False,
        )
        ids = [line.strip() for line in done.stdout.splitlines() if "::" in line]
        if done.returncode != 0 or not ids:
            tail = (done.stdout + done.stderr).strip().splitlines()[-2:]
            raise InputError(
                f"pytest could not collect {', '.join(paths)} in {self.root}: "
                f"{' | '.join(tail)}; check the test id"
            )
        return ids

    def _read_junit(self, path: Path) -> dict[str, list[Outcome]]:
        """Outcomes of every attempt of every test in our plugin's report, via our own reader."""
        from readiness.testhealth.junit import iter_cases

        per_test: dict[str, list[Outcome]] = {}
        with path.open("rb") as handle:
            for case in iter_cases(handle, str(path)):
                per_test.setdefault(case.test_id, []).append(case.outcome)
                if case.outcome.is_failure:
                    self.failures.append(FailureSeen(case.test_id, case.failure_type, case.message))
        return per_test


def _in_execution_order(
    ids: list[str], per_test: dict[str, list[Outcome]], repeat: int
) -> list[tuple[str, Outcome]]:
    remaining = {k: list(v) for k, v in per_test.items()}
    out: list[tuple[str, Outcome]] = []
    for test_id in ids:
        queue = remaining.get(test_id, [])
        out += [(test_id, queue.pop(0)) for _ in range(min(repeat, len(queue)))]
    for test_id, queue in remaining.items():  # parametrised ids expand to several testcases
        out += [(test_id, outcome) for outcome in queue]
    return out


def _outcome_of(results: list[tuple[str, Outcome]], test_id: str) -> Outcome | None:
    return next((o for t, o in results if t == test_id), None)


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
        from readiness.testhealth.failures import classify_failure
    except ImportError:  # pragma: no cover - the parser module ships with the package
        return "assertion" if any("Assert" in (f.failure_type or "") for f in seen) else "error"
    kinds = Counter(str(classify_failure(f.failure_type, f.message)) for f in seen)
    return kinds.most_common(1)[0][0]


def _hints(source_root: Path, test_id: str) -> tuple[Hint, ...]:
    from readiness.errors import ReadinessError
    from readiness.testhealth.hints import hints_for_file

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
    from readiness.testhealth.core import required_runs

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
