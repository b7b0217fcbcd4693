"""Flaky-test detection and suite health: pure functions of evidence, settings and ``now``.

No database, no clock, no randomness: ``queries`` loads the evidence, callers pass ``now``.
Every rule that fires leaves a :class:`RuleHit` saying in plain words why.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

from readiness.config import TestHealthSettings
from readiness.errors import InputError
from readiness.testhealth.metrics import (
    WINDOW_ABSENT,
    WINDOW_FAILED,
    WINDOW_PASSED,
    Cluster,
    FlipVerdict,
    QuarantinePoint,
    QuarantineSpan,
    SlowTest,
    SuiteHealth,
    SuiteHealthInputs,
    TestEvidence,
    TrendPoint,
)
from readiness.testhealth.model import QuarantineEntry, RuleHit, TestHealth, TestStatus

Z95 = 1.96


def wilson_interval(failures: int, runs: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of the failure proportion; ``(0, 1)`` when nothing ran."""
    if runs < 0 or not 0 <= failures <= max(runs, 0):
        raise InputError(
            f"wilson_interval: need 0 <= failures <= runs (got failures={failures}, "
            f"runs={runs}); count failures among the same executions as runs"
        )
    if runs == 0:
        return 0.0, 1.0
    p = failures / runs
    z2 = z * z
    denom = 1 + z2 / runs
    centre = (p + z2 / (2 * runs)) / denom
    half = z * math.sqrt(p * (1 - p) / runs + z2 / (4 * runs * runs)) / denom
    # Clamp rounding noise so that low <= p <= high holds exactly at p = 0 and p = 1.
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def required_runs(p_hat: float, alpha: float, min_runs: int, max_runs: int) -> int:
    """Clean runs needed to show, with confidence 1 - alpha, that rate ``p_hat`` is gone.

    ``ceil(ln(alpha) / ln(1 - p_hat))`` clamped to ``[min_runs, max_runs]``; 59 for 0.05, 0.05.
    """
    if not 0 < alpha < 1:
        raise InputError(f"required_runs: alpha must be in (0, 1) (got {alpha}); try 0.05")
    if not 1 <= min_runs <= max_runs:
        raise InputError(
            f"required_runs: need 1 <= min_runs <= max_runs (got {min_runs}, {max_runs})"
        )
    if p_hat <= 0:
        return max_runs
    if p_hat >= 1:
        return min_runs
    needed = math.log(alpha) / math.log1p(-p_hat)  # inf when p_hat is denormal-small
    return max(min_runs, min(max_runs, math.ceil(min(needed, float(max_runs)))))


def flip_verdict(
    failed: Sequence[bool], *, activation: float, resolution: float, min_runs: int
) -> FlipVerdict:
    """Flip rate with hysteresis, evaluated over every prefix of ``failed`` (oldest first).

    A test becomes flaky once a prefix of at least ``min_runs`` runs has a flip rate
    ``>= activation`` and stays flaky until a later prefix falls to ``<= resolution``.
    """
    flaky = False
    activated_at: int | None = None
    flips = 0
    for i in range(1, len(failed)):
        flips += failed[i] != failed[i - 1]
        n = i + 1
        if n < min_runs:
            continue
        rate = flips / (n - 1)
        if not flaky and rate >= activation:
            flaky, activated_at = True, n
        elif flaky and rate <= resolution:
            flaky = False
    n = len(failed)
    rate = flips / (n - 1) if n > 1 else 0.0
    return FlipVerdict(flaky, rate, flips, n, activated_at if flaky else None)


def broken_streak(window: str, commits: Sequence[str | None]) -> tuple[int, str | None]:
    """Length of the trailing run of all-attempts-failed runs and the commit it started at."""
    length, since = 0, None
    for i in range(len(window) - 1, -1, -1):
        ch = window[i]
        if ch == WINDOW_ABSENT:
            continue
        if ch != WINDOW_FAILED:
            break
        length += 1
        since = commits[i] if i < len(commits) else None
    return length, since


def _short(commit: str | None) -> str:
    return (commit or "?")[:12]


def _flaky_hits(ev: TestEvidence, settings: TestHealthSettings) -> list[RuleHit]:
    hits: list[RuleHit] = []
    if ev.same_commit or ev.same_tree:
        parts = []
        if ev.same_commit:
            parts.append(
                f"passed and failed on the same commit ({len(ev.same_commit)} commits, "
                f"e.g. {_short(ev.same_commit[0])})"
            )
        if ev.same_tree:
            parts.append(
                f"passed and failed on different commits with the same source tree "
                f"({len(ev.same_tree)} trees, e.g. {_short(ev.same_tree[0])})"
            )
        hits.append(
            RuleHit(
                "same-commit",
                "; ".join(parts).capitalize(),
                {
                    "commits": list(ev.same_commit[:5]),
                    "commit_count": len(ev.same_commit),
                    "trees": list(ev.same_tree[:5]),
                    "tree_count": len(ev.same_tree),
                },
            )
        )
    if ev.retry_passes:
        hits.append(
            RuleHit(
                "retry-pass",
                f"Failed and then passed on a retry inside the same run in {ev.retry_passes} "
                f"run{'s' if ev.retry_passes != 1 else ''}",
                {"runs": ev.retry_passes},
            )
        )
    seq = [ch != WINDOW_PASSED for ch in ev.window if ch != WINDOW_ABSENT]
    flip = flip_verdict(
        seq,
        activation=settings.flip_activation,
        resolution=settings.flip_resolution,
        min_runs=settings.min_runs_for_flip,
    )
    if flip.flaky:
        why = (
            f">= activation {settings.flip_activation}"
            if flip.rate >= settings.flip_activation
            else f"still above resolution {settings.flip_resolution} since it became flaky"
        )
        hits.append(
            RuleHit(
                "flip-rate",
                f"Changed outcome {flip.flips} times in {flip.runs} default-branch runs "
                f"(flip rate {flip.rate:.2f}, {why})",
                {
                    "flips": flip.flips,
                    "runs": flip.runs,
                    "rate": round(flip.rate, 4),
                    "activated_at_run": flip.activated_at,
                },
            )
        )
    return hits


def assess_one(
    ev: TestEvidence,
    *,
    settings: TestHealthSettings,
    quarantine: Sequence[QuarantineEntry],
    now: datetime,
) -> TestHealth:
    """The verdict on one test; see :func:`assess`."""
    hits = _flaky_hits(ev, settings)
    streak, since = broken_streak(ev.window, ev.window_commits)
    broken = streak >= settings.broken_streak
    runs, failures = ev.runs, ev.failures
    if broken:
        hits.insert(
            0,
            RuleHit(
                "broken",
                f"Failed on every attempt in the last {streak} default-branch runs, "
                f"since commit {_short(since)}: broken, not flaky",
                {"streak": streak, "since": since},
            ),
        )
        # The streak is consistent failure, not flakiness: leave it out of the flake rate.
        runs, failures = max(runs - streak, 0), max(failures - streak, 0)
    fixed = ev.fixed_at is not None and (
        ev.last_failure_at is None or ev.last_failure_at <= ev.fixed_at
    )
    quarantined = any(q.test_id == ev.test_key and not q.is_expired(now) for q in quarantine)
    if quarantined:
        status = TestStatus.QUARANTINED
    elif broken:
        status = TestStatus.BROKEN
    elif hits and not fixed:
        status = TestStatus.FLAKY
    elif fixed:
        status = TestStatus.FIXED
    else:
        status = TestStatus.HEALTHY
    low, high = wilson_interval(failures, runs)
    return TestHealth(
        test_id=ev.test_key,
        status=status,
        runs=runs,
        failures=failures,
        flake_rate=failures / runs if runs else 0.0,
        flake_rate_low=low,
        flake_rate_high=high,
        first_seen=ev.first_seen,
        last_seen=ev.last_seen,
        is_new=ev.runs <= settings.new_test_runs,
        rules=tuple(hits),
        failure_groups=ev.failure_groups,
        broken_since=since if broken else None,
        mean_duration_s=ev.total_duration_s / ev.runs if ev.runs else 0.0,
    )


def assess(
    evidence: Sequence[TestEvidence],
    *,
    settings: TestHealthSettings,
    quarantine: Sequence[QuarantineEntry],
    now: datetime,
) -> list[TestHealth]:
    """Verdicts for every test, sorted by test key.

    Status precedence: quarantined (an unexpired entry) > broken > flaky > fixed > healthy.
    After a "fixed" verification only a failure later than the fix is a flaky signal: older
    signals stay in ``rules`` as history, and the test is ``fixed``.

    ``runs`` counts first attempts in runs without an infrastructure failure; ``failures``
    counts those first attempts that failed. For a broken test the trailing streak of
    consistent failures is left out of both, so ``flake_rate`` measures flakiness only.
    """
    return sorted(
        (assess_one(ev, settings=settings, quarantine=quarantine, now=now) for ev in evidence),
        key=lambda h: h.test_id,
    )


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


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) with linear interpolation between closest ranks."""
    if not values:
        raise InputError("percentile: no values; pass at least one")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


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


def suite_health(
    inputs: SuiteHealthInputs, *, slow_share: float, days: Sequence[date]
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
