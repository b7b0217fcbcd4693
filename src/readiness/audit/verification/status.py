"""The verification status of the trail, in words: what the dashboard shows and what the
``audit.verified`` gate check decides. Pure: the facts come in, the verdict goes out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from readiness._common.words import plural
from readiness.audit.verification.store import VerificationRun


@dataclass(frozen=True, slots=True)
class TrailFacts:
    """What the status reads: the newest verification run, the newest checkpoint's size and
    time, the log's size now, and when the first entry no checkpoint covers was appended."""

    latest_run: VerificationRun | None
    checkpoint_size: int | None
    checkpoint_at: datetime | None
    log_size: int
    first_uncovered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TrailStatus:
    """``ok`` when the newest run verified, is recent, and a checkpoint covers the log.

    ``missing`` marks a status that is not ok because there is nothing to judge (no data, no
    run): a gate must still not pass on it. ``reasons`` say, in words, what is wrong.
    """

    ok: bool
    summary: str
    reasons: tuple[str, ...]
    missing: bool = False


def _age(delta: timedelta) -> str:
    """``under a minute``, ``12 min``, ``5.5 h`` (below two days) or ``3.0 days``."""
    seconds = delta.total_seconds()
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    hours = seconds / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def trail_status(facts: TrailFacts, *, now: datetime, max_age: timedelta) -> TrailStatus:
    """Judge ``facts`` at ``now``: a verification older than ``max_age`` is stale (one exactly
    ``max_age`` old is still recent).

    Events appended after the newest checkpoint are allowed for ``max_age`` too, like
    Certificate Transparency's maximum merge delay: reads of the trail are audited, so the log
    always grows past its checkpoint; what must not happen is an event that no checkpoint
    covers for longer than that (an unknown append time counts as too old)."""
    run = facts.latest_run
    if run is None and facts.log_size == 0 and facts.checkpoint_size is None:
        return TrailStatus(
            False,
            "No audit data: the audit log is empty, has no checkpoint and was never verified",
            ("no events, no checkpoint, no verification run",),
            missing=True,
        )
    if run is None:
        return TrailStatus(
            False,
            f"The audit trail ({plural(facts.log_size, 'event')}) was never verified",
            ("no verification run is recorded",),
            missing=True,
        )
    reasons: list[str] = []
    if not run.verified:
        first = run.errors[0] if run.errors else "no error recorded"
        reasons.append(
            f"the latest verification ({run.finished_at:%Y-%m-%d %H:%M} UTC) failed with "
            f"{plural(len(run.errors), 'error')}; the first: {first}"
        )
    age = now - run.finished_at
    if age > max_age:
        reasons.append(
            f"the latest verification is {_age(age)} old, older than the {_age(max_age)} "
            "allowed (audit.verified_max_age)"
        )
    if facts.checkpoint_size is None:
        reasons.append(f"no checkpoint covers the log's {plural(facts.log_size, 'event')}")
    elif facts.checkpoint_size < facts.log_size:
        uncovered = facts.log_size - facts.checkpoint_size
        waited = None if facts.first_uncovered_at is None else now - facts.first_uncovered_at
        if waited is None or waited > max_age:
            reasons.append(
                f"{plural(uncovered, 'event')} {'is' if uncovered == 1 else 'are'} not covered "
                f"by a checkpoint (the newest covers {facts.checkpoint_size} of "
                f"{facts.log_size}), the oldest for "
                + ("an unknown time" if waited is None else _age(waited))
                + f", longer than the {_age(max_age)} allowed"
            )
    if reasons:
        return TrailStatus(
            False, "The audit trail is not verified: " + "; ".join(reasons), tuple(reasons)
        )
    covered = facts.checkpoint_size or 0
    if covered >= facts.log_size:
        coverage = f"a checkpoint covers all {plural(facts.log_size, 'event')}"
    else:
        newer = facts.log_size - covered
        coverage = (
            f"a checkpoint covers {covered} of {plural(facts.log_size, 'event')}; the "
            f"{plural(newer, 'newer event')} {'is' if newer == 1 else 'are'} within the "
            f"{_age(max_age)} allowed before the next checkpoint"
        )
    return TrailStatus(
        True,
        f"The audit trail verified {_age(age)} ago ({plural(run.size, 'event')}); {coverage}",
        (),
    )
