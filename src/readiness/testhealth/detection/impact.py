"""What a flaky or broken test costs a team, and the order to fix tests in. Pure.

:mod:`readiness.testhealth.store.impact` loads :class:`TestRun` records (one test in one run
of the detection window); :func:`impact_of` adds them up. Runs with CI metadata (a CI run id or
a CI provider) are CI runs; runs without are local and cost no CI time.

- ``ci_runs_failed``: CI runs whose final outcome of the test failed (the last execution; in a
  ``--readiness-repeat`` run, any execution), so the run went red.
- ``in_run_retries``: CI runs in which the test failed and then passed on a retry inside the run.
- ``ci_reruns``: CI runs it failed that were run again as a later CI attempt of the same CI run
  id and job (someone pressed "re-run").
- ``ci_runs_retried`` = ``in_run_retries + ci_reruns``: the runs it forced into a retry.
- ``ci_seconds_lost``: for each CI run it failed, the run's duration divided by the number of
  tests that failed that run (the run has to be repeated; its cost is shared by the tests that
  failed it, so the sum over tests is the CI time of the failed runs, never more); for each
  in-run retry, the duration of its failing executions (the time spent before the retry).
- ``prs_affected`` / ``branches_affected``: distinct pull requests / branches of the runs
  (CI or local) in which it failed at least once; ``last_failed_at``: the newest such run.
- ``score``: estimated minutes lost, machines and people, the number the flaky list is sorted
  by (highest first, ties by test id)::

      score = ci_minutes_lost + FAILED_RUN_MINUTES × ci_runs_failed
              + RETRY_MINUTES × ci_runs_retried + LOCAL_FAILURE_MINUTES × local_runs_failed
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from readiness.errors import InputError
from readiness.testhealth.model import Outcome

#: A person's minutes per CI run the test turned red: read the log, decide, press re-run.
FAILED_RUN_MINUTES = 10.0
#: Minutes per CI run it forced into a retry: a later result and a warning nobody reads.
RETRY_MINUTES = 2.0
#: Minutes per run outside CI it failed: a developer stops to look.
LOCAL_FAILURE_MINUTES = 1.0
#: Pull requests and branches named in the evidence (the counts are always complete).
MAX_NAMED = 10

SortKey = Literal["impact", "failure-rate", "name", "last-seen"]
SORT_KEYS: tuple[SortKey, ...] = ("impact", "failure-rate", "name", "last-seen")


@dataclass(frozen=True, slots=True)
class TestRun:
    """One test in one run: its executions and what is known about the run."""

    __test__ = False

    run_id: int
    started_at: datetime
    outcomes: tuple[Outcome, ...]  # by attempt: the first execution, then reruns
    ci: bool  # the run has CI metadata (a CI run id or provider); else it ran locally
    run_duration_s: float = 0.0
    run_failed_tests: int = 1  # tests whose final outcome failed the run (th_runs.failed)
    test_duration_s: float = 0.0  # of all its executions in the run
    failed_duration_s: float = 0.0  # of its failing executions
    failure_kinds: tuple[str | None, ...] = ()  # of its failing executions, by attempt
    failure_messages: tuple[str, ...] = ()  # first lines of its failing executions' messages
    repeat: int = 1  # N of --readiness-repeat N: its later executions are repeats, not retries
    rerun_later: bool = False  # a later CI attempt of the same CI run id and job exists
    job: str | None = None
    branch: str | None = None
    pr: str | None = None
    runner: str | None = None
    environment: str | None = None  # the run's tags (but runner), "k=v, ..." sorted

    @property
    def counted(self) -> bool:
        """The first execution passed or failed (skips and xfails are not runs)."""
        return bool(self.outcomes) and self.outcomes[0] in (
            Outcome.PASSED,
            Outcome.FAILED,
            Outcome.ERROR,
        )

    @property
    def failed_any(self) -> bool:
        """Some execution failed."""
        return any(o.is_failure for o in self.outcomes)

    @property
    def final_failed(self) -> bool:
        """The run went red because of it: the last execution failed (any, when repeated)."""
        if not self.outcomes:
            return False
        return self.failed_any if self.repeat > 1 else self.outcomes[-1].is_failure

    @property
    def retried_in_run(self) -> bool:
        """Failed, then passed on a CI retry inside the run (repeats are not retries)."""
        return self.repeat == 1 and self.failed_any and not self.final_failed


@dataclass(frozen=True, slots=True)
class TestImpact:
    """What one test cost over the detection window (see the module docstring)."""

    __test__ = False

    test_id: str
    ci_runs_failed: int = 0
    ci_runs_retried: int = 0
    in_run_retries: int = 0
    ci_reruns: int = 0
    ci_seconds_lost: float = 0.0
    local_runs_failed: int = 0
    prs_affected: int = 0
    branches_affected: int = 0
    prs: tuple[str, ...] = ()  # the first MAX_NAMED, sorted
    branches: tuple[str, ...] = ()
    last_failed_at: datetime | None = None
    score: float = 0.0

    @property
    def ci_minutes_lost(self) -> float:
        """:attr:`ci_seconds_lost` in minutes."""
        return self.ci_seconds_lost / 60


def impact_score(
    *, ci_minutes_lost: float, ci_runs_failed: int, ci_runs_retried: int, local_runs_failed: int
) -> float:
    """Estimated minutes lost (see the module docstring), rounded to 0.01."""
    return round(
        ci_minutes_lost
        + FAILED_RUN_MINUTES * ci_runs_failed
        + RETRY_MINUTES * ci_runs_retried
        + LOCAL_FAILURE_MINUTES * local_runs_failed,
        2,
    )


def impact_of(test_id: str, runs: Iterable[TestRun]) -> TestImpact:
    """The impact of ``test_id`` from its runs (any subset: runs without a failure add nothing)."""
    failed = retried = reruns = local = 0
    seconds = 0.0
    prs: set[str] = set()
    branches: set[str] = set()
    last: datetime | None = None
    for run in sorted(runs, key=lambda r: r.run_id):  # a fixed order: float sums repeat exactly
        if not run.failed_any:
            continue
        if run.pr:
            prs.add(run.pr)
        if run.branch:
            branches.add(run.branch)
        if last is None or run.started_at > last:
            last = run.started_at
        if not run.ci:
            local += 1
            continue
        if run.final_failed:
            failed += 1
            seconds += run.run_duration_s / max(1, run.run_failed_tests)
            reruns += run.rerun_later
        elif run.retried_in_run:
            retried += 1
            seconds += run.failed_duration_s
    minutes = seconds / 60
    return TestImpact(
        test_id=test_id,
        ci_runs_failed=failed,
        ci_runs_retried=retried + reruns,
        in_run_retries=retried,
        ci_reruns=reruns,
        ci_seconds_lost=seconds,
        local_runs_failed=local,
        prs_affected=len(prs),
        branches_affected=len(branches),
        prs=tuple(sorted(prs)[:MAX_NAMED]),
        branches=tuple(sorted(branches)[:MAX_NAMED]),
        last_failed_at=last,
        score=impact_score(
            ci_minutes_lost=minutes,
            ci_runs_failed=failed,
            ci_runs_retried=retried + reruns,
            local_runs_failed=local,
        ),
    )


T = TypeVar("T")


def sort_by(
    items: Sequence[T],
    sort: str,
    *,
    test_id: Callable[[T], str],
    impact: Callable[[T], TestImpact],
    failure_rate: Callable[[T], float],
) -> list[T]:
    """``items`` in the order ``sort`` names, every order total (ties by test id):

    ``impact``: highest score first; ``failure-rate``: highest first; ``name``: by test id;
    ``last-seen``: the most recent failure first, never-failed last.
    """
    if sort == "impact":
        return sorted(items, key=lambda i: (-impact(i).score, test_id(i)))
    if sort == "failure-rate":
        return sorted(items, key=lambda i: (-failure_rate(i), test_id(i)))
    if sort == "name":
        return sorted(items, key=test_id)
    if sort == "last-seen":

        def newest_first(i: T) -> tuple[int, float, str]:
            at = impact(i).last_failed_at
            return (1, 0.0, test_id(i)) if at is None else (0, -at.timestamp(), test_id(i))

        return sorted(items, key=newest_first)
    raise InputError(
        f"sort must be one of {', '.join(SORT_KEYS)} (got {sort!r}); the default is impact",
        details={"field": "sort", "got": sort},
    )
