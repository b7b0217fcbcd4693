"""Flake census (handbook Part XII, Q1): run the whole suite N times on one commit, count.

"Run the full suite 10-20 times on the same commit and record every test that produces
different results across runs." :func:`run_census` runs pytest ``N`` times through the
experiments runner, each run writing our plugin's JUnit report (every attempt) into one
folder; :func:`summarize_census` is pure: per test, the runs it failed in, of the runs it
ran in (skips are not runs), its 95 % Wilson interval and a verdict: ``broken`` when it
failed in every run it ran in, ``flaky`` when it failed in some. A test counts as failed in a
run when any attempt of it failed there.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from readiness._common.clock import Clock
from readiness._common.words import plural
from readiness.testhealth.detection.stats import wilson_interval
from readiness.testhealth.model import Outcome

Verdict = Literal["flaky", "broken"]

MIN_RUNS = 2
MAX_RUNS = 1000


@dataclass(frozen=True, slots=True)
class CensusRun:
    """One completed run of the suite: test id -> failed in this run (skipped tests absent)."""

    index: int  # 1-based
    report: Path
    failed: Mapping[str, bool]
    duration_s: float
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class CensusTest:
    """A test that failed in at least one run of the census."""

    test_id: str
    failures: int
    runs: int
    rate: float
    interval: tuple[float, float]
    verdict: Verdict
    status: str | None = None  # its status in the store after the ingest (None: not known)


@dataclass(frozen=True, slots=True)
class CensusSummary:
    """What a census found."""

    commit: str | None
    branch: str | None
    requested: int
    completed: int
    tests: int
    duration_s: float
    failed: tuple[CensusTest, ...]
    interrupted: bool = False
    census_id: str | None = None
    ingested: tuple[str, ...] = field(default=())

    @property
    def flaky(self) -> tuple[CensusTest, ...]:
        return tuple(t for t in self.failed if t.verdict == "flaky")

    @property
    def broken(self) -> tuple[CensusTest, ...]:
        return tuple(t for t in self.failed if t.verdict == "broken")

    @property
    def exit_code(self) -> int:
        """0 every run passed, 1 a test failed in some run, 2 interrupted with nothing found."""
        if self.failed:
            return 1
        return 2 if self.interrupted else 0


def summarize_census(
    runs: Sequence[CensusRun],
    *,
    requested: int,
    commit: str | None,
    branch: str | None,
    duration_s: float,
    interrupted: bool = False,
    census_id: str | None = None,
    ingested: Sequence[str] = (),
    statuses: Mapping[str, str] | None = None,
) -> CensusSummary:
    """The census of ``runs``: failing tests, flaky ones first, most failures first."""
    ran: dict[str, int] = {}
    failures: dict[str, int] = {}
    for run in runs:
        for test_id, failed in run.failed.items():
            ran[test_id] = ran.get(test_id, 0) + 1
            failures[test_id] = failures.get(test_id, 0) + int(failed)
    found = []
    for test_id, k in failures.items():
        if k == 0:
            continue
        n = ran[test_id]
        found.append(
            CensusTest(
                test_id=test_id,
                failures=k,
                runs=n,
                rate=k / n,
                interval=wilson_interval(k, n),
                verdict="broken" if k == n else "flaky",
                status=(statuses or {}).get(test_id),
            )
        )
    found.sort(key=lambda t: (t.verdict == "broken", -t.failures, t.test_id))
    return CensusSummary(
        commit=commit,
        branch=branch,
        requested=requested,
        completed=len(runs),
        tests=len(ran),
        duration_s=duration_s,
        failed=tuple(found),
        interrupted=interrupted,
        census_id=census_id,
        ingested=tuple(ingested),
    )


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def next_command(summary: CensusSummary) -> str | None:
    """What to run next: classify the worst flaky test, else look at the first broken one."""
    if summary.flaky:
        return f"readiness tests classify {shlex.quote(summary.flaky[0].test_id)}"
    if summary.broken:
        return f"readiness tests show {shlex.quote(summary.broken[0].test_id)}"
    return None


def census_lines(summary: CensusSummary) -> list[str]:
    """The summary a person reads at the end of ``readiness tests census``."""
    where = f"commit {summary.commit}" if summary.commit else "the working tree (no commit)"
    if summary.branch:
        where += f" ({summary.branch})"
    lines = [
        f"Census of {where}: {plural(summary.completed, 'run')} of "
        f"{plural(summary.tests, 'test')} in {_seconds(summary.duration_s)}"
    ]
    if summary.interrupted:
        lines.append(
            f"Interrupted after {summary.completed} of {plural(summary.requested, 'run')}: "
            f"the completed runs were ingested ({plural(len(summary.ingested), 'run')})."
        )
    if not summary.failed:
        lines.append(
            "No test failed in any run."
            if summary.completed
            else "No run completed: nothing to count."
        )
        return lines
    lines.append(
        f"{plural(len(summary.flaky), 'flaky test')} (failed in some runs), "
        f"{plural(len(summary.broken), 'broken test')} (failed in every run):"
    )
    for t in summary.failed:
        low, high = t.interval
        now = f"; now {t.status}" if t.status else ""
        lines.append(
            f"  {t.verdict} {t.test_id}: failed {t.failures} of {plural(t.runs, 'run')} "
            f"({_percent(t.rate)}, 95% interval {_percent(low)}–{_percent(high)}){now}"
        )
    command = next_command(summary)
    if command:
        lines.append(f"Next: {command}")
    return lines


def census_view(summary: CensusSummary) -> dict[str, Any]:
    """``--format json``: the summary's figures, rates rounded to 4 places."""
    return {
        "census_id": summary.census_id,
        "commit": summary.commit,
        "branch": summary.branch,
        "runs_requested": summary.requested,
        "runs_completed": summary.completed,
        "interrupted": summary.interrupted,
        "tests": summary.tests,
        "duration_s": round(summary.duration_s, 3),
        "failed": [
            {
                "test_id": t.test_id,
                "verdict": t.verdict,
                "failures": t.failures,
                "runs": t.runs,
                "rate": round(t.rate, 4),
                "interval": [round(t.interval[0], 4), round(t.interval[1], 4)],
                "status": t.status,
            }
            for t in summary.failed
        ],
        "ingested": list(summary.ingested),
        "next": next_command(summary),
    }


# ------------------------------------------------------------------- the runs (I/O)


def read_failed(report: Path) -> dict[str, bool]:
    """Test id -> whether any attempt failed, from our plugin's report (skips left out)."""
    from readiness.testhealth.junit.reader import iter_cases

    failed: dict[str, bool] = {}
    with report.open("rb") as handle:
        for case in iter_cases(handle, str(report)):
            if case.outcome is Outcome.SKIPPED:
                continue
            failed[case.test_id] = failed.get(case.test_id, False) or case.outcome.is_failure
    return failed


@dataclass(frozen=True, slots=True)
class CensusPlan:
    """How to run the census: ``runs`` runs into ``reports``, ``args`` to every pytest call.

    With ``random_order`` run ``i`` (from 1) shuffles with pytest-randomly's seed ``seed + i - 1``.
    """

    runs: int
    reports: Path
    args: tuple[str, ...] = ()
    random_order: bool = False
    seed: int = 0

    def seed_of(self, index: int) -> int | None:
        return self.seed + index - 1 if self.random_order else None


class SuiteRunner(Protocol):
    """Runs the whole suite once (``PytestRunner.run_suite``; tests pass a fake)."""

    def run_suite(
        self, junit: Path, *, args: Sequence[str] = (), randomly_seed: int | None = None
    ) -> None: ...


def run_census(
    runner: SuiteRunner,
    plan: CensusPlan,
    *,
    clock: Clock,
    on_run: Callable[[CensusRun], None] = lambda _run: None,
) -> tuple[list[CensusRun], bool]:
    """Run the suite ``plan.runs`` times; the completed runs and whether Ctrl-C stopped it.

    The report of a run that was interrupted is deleted: only completed runs are counted.
    """
    plan.reports.mkdir(parents=True, exist_ok=True)
    done: list[CensusRun] = []
    width = len(str(plan.runs))
    for index in range(1, plan.runs + 1):
        report = plan.reports / f"run-{index:0{width}d}.xml"
        seed = plan.seed_of(index)
        started = clock.now()
        try:
            runner.run_suite(report, args=plan.args, randomly_seed=seed)
        except KeyboardInterrupt:
            report.unlink(missing_ok=True)
            return done, True
        run = CensusRun(
            index=index,
            report=report,
            failed=read_failed(report),
            duration_s=(clock.now() - started).total_seconds(),
            seed=seed,
        )
        done.append(run)
        on_run(run)
    return done, False
