"""Plain data that detection and suite health work on: evidence in, figures out.

``queries`` builds these from the database with aggregates; ``core`` reads them without I/O.
Tests build them by hand, which is why every field is a plain value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from readiness.testhealth.model import FailureGroup, Outcome

#: Characters of :attr:`TestEvidence.window`, one per default-branch run (oldest first).
WINDOW_PASSED = "P"  # the first attempt passed
WINDOW_RETRY_PASSED = "R"  # the first attempt failed, a later one in the same run passed
# (a CI retry or a --readiness-repeat repeat: either way not "failed on every attempt")
WINDOW_FAILED = "F"  # every attempt failed
WINDOW_ABSENT = "-"  # the test did not run, or was skipped


@dataclass(frozen=True, slots=True)
class TestEvidence:
    """Everything the rules need to know about one test, aggregated from its history.

    Everything is read from the detection window (:mod:`readiness.testhealth.store.evidence`
    says which runs it holds); runs with an infrastructure failure are never in it. ``runs``
    counts the window's runs (every branch) in which the test's first execution passed or
    failed, ``failures`` those in which it failed; ``window`` holds one character per run of
    the last ``window_runs`` default-branch runs, oldest first (see the ``WINDOW_*``
    constants), ``window_commits`` the commit of each of those runs and ``window_start`` when
    the oldest run of the whole window started. ``retry_passes`` counts runs in which a CI
    retry passed after a failure (never ``--readiness-repeat`` repeats).
    """

    __test__ = False

    test_key: str
    runs: int
    failures: int
    window: str = ""
    window_commits: tuple[str | None, ...] = ()
    same_commit: tuple[str, ...] = ()
    same_tree: tuple[str, ...] = ()
    retry_passes: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    last_failure_at: datetime | None = None
    fixed_at: datetime | None = None
    total_duration_s: float = 0.0
    failure_groups: tuple[FailureGroup, ...] = ()
    window_start: datetime | None = None


@dataclass(frozen=True, slots=True)
class FlipVerdict:
    """The flip-rate state machine's conclusion over one window."""

    flaky: bool
    rate: float
    flips: int
    runs: int
    activated_at: int | None = None  # prefix length at which the test last became flaky


@dataclass(frozen=True, slots=True)
class Cluster:
    """Tests that fail together: one outage, reported once."""

    tests: tuple[str, ...]
    runs: tuple[int, ...]  # run ids in which at least one member failed
    similarity: float  # the lowest Jaccard similarity of the links that joined the cluster


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One CI run as suite health sees it (a row of ``th_runs``)."""

    run_id: int
    ci_run_id: str | None
    attempt: int
    commit: str | None
    started_at: datetime
    duration_s: float
    failed: int
    reruns: int
    job: str | None = None
    provider: str | None = None  # "census" for ``readiness tests census`` runs


@dataclass(frozen=True, slots=True)
class QuarantineSpan:
    """One quarantine entry's life: created, and removed (``None`` while still active)."""

    test_key: str
    created_at: datetime
    removed_at: datetime | None


@dataclass(frozen=True, slots=True)
class TestDuration:
    """Mean duration of one test over its counted executions."""

    __test__ = False

    test_key: str
    mean_duration_s: float
    executions: int


@dataclass(frozen=True, slots=True)
class SuiteHealthInputs:
    """What :func:`readiness.testhealth.core.suite_health` needs, as loaded by ``queries``."""

    runs: tuple[RunSummary, ...]
    quarantine: tuple[QuarantineSpan, ...] = ()
    fixes: tuple[tuple[str, datetime], ...] = ()  # (test_key, at) of "fixed" verifications
    durations: tuple[TestDuration, ...] = ()


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """Suite duration in one bucket (a UTC day)."""

    bucket: str
    runs: int
    p50_s: float
    p95_s: float


@dataclass(frozen=True, slots=True)
class BudgetPoint:
    """The suite's duration on one UTC day, as ``tests.time_budget`` measures it: per commit,
    the median run of each job summed over the jobs; the median of the day's commits."""

    day: str
    commits: int
    suite_s: float


@dataclass(frozen=True, slots=True)
class QuarantinePoint:
    """How many tests were quarantined at the end of one UTC day."""

    day: str
    size: int


@dataclass(frozen=True, slots=True)
class SlowTest:
    """One of the slowest tests and its share of a whole suite run's runtime."""

    test_key: str
    mean_duration_s: float
    share: float


@dataclass(frozen=True, slots=True)
class SuiteHealth:
    """The five dashboard metrics of the handbook (Part XII, Q1 follow-up)."""

    duration_trend: tuple[TrendPoint, ...]
    runs: int
    flaky_runs: int  # failed on a commit that a later run of the same commit passed
    flaky_run_rate: float
    quarantine_trend: tuple[QuarantinePoint, ...]
    ci_runs: int
    ci_retry_rate: float  # share of CI run ids re-triggered (attempt > 1)
    rerun_rate: float  # share of runs in which some test was rerun
    fixes: int
    mean_time_to_fix_s: float | None
    slow_tests: tuple[SlowTest, ...] = field(default=())
    slow_runtime_share: float = 0.0
    budget_trend: tuple[BudgetPoint, ...] = field(default=())
    time_budget_s: float | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One run of one test, for the per-test page (newest first in lists)."""

    run_key: str
    started_at: datetime
    commit: str | None
    branch: str | None
    ci_run_id: str | None
    ci_attempt: int
    infra_failure: bool
    outcomes: tuple[Outcome, ...]  # by attempt: first execution, then reruns
    duration_s: float  # of the first execution
    message: str | None  # of the first failing execution
