"""Flaky-test detection: pure functions of evidence, settings and ``now``.

No database, no clock, no randomness: ``store.evidence`` loads the evidence, callers pass ``now``.
Every rule that fires leaves a :class:`RuleHit` saying in plain words why.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from readiness._common.words import plural
from readiness.config import TestHealthSettings
from readiness.testhealth.detection.figures import test_figures
from readiness.testhealth.detection.model import (
    WINDOW_ABSENT,
    WINDOW_FAILED,
    WINDOW_PASSED,
    WINDOW_RETRY_PASSED,
    FlipVerdict,
    TestEvidence,
)
from readiness.testhealth.model import QuarantineEntry, RuleHit, TestHealth, TestStatus


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
                f"passed and failed on the same commit ({plural(len(ev.same_commit), 'commit')}, "
                f"e.g. {_short(ev.same_commit[0])})"
            )
        if ev.same_tree:
            parts.append(
                f"passed and failed on different commits with the same source tree "
                f"({plural(len(ev.same_tree), 'tree')}, e.g. {_short(ev.same_tree[0])})"
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
                "Failed and then passed on a retry inside the same run in "
                f"{plural(ev.retry_passes, 'run')}",
                {"runs": ev.retry_passes},
            )
        )
    if WINDOW_FAILED not in ev.window and WINDOW_RETRY_PASSED not in ev.window:
        return hits  # never failed in the window: no outcome changed (most tests, most days)
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
                f"Changed outcome {plural(flip.flips, 'time')} in "
                f"{plural(flip.runs, 'default-branch run')} "
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


def _is_new(ev: TestEvidence, settings: TestHealthSettings) -> bool:
    """Seen in at most ``new_test_runs`` runs, all of them inside the window (a test first
    seen before the window began is not new, however rarely it runs)."""
    before_window = (
        ev.first_seen is not None
        and ev.window_start is not None
        and ev.first_seen < ev.window_start
    )
    return ev.runs <= settings.new_test_runs and not before_window


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
    return TestHealth(
        test_id=ev.test_key,
        status=status,
        figures=test_figures(ev.runs, ev.failures, streak, broken_streak=settings.broken_streak),
        first_seen=ev.first_seen,
        last_seen=ev.last_seen,
        is_new=_is_new(ev, settings),
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

    Each verdict carries its :class:`~readiness.testhealth.model.TestFigures`, computed from
    the same evidence the rules read (see :func:`.figures.test_figures`).
    """
    return sorted(
        (assess_one(ev, settings=settings, quarantine=quarantine, now=now) for ev in evidence),
        key=lambda h: h.test_id,
    )
