"""A fake runner for the experiments: one simulated process per ``run``, outcomes by rule."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from readiness.testhealth.model import FailingOrder, Outcome

PASS, FAIL, ERROR, SKIP = Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED

Rule = Callable[[str, list[str]], Outcome]
AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


class FakeRunner:
    """Simulates one fresh process per ``run``: ``rule(test_id, tests_run_before_in_process)``.

    ``calls`` keeps each process's tests and repeat count.
    """

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.calls: list[tuple[list[str], int]] = []

    def run(
        self,
        test_ids: Sequence[str],
        *,
        order: str = "given",
        seed: int | None = None,
        repeat: int = 1,
    ) -> list[tuple[str, Outcome]]:
        ids = list(test_ids)
        if order == "random":
            random.Random(seed).shuffle(ids)
        self.calls.append((ids, repeat))
        history: list[str] = []
        out = []
        for test_id in ids:
            for _ in range(repeat):
                out.append((test_id, self.rule(test_id, history)))
                history.append(test_id)
        return out


def polluted_by(victim: str, *polluters: str) -> Rule:
    """The victim fails once every polluter has run before it in the process."""

    def rule(test_id: str, before: list[str]) -> Outcome:
        return FAIL if test_id == victim and all(p in before for p in polluters) else PASS

    return rule


def failing_order(before: Sequence[str] | None, *, seed: str | None = None) -> FailingOrder:
    """A stored failing order of run ``3f2a1c0d9e8b...`` on worker ``pytest:gw1``."""
    return FailingOrder(
        run_key="3f2a1c0d9e8b" + "0" * 52,
        started_at=AT,
        commit="c1",
        seed=seed,
        suite="pytest:gw1",
        before=tuple(before) if before is not None else None,
    )


def generated_suite(files: int, per_file: int) -> list[str]:
    """Node ids of a suite spread over packages and modules, in collected order."""
    return [
        f"tests/pkg_{f % 4}/test_mod_{f}.py::test_case_{t}"
        for f in range(files)
        for t in range(per_file)
    ]
