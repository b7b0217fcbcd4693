"""Suite health and co-failure clusters: pure functions of loaded runs and quarantine spans."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from statistics import median

from readiness.testhealth.detection.budget import RunDuration, suite_duration
from readiness.testhealth.detection.model import (
    BudgetPoint,
    Cluster,
    QuarantinePoint,
    QuarantineSpan,
    RunSummary,
    SlowTest,
    SuiteHealth,
    SuiteHealthInputs,
    TrendPoint,
)
from readiness.testhealth.detection.stats import percentile

CENSUS_PROVIDER = "census"  # runs of ``readiness tests census``: a developer's machine, not CI


def cluster_co_failures(
    failing_runs: Mapping[str, Collection[int]],
    *,
    min_similarity: float = 0.8,
    min_shared: int = 2,
) -> list[Cluster]:
    """Group tests whose sets of failing runs are alike (Jaccard >= ``min_similarity``).

    Linked pairs share at least ``min_shared`` failing runs; clusters are the connected
    components of those links, largest first, then by first test key.
    """
    by_run: dict[int, list[str]] = defaultdict(list)
    for test, run_ids in failing_runs.items():
        for run_id in set(run_ids):
            by_run[run_id].append(test)
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for tests in by_run.values():
        tests.sort()
        for i, a in enumerate(tests):
            for b in tests[i + 1 :]:
                shared[a, b] += 1
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    links: list[tuple[str, str, float]] = []
    for (a, b), n in shared.items():
        if n < min_shared:
            continue
        sim = n / (len(set(failing_runs[a])) + len(set(failing_runs[b])) - n)
        if sim >= min_similarity:
            links.append((a, b, sim))
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = defaultdict(list)
    for test in {t for a, b, _ in links for t in (a, b)}:
        members[find(test)].append(test)
    lowest: dict[str, float] = {}
    for a, _, sim in links:
        root = find(a)
        lowest[root] = min(sim, lowest.get(root, 1.0))
    clusters = [
        Cluster(
            tests=tuple(sorted(tests)),
            runs=tuple(sorted({r for t in tests for r in failing_runs[t]})),
            similarity=lowest[root],
        )
        for root, tests in members.items()
    ]
    return sorted(clusters, key=lambda c: (-len(c.tests), c.tests[0]))


def _day(at: datetime) -> str:
    return at.astimezone(UTC).date().isoformat()


def quarantine_trend(
    spans: Sequence[QuarantineSpan], days: Sequence[date]
) -> list[QuarantinePoint]:
    """Quarantine size at the end (midnight UTC) of each of ``days``."""
    points = []
    for day in days:
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
        size = sum(
            1 for s in spans if s.created_at < end and (s.removed_at is None or s.removed_at >= end)
        )
        points.append(QuarantinePoint(day.isoformat(), size))
    return points


def budget_trend(runs: Sequence[RunSummary]) -> list[BudgetPoint]:
    """Per UTC day, the median suite duration of its commits (see :class:`BudgetPoint`).

    Census runs and runs without a commit are left out, as the check ``tests.time_budget``
    leaves them out.
    """
    by_day: dict[str, dict[str, list[RunDuration]]] = defaultdict(lambda: defaultdict(list))
    for r in runs:
        if r.commit is not None and r.provider != CENSUS_PROVIDER:
            by_day[_day(r.started_at)][r.commit].append(RunDuration(r.job, r.duration_s))
    return [
        BudgetPoint(day, len(commits), float(median(suite_duration(v) for v in commits.values())))
        for day, commits in sorted(by_day.items())
    ]


def suite_health(
    inputs: SuiteHealthInputs,
    *,
    slow_share: float,
    days: Sequence[date],
    time_budget_s: float | None = None,
) -> SuiteHealth:
    """The five suite-health metrics from runs (infra failures already left out) and quarantine.

    Flaky runs failed on a commit that a later run of the same commit passed. The time to fix
    runs from quarantine to removal, for removals preceded by a "fixed" verification.
    """
    runs = sorted(inputs.runs, key=lambda r: (r.started_at, r.run_id))
    by_day: dict[str, list[float]] = defaultdict(list)
    for r in runs:
        by_day[_day(r.started_at)].append(r.duration_s)
    trend = tuple(
        TrendPoint(day, len(v), percentile(v, 0.5), percentile(v, 0.95))
        for day, v in sorted(by_day.items())
    )
    last_green: dict[str, tuple[datetime, int]] = {}
    for r in runs:
        if r.commit is not None and r.failed == 0:
            last_green[r.commit] = (r.started_at, r.run_id)
    flaky = sum(
        1
        for r in runs
        if r.failed > 0
        and r.commit in last_green
        and last_green[r.commit] > (r.started_at, r.run_id)
    )
    attempts: dict[str, int] = {}
    for r in runs:
        if r.ci_run_id is not None:
            attempts[r.ci_run_id] = max(attempts.get(r.ci_run_id, 0), r.attempt)
    retried = sum(1 for a in attempts.values() if a > 1)
    fix_times = []
    for span in inputs.quarantine:
        if span.removed_at is None:
            continue
        removed = span.removed_at
        if any(k == span.test_key and span.created_at <= at <= removed for k, at in inputs.fixes):
            fix_times.append((removed - span.created_at).total_seconds())
    slow, slow_total = _slowest(inputs, slow_share)
    return SuiteHealth(
        duration_trend=trend,
        runs=len(runs),
        flaky_runs=flaky,
        flaky_run_rate=flaky / len(runs) if runs else 0.0,
        quarantine_trend=tuple(quarantine_trend(inputs.quarantine, days)),
        ci_runs=len(attempts),
        ci_retry_rate=retried / len(attempts) if attempts else 0.0,
        rerun_rate=sum(1 for r in runs if r.reruns > 0) / len(runs) if runs else 0.0,
        fixes=len(fix_times),
        mean_time_to_fix_s=sum(fix_times) / len(fix_times) if fix_times else None,
        slow_tests=slow,
        slow_runtime_share=slow_total,
        budget_trend=tuple(budget_trend(runs)),
        time_budget_s=time_budget_s,
    )


def _slowest(inputs: SuiteHealthInputs, share: float) -> tuple[tuple[SlowTest, ...], float]:
    durations = sorted(inputs.durations, key=lambda d: (-d.mean_duration_s, d.test_key))
    total = sum(d.mean_duration_s for d in durations)
    if not durations or total <= 0:
        return (), 0.0
    k = max(1, math.ceil(share * len(durations)))
    slow = tuple(
        SlowTest(d.test_key, d.mean_duration_s, d.mean_duration_s / total) for d in durations[:k]
    )
    return slow, sum(d.mean_duration_s for d in durations[:k]) / total
