"""The fast-suite time budget (handbook Part XII): how long a commit's suite takes. Pure.

A run's duration is the sum of its test durations, retries included (``th_runs.duration_s``):
what the suite costs, independent of parallelism and of CI set-up time. A commit's suite
duration takes the median of its runs in each job (re-runs of a job do not add up) and sums
the jobs (shards of one suite do). A test's duration at a commit is the median, over the
commit's runs that ran it, of its summed attempts there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median


@dataclass(frozen=True, slots=True)
class RunDuration:
    """One counted run of a commit: its job, its duration and each test's (attempts summed)."""

    job: str | None
    duration_s: float
    tests: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AddedTime:
    """A test that takes longer at head than on the base branch (new tests: all of it)."""

    test_id: str
    added_s: float


def suite_duration(runs: Sequence[RunDuration]) -> float:
    """The median run of each job, summed over the jobs; 0.0 without runs."""
    by_job: dict[str | None, list[float]] = defaultdict(list)
    for run in runs:
        by_job[run.job].append(run.duration_s)
    return float(sum(median(values) for values in by_job.values()))


def test_durations(runs: Sequence[RunDuration]) -> dict[str, float]:
    """Each test's median duration over the runs that ran it."""
    seen: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        for test_id, seconds in run.tests.items():
            seen[test_id].append(seconds)
    return {test_id: float(median(values)) for test_id, values in seen.items()}


test_durations.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def added_time(
    head: Sequence[RunDuration], base: Sequence[Sequence[RunDuration]], *, limit: int = 3
) -> list[AddedTime]:
    """The ``limit`` tests whose duration grew most from the base commits (median of their
    medians) to head, largest first; a test the base never ran adds all of its time."""
    now = test_durations(head)
    before: dict[str, list[float]] = defaultdict(list)
    for commit_runs in base:
        for test_id, seconds in test_durations(commit_runs).items():
            before[test_id].append(seconds)
    grown = [
        AddedTime(t, s - (float(median(before[t])) if before.get(t) else 0.0))
        for t, s in now.items()
    ]
    grown = [g for g in grown if g.added_s > 0]
    grown.sort(key=lambda g: (-g.added_s, g.test_id))
    return grown[:limit]


def seconds(value: float) -> str:
    """``300 s``, ``300.001 s``, ``12.5 s``: up to three decimals, trailing zeros dropped."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{'0' if text in ('', '-0') else text} s"
