"""Data types of testhealth, shared by the parser, detection, the plugin and the surfaces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any


class Outcome(IntEnum):
    """Outcome of one execution of a test (stored as a small integer).

    ``XFAILED`` is an expected failure (``pytest.mark.xfail`` that failed), ``XPASSED`` an
    expected failure that passed (non-strict xfail). Neither is a failure, and only
    ``PASSED``, ``FAILED`` and ``ERROR`` count as runs.
    """

    PASSED = 0
    FAILED = 1
    ERROR = 2
    SKIPPED = 3
    XFAILED = 4
    XPASSED = 5

    @property
    def is_failure(self) -> bool:
        """Whether the execution failed (``FAILED`` or ``ERROR``)."""
        return self in (Outcome.FAILED, Outcome.ERROR)


class TestStatus(StrEnum):
    """What testhealth concludes about one test."""

    __test__ = False

    HEALTHY = "healthy"
    FLAKY = "flaky"
    BROKEN = "broken"
    QUARANTINED = "quarantined"
    FIXED = "fixed"


class FailureKind(StrEnum):
    """Coarse kind of a failure, from its type and message."""

    ASSERTION = "assertion"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    ERROR = "error"


# The longest value each text field of RunMeta is stored with (its th_runs column). A local
# ingest cuts longer values from a CI environment to these; the API refuses them (422), so the
# remote client cuts them before sending, and both store the same run.
META_MAX_LENGTH: dict[str, int] = {
    "commit": 64,
    "branch": 255,
    "run_id": 200,
    "job": 200,
    "tree": 64,
    "seed": 64,
    "pr": 64,
    "url": 1000,
    "provider": 40,
}
MAX_ATTEMPT = 2**31 - 1  # th_runs.attempt is an INTEGER
MAX_SOURCE_LENGTH = 1000  # th_runs.source


@dataclass(frozen=True, slots=True)
class RunMeta:
    """Metadata of one CI run, given on ingest (CLI flags, API body or the pytest plugin)."""

    commit: str | None = None
    branch: str | None = None
    run_id: str | None = None
    attempt: int = 1
    job: str | None = None
    timestamp: datetime | None = None
    tree: str | None = None
    seed: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    pr: str | None = None  # pull/merge request number
    url: str | None = None  # the CI page of the run
    provider: str | None = None  # the CI service that ran it (see ``ingest.ci_env``)


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One execution of one test case, as read from a report.

    ``attempt`` is 0 for the first execution and n for the n-th rerun inside the same run
    (Surefire ``rerunFailure``/``flakyFailure``, pytest-rerunfailures, ``--readiness-repeat``).
    """

    test_id: str
    suite: str | None
    name: str
    file: str | None
    outcome: Outcome
    duration_s: float
    attempt: int = 0
    message: str | None = None
    failure_type: str | None = None
    failure_kind: FailureKind | None = None


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingested file produced."""

    source: str
    run_key: str
    format: str
    tests: int
    results: int
    failed: int
    duplicate: bool
    infra_failure: bool


@dataclass(frozen=True, slots=True)
class RuleHit:
    """Why a rule fired for a test, in words a reviewer can check."""

    rule: str
    explanation: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FailureGroup:
    """Failures of one test that share a normalised message."""

    fingerprint: str
    kind: str | None
    message: str
    count: int
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class TestFigures:
    """Runs, failures and rates of one test over the detection window.

    Computed once, by :func:`readiness.testhealth.detection.figures.test_figures`, and shown
    the same way by the CLI, the API and the dashboard. ``runs`` counts the window's runs in
    which the test ran (its first execution passed, failed or errored: skips, xfails and
    xpasses are not runs), ``failures`` those whose first execution failed; reruns inside a run
    (CI retries, ``--readiness-repeat`` repeats) never add runs. ``streak`` is the number of
    the newest default-branch runs, in a row, in which every execution failed. ``flake_rate``
    is ``None`` for a broken test (a streak of at least ``broken_streak``): its failure rate and
    streak say what it does; otherwise it equals the failure rate. Intervals are 95% Wilson
    score intervals.
    """

    __test__ = False

    runs: int
    failures: int
    failure_rate: float
    failure_rate_low: float
    failure_rate_high: float
    streak: int
    flake_rate: float | None
    flake_rate_low: float | None
    flake_rate_high: float | None


@dataclass(frozen=True, slots=True)
class TestHealth:
    """The verdict on one test and its figures (one computation, shown the same everywhere)."""

    __test__ = False

    test_id: str
    status: TestStatus
    figures: TestFigures
    first_seen: datetime | None
    last_seen: datetime | None
    is_new: bool
    rules: tuple[RuleHit, ...] = ()
    failure_groups: tuple[FailureGroup, ...] = ()
    broken_since: str | None = None
    mean_duration_s: float = 0.0

    @property
    def runs(self) -> int:
        """Runs of the detection window in which the test ran (see :class:`TestFigures`)."""
        return self.figures.runs

    @property
    def failures(self) -> int:
        """Of :attr:`runs`, those whose first execution failed."""
        return self.figures.failures


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """One quarantined test (from the reviewed file or the server)."""

    test_id: str
    owner: str | None
    reason: str
    issue: str | None
    created: datetime
    expires: datetime
    created_by: str = "unknown"
    source: str = "file"

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires


@dataclass(frozen=True, slots=True)
class TestAnnotation:
    """Who owns a test and which issue tracks it (held by the server), and who set them last."""

    __test__ = False  # not a pytest test class

    test_id: str
    owner: str | None
    issue: str | None
    set_by: str
    set_at: datetime


@dataclass(frozen=True, slots=True)
class FixVerification:
    """Outcome of ``readiness tests verify-fix``."""

    test_id: str
    flake_rate: float
    alpha: float
    required_runs: int
    runs: int
    failures: int
    verdict: str  # "fixed" | "still-flaky"
    # experiment name -> what the test did there ("passed 12 of 12", "failed 1 of 1")
    experiments: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FailingOrder:
    """The order a test ran in when it failed: one process (suite) of one stored CI run.

    ``before`` lists the tests that ran before it in that process, in execution order; None
    when the run stored no order (then ``seed`` may still replay it).
    """

    run_key: str
    started_at: datetime
    commit: str | None
    seed: str | None
    suite: str | None
    before: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Hint:
    """A static determinism hint found in a test's source."""

    kind: str
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class TestHints:
    """Static determinism hints of one test, and the repository-relative file they are in."""

    __test__ = False  # not a pytest test class

    file: str | None
    hints: tuple[Hint, ...]


@dataclass(frozen=True, slots=True)
class Classification:
    """Outcome of ``readiness tests classify``."""

    test_id: str
    label: str  # order-dependent-victim | brittle | non-idempotent | non-order-dependent | stable
    polluters: tuple[str, ...]
    hints: tuple[Hint, ...]
    failure_kind: str | None
    runs: dict[str, str]  # experiment name -> outcome summary
    evidence: str = ""  # what the label rests on, in a sentence
    pytest_runs: int = 0  # fresh pytest processes the experiments took
    search_runs: int = 0  # of which the search for polluters or state-setters
