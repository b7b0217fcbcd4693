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
    time, and the log's size now."""

    latest_run: VerificationRun | None
    checkpoint_size: int | None
    checkpoint_at: datetime | None
    log_size: int


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
    ``max_age`` old is still recent)."""
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
        reasons.append(
            f"{plural(uncovered, 'event')} {'is' if uncovered == 1 else 'are'} not covered by a "
            f"checkpoint (the newest covers "
            f"{facts.checkpoint_size} of {facts.log_size})"
        )
    if reasons:
        return TrailStatus(
            False, "The audit trail is not verified: " + "; ".join(reasons), tuple(reasons)
        )
    return TrailStatus(
        True,
        f"The audit trail verified {_age(age)} ago ({plural(run.size, 'event')}); a checkpoint "
        f"covers all {plural(facts.log_size, 'event')}",
        (),
    )
