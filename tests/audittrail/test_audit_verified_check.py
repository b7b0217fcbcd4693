"""The ``audit.verified`` gate check: passes only on a recent verified run and a checkpoint that
covers the log; missing evidence, a failure, staleness or uncovered events fail, in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness._common.clock import FrozenClock
from readiness.audit.verification.status import TrailFacts
from readiness.audit.verification.store import VerificationRun
from readiness.audittrail.checks import NO_SERVICE, AuditVerifiedCheck
from readiness.config import Settings, load_settings
from readiness.gate.model import CheckStatus, Gate, GateContext

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


class Facts:
    def __init__(self, facts: TrailFacts) -> None:
        self._facts = facts

    def facts(self) -> TrailFacts:
        return self._facts


def run_at(finished: datetime, *, errors: tuple[str, ...] = (), size: int = 10) -> VerificationRun:
    return VerificationRun(
        1, finished - timedelta(seconds=2), finished, size, 2, not errors, errors, "schedule"
    )


def context(settings: Settings, facts: TrailFacts | None) -> GateContext:
    services = {} if facts is None else {"audit": Facts(facts)}
    return GateContext(Gate.DEPLOY, Path(), settings, FrozenClock(NOW), services=services)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(tmp_path, environ={})


def test_runs_in_the_deploy_and_verify_gates_only() -> None:
    assert AuditVerifiedCheck().gates == (Gate.DEPLOY, Gate.VERIFY)


def test_a_run_exactly_max_age_old_passes(settings: Settings) -> None:
    facts = TrailFacts(run_at(NOW - timedelta(hours=48)), 10, NOW, 10)
    result = AuditVerifiedCheck().run(context(settings, facts))
    assert result.status is CheckStatus.PASS
    assert result.summary == (
        "The audit trail verified 2.0 days ago (10 events); a checkpoint covers all 10 events"
    )


def test_a_run_one_second_older_than_max_age_fails_as_stale(settings: Settings) -> None:
    facts = TrailFacts(run_at(NOW - timedelta(hours=48, seconds=1)), 10, NOW, 10)
    result = AuditVerifiedCheck().run(context(settings, facts))
    assert (result.status, result.missing_evidence) == (CheckStatus.FAIL, False)
    assert result.summary == (
        "The audit trail is not verified: the latest verification is 2.0 days old, older than "
        "the 2.0 days allowed (audit.verified_max_age)"
    )


def test_the_max_age_is_configurable(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={}, overrides={"audit": {"verified_max_age": "30m"}})
    stale = TrailFacts(run_at(NOW - timedelta(minutes=31)), 10, NOW, 10)
    fresh = TrailFacts(run_at(NOW - timedelta(minutes=30)), 10, NOW, 10)
    assert AuditVerifiedCheck().run(context(settings, stale)).status is CheckStatus.FAIL
    assert AuditVerifiedCheck().run(context(settings, fresh)).status is CheckStatus.PASS


def test_a_failed_run_fails_naming_its_first_error(settings: Settings) -> None:
    facts = TrailFacts(run_at(NOW, errors=("entry 2: stored leaf hash differs", "x")), 10, NOW, 10)
    result = AuditVerifiedCheck().run(context(settings, facts))
    assert result.status is CheckStatus.FAIL
    assert result.summary == (
        "The audit trail is not verified: the latest verification (2026-03-10 09:30 UTC) failed "
        "with 2 errors; the first: entry 2: stored leaf hash differs"
    )


def test_events_a_checkpoint_does_not_cover_pass_until_they_waited_longer_than_allowed(
    settings: Settings,
) -> None:
    waited_48h = TrailFacts(run_at(NOW), 9, NOW, 10, NOW - timedelta(hours=48))
    result = AuditVerifiedCheck().run(context(settings, waited_48h))
    assert (result.status, result.summary) == (
        CheckStatus.PASS,
        "The audit trail verified under a minute ago (10 events); a checkpoint covers 9 of 10 "
        "events; the 1 newer event is within the 2.0 days allowed before the next checkpoint",
    )
    waited_longer = TrailFacts(run_at(NOW), 8, NOW, 10, NOW - timedelta(hours=48, seconds=1))
    result = AuditVerifiedCheck().run(context(settings, waited_longer))
    assert (result.status, result.summary) == (
        CheckStatus.FAIL,
        "The audit trail is not verified: 2 events are not covered by a checkpoint (the newest "
        "covers 8 of 10), the oldest for 2.0 days, longer than the 2.0 days allowed",
    )
    unknown = TrailFacts(run_at(NOW), 9, NOW, 10)
    assert AuditVerifiedCheck().run(context(settings, unknown)).summary == (
        "The audit trail is not verified: 1 event is not covered by a checkpoint (the newest "
        "covers 9 of 10), the oldest for an unknown time, longer than the 2.0 days allowed"
    )
    no_checkpoint = TrailFacts(run_at(NOW), None, None, 3)
    assert AuditVerifiedCheck().run(context(settings, no_checkpoint)).summary == (
        "The audit trail is not verified: no checkpoint covers the log's 3 events"
    )


def test_no_run_and_no_data_fail_as_missing_evidence(settings: Settings) -> None:
    never = AuditVerifiedCheck().run(context(settings, TrailFacts(None, 4, NOW, 4)))
    assert (never.status, never.missing_evidence) == (CheckStatus.FAIL, True)
    assert never.summary == "The audit trail (4 events) was never verified"
    empty = AuditVerifiedCheck().run(context(settings, TrailFacts(None, None, None, 0)))
    assert (empty.status, empty.missing_evidence) == (CheckStatus.FAIL, True)
    assert empty.summary == (
        "No audit data: the audit log is empty, has no checkpoint and was never verified"
    )


def test_no_audit_service_fails_as_missing_evidence(settings: Settings) -> None:
    result = AuditVerifiedCheck().run(context(settings, None))
    assert (result.status, result.missing_evidence) == (CheckStatus.FAIL, True)
    assert result.summary == "No audit evidence: " + NO_SERVICE


@pytest.mark.parametrize("value", ["24", "0h", "-1d", "1w", "h", "1.5h"])
def test_a_duration_that_is_not_a_whole_number_and_unit_is_refused(
    tmp_path: Path, value: str
) -> None:
    from readiness.errors import ConfigError

    with pytest.raises(ConfigError, match="a duration is a positive whole number"):
        load_settings(tmp_path, environ={}, overrides={"audit": {"verify_interval": value}})


@pytest.mark.parametrize(
    ("age", "words"),
    [
        (timedelta(seconds=59), "under a minute"),
        (timedelta(seconds=60), "1 min"),
        (timedelta(minutes=59, seconds=59), "59 min"),
        (timedelta(hours=1), "1.0 h"),
        (timedelta(hours=47, minutes=54), "47.9 h"),
    ],
)
def test_the_age_of_the_run_is_said_in_words(
    settings: Settings, age: timedelta, words: str
) -> None:
    facts = TrailFacts(run_at(NOW - age), 10, NOW, 10)
    assert AuditVerifiedCheck().run(context(settings, facts)).summary == (
        f"The audit trail verified {words} ago (10 events); a checkpoint covers all 10 events"
    )


@given(
    age=st.integers(min_value=0, max_value=10 * 86400),
    max_age=st.integers(min_value=1, max_value=5 * 86400),
    uncovered=st.integers(min_value=0, max_value=3),
    failed=st.booleans(),
)
def test_the_check_passes_exactly_when_recent_verified_and_covered(
    age: int, max_age: int, uncovered: int, failed: bool
) -> None:
    from readiness.audit.verification.status import trail_status

    run = run_at(NOW - timedelta(seconds=age), errors=("x",) if failed else ())
    facts = TrailFacts(run, 10, NOW, 10 + uncovered)
    status = trail_status(facts, now=NOW, max_age=timedelta(seconds=max_age))
    assert status.ok == (age <= max_age and uncovered == 0 and not failed)
    assert len(status.reasons) == (age > max_age) + (uncovered > 0) + failed
    assert not status.missing
