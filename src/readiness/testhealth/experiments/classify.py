"""Root cause of a flaky test by experiment: rerun it alone and in telling orders.

1. Alone, in ``alone_runs`` fresh processes, each running the test twice back to back
   (timing and non-idempotence).
2. In orders (see :mod:`.orders`), one fresh process each, stopping at the first order that
   changes its outcome: the orders of CI runs where it failed, else the order its recorded
   seed gives, then the whole suite in collected, reversed and random orders.
3. The order that changed the outcome is run again; if it does so again, the tests before
   the test are searched (:mod:`.culprits`) for the polluter(s) or state-setter(s), which are
   confirmed as a pair (culprit, then the test) in a fresh process.

The result carries the label, the evidence it rests on and the number of pytest processes the
experiments took.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from readiness._common.words import plural
from readiness.config import Settings
from readiness.errors import InputError
from readiness.testhealth.experiments.culprits import CulpritSearch, find_culprits
from readiness.testhealth.experiments.orders import (
    CandidateOrder,
    Seeded,
    count_tests,
    failing_like_orders,
    fallback_orders,
    no_seed,
)
from readiness.testhealth.experiments.runner import (
    FailureSeen,
    PytestRunner,
    Runner,
    _outcome_of,
)
from readiness.testhealth.experiments.verdict import (
    Label,
    alone_verdict,
    order_label,
    summary,
    tips,
    untipped_label,
)
from readiness.testhealth.model import Classification, FailingOrder, Hint, Outcome

SEARCH_BUDGET = 64  # pytest runs the culprit search may take (2 culprits in 5,000 need ~56)


class _Counting:
    """Counts the fresh processes a runner starts."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.calls = 0

    def outcome(self, tests: Sequence[str], test_id: str) -> Outcome | None:
        self.calls += 1
        return _outcome_of(self.runner.run(tests), test_id)

    def alone(self, test_id: str) -> tuple[Outcome | None, Outcome | None]:
        self.calls += 1
        results = [o for t, o in self.runner.run([test_id], repeat=2) if t == test_id]
        return (
            results[0] if results else None,
            results[1] if len(results) > 1 else None,
        )


def classify(
    runner: Runner,
    test_id: str,
    *,
    suite: Sequence[str],
    failing: Sequence[FailingOrder] = (),
    seeded: Seeded = no_seed,
    rng: random.Random,
    random_orders: int = 3,
    source_root: Path,
    alone_runs: int = 3,
    search_budget: int = SEARCH_BUDGET,
) -> Classification:
    """Label ``test_id`` by experiment, with its polluters or state-setters when it has them.

    ``suite`` is every test of the project in collected order (the candidates of the
    fallback orders); ``failing`` the stored orders of runs where the test failed, newest
    first; ``seeded(seed)`` replays a recorded pytest-randomly seed on the suite.
    """
    if test_id not in suite:
        raise InputError(
            f"test {test_id!r} is not in the suite pytest collects ({plural(len(suite), 'test')}); "
            "check the id with `pytest --collect-only -q` in the project root"
        )
    if alone_runs < 1:
        raise InputError(f"alone_runs must be at least 1 (got {alone_runs})")
    counted = _Counting(runner)
    runs: dict[str, str] = {}
    first, second = zip(*(counted.alone(test_id) for _ in range(alone_runs)), strict=True)
    runs["alone"] = summary(first)
    runs["alone-second-run"] = summary(second)
    alone = alone_verdict(test_id, first, second)

    def done(
        label: Label, evidence: str, search: CulpritSearch[str] | None = None
    ) -> Classification:
        return Classification(
            test_id=test_id,
            label=label,
            polluters=search.culprits if search is not None else (),
            hints=_hints(source_root, test_id),
            failure_kind=_failure_kind(runner, test_id),
            runs=runs,
            evidence=evidence,
            pytest_runs=counted.calls,
            search_runs=search.calls if search is not None else 0,
        )

    alone_text = f"{plural(alone_runs, 'run')} in fresh processes"
    if alone.label == "non-order-dependent":
        return done(alone.label, f"passed and failed alone ({alone_text})")
    if alone.label == "non-idempotent":
        return done(
            alone.label, f"passed alone, failed when run again in the same process ({alone_text})"
        )

    # Failing-like orders only help to explain a failure; a brittle test needs passing orders.
    failing_like: list[CandidateOrder] = []
    if not alone.fails_alone:
        failing_like, notes = failing_like_orders(test_id, suite, failing, seeded)
        for n, note in enumerate(notes, start=1):
            runs[f"note-{n}"] = note
    orders = [*failing_like, *fallback_orders(test_id, suite, rng, random_orders=random_orders)]
    tried: list[CandidateOrder] = []
    tipped: tuple[CandidateOrder, Outcome | None] | None = None
    for candidate in orders:
        outcome = counted.outcome([*candidate.before, test_id], test_id)
        runs[candidate.name] = summary([outcome])
        tried.append(candidate)
        if tips(alone.fails_alone, outcome):
            tipped = candidate, outcome
            break
    if tipped is None:
        label = untipped_label(alone.fails_alone, failed_in_known_order=bool(failing_like))
        return done(label, _untipped_evidence(label, alone_text, tried))

    order, outcome = tipped
    again = counted.outcome([*order.before, test_id], test_id)
    runs[f"{order.name}-again"] = summary([again])
    label = order_label(alone.fails_alone, again)
    if label == "non-order-dependent":
        return done(
            label,
            f"{summary([outcome])} after {order.evidence}, "
            f"then {summary([again])} in the same order",
        )

    def oracle(subset: Sequence[str]) -> bool:
        return tips(alone.fails_alone, counted.outcome([*subset, test_id], test_id))

    search = find_culprits(order.before, oracle, budget=search_budget)
    wanted_failure = not alone.fails_alone
    role = "polluter" if wanted_failure else "state-setter"
    runs[f"{role}-search"] = _search_summary(search, len(order.before))
    alone_did = "passes" if wanted_failure else "fails"
    order_did = "fails" if wanted_failure else "passes"
    evidence = f"{alone_did} alone ({alone_text}) and {order_did} after {order.evidence}"
    if search.culprits:
        evidence += (
            f"; confirmed as a pair: {' and '.join(search.culprits)} then the test {order_did}"
        )
    return done(label, evidence, search)


def _search_summary(search: CulpritSearch[str], candidates: int) -> str:
    runs, over = plural(search.calls, "run"), count_tests(candidates)
    if search.culprits:
        return f"{len(search.culprits)} confirmed in {runs} over {over}"
    if search.exhausted:
        return (
            f"stopped at the budget of {plural(search.budget, 'run')} over {over}; none confirmed"
        )
    return (
        f"none confirmed in {runs} over {over} "
        "(the outcome does not follow from which tests ran before)"
    )


def _untipped_evidence(label: Label, alone_text: str, tried: Sequence[CandidateOrder]) -> str:
    orders = "; ".join(o.evidence for o in tried)
    if label == "broken":
        return f"failed alone ({alone_text}) and after every order tried: {orders}"
    if label == "non-order-dependent":
        return (
            f"passed alone ({alone_text}) and after every order tried, "
            f"the orders it failed in on CI first: {orders}"
        )
    return f"passed alone ({alone_text}) and after every order tried: {orders}"


def _failure_kind(runner: Runner, test_id: str) -> str | None:
    seen: list[FailureSeen] = [f for f in getattr(runner, "failures", []) if f.test_id == test_id]
    if not seen:
        return None
    from readiness.testhealth.junit.failures import classify_failure

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


def classify_locally(
    settings: Settings,
    test_id: str,
    *,
    failing: Sequence[FailingOrder],
    rng: random.Random,
    runner: PytestRunner | None = None,
) -> Classification:
    """Run the experiments on ``test_id`` in the project checkout, over its whole suite."""
    real = runner or PytestRunner(settings.root)
    found: Classification = classify(
        real,
        test_id,
        suite=real.collect(),
        failing=failing,
        seeded=real.seeded_order,
        rng=rng,
        source_root=settings.root,
    )
    return found
