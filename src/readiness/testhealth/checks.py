"""The merge-gate checks of testhealth: a green suite, no new flaky tests, quarantine kept short.

The checks do no I/O: they read facts from ``context.services["testhealth"]``, an object that
implements :class:`TestHealthFacts` (the testhealth service does; tests pass a fake).

A check that finds none of what it reads (no run of the head commit, no run at all, a run
with no test results) fails with ``missing_evidence`` set, saying what is missing and how to
record it: a gate that saw nothing must not pass. ``--allow-missing`` lets such a failure warn.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from readiness._common.words import plural
from readiness.errors import GateError
from readiness.gate.model import Check, CheckResult, CheckStatus, Gate, GateContext
from readiness.testhealth.missing_evidence import EMPTY_REPORT, missing_run
from readiness.testhealth.model import QuarantineEntry, TestHealth, TestHints, TestStatus

__all__ = [
    "EXPIRY_WARNING",
    "SERVICE_NAME",
    "DeterminismHintsCheck",
    "NoNewFlakyCheck",
    "QuarantineExpiredCheck",
    "RunFailures",
    "TestHealthFacts",
    "TestHints",
    "TestsPassedCheck",
    "testhealth_checks",
]

SERVICE_NAME = "testhealth"
EXPIRY_WARNING = timedelta(days=7)
RECENT_COMMITS = 3  # how many recorded commits a "no run for this SHA" remediation names


@dataclass(frozen=True, slots=True)
class RunFailures:
    """Final outcomes of the latest run(s) of one commit.

    ``tests`` counts distinct tests (a collector that failed counts as one); ``failed`` lists
    (sorted) the non-quarantined tests whose final attempt failed or errored, and every
    collection or session error whatever the quarantine says; ``quarantined_failed`` the
    quarantined failures set apart. ``collection_errors`` (modules that could not be collected)
    and ``session_errors`` (sessions that ended early) are the subsets of ``failed`` that are
    not tests but the reason tests did not run.
    """

    commit: str | None
    run_keys: tuple[str, ...]
    tests: int
    failed: tuple[str, ...]
    quarantined_failed: tuple[str, ...]
    collection_errors: tuple[str, ...] = ()
    session_errors: tuple[str, ...] = ()


class TestHealthFacts(Protocol):
    """What the testhealth checks read; implemented by the testhealth service."""

    def latest_run_failures(self, commit: str | None) -> RunFailures | None:
        """Outcomes of the latest run of every CI job for ``commit`` (None: latest run of all).

        ``None`` when no run is recorded for ``commit``.
        """
        ...

    def health(self, commit: str | None) -> Sequence[TestHealth]:
        """Verdicts from the history up to the runs of ``commit`` (None: the whole history).

        ``is_new`` marks tests first seen within ``new_test_runs`` runs of that point; tests in
        quarantine have status ``quarantined``. Empty when ``commit`` has no recorded run.
        """
        ...

    def quarantine_entries(self) -> Sequence[QuarantineEntry]:
        """Every active quarantine entry (file and server), expired ones included."""
        ...

    def recent_commits(self, limit: int) -> Sequence[str | None]:
        """Distinct commits of the newest runs, newest first, at most ``limit``.

        ``None`` stands for runs recorded without a commit; empty when no run is recorded.
        """
        ...

    def hints_for_tests(self, test_ids: Collection[str]) -> Mapping[str, TestHints]:
        """Static determinism hints for each of ``test_ids`` whose source could be found."""
        ...


TestHealthFacts.__test__ = False  # type: ignore[attr-defined]  # not a pytest test class


def _facts(context: GateContext) -> TestHealthFacts:
    facts = context.services.get(SERVICE_NAME)
    if facts is None:
        raise GateError(
            f"gate context has no {SERVICE_NAME!r} service (services: "
            f"{', '.join(sorted(context.services)) or 'none'}); register the testhealth plugin "
            "so its readiness_gate_services hook provides one"
        )
    return facts  # type: ignore[no-any-return]  # services is a Mapping[str, Any] by design


def _missing(context: GateContext, facts: TestHealthFacts, subject: str) -> CheckResult:
    recent = facts.recent_commits(RECENT_COMMITS)
    return missing_run(context.settings, context.head, recent, subject)


def _short(ids: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(ids[:limit])
    return shown if len(ids) <= limit else f"{shown} and {len(ids) - limit} more"


class TestsPassedCheck:
    """Fails when a non-quarantined test's final attempt failed in the latest run of head.

    A collection or session error fails it whatever the quarantine says, named as such; no
    run of head, or a run with no test results, fails it as missing evidence.
    """

    __test__ = False

    id: str = "tests.passed"
    title: str = "The test suite passed"
    checklist_item: str = (
        "Quarantine: move known-flaky tests to a separate suite that runs but does not block "
        "the pipeline. This restores trust in the main suite immediately while you investigate."
    )
    gates: tuple[Gate, ...] = (Gate.MERGE,)

    def run(self, context: GateContext) -> CheckResult:
        facts = _facts(context)
        run = facts.latest_run_failures(context.head)
        if run is None:
            return _missing(context, facts, "test run")
        evidence: dict[str, Any] = {
            "commit": run.commit,
            "runs": list(run.run_keys),
            "tests": run.tests,
            "failed": list(run.failed),
            "quarantined_failed": list(run.quarantined_failed),
            "collection_errors": list(run.collection_errors),
            "session_errors": list(run.session_errors),
        }
        if run.tests == 0:
            of = f" of commit {context.head}" if context.head else ""
            return CheckResult(
                CheckStatus.FAIL,
                f"The latest test run{of} recorded no test results",
                evidence,
                remediation=EMPTY_REPORT,
                missing_evidence=True,
            )
        quarantined = len(run.quarantined_failed)
        ignored = f" ({plural(quarantined, 'quarantined failure')} ignored)" if quarantined else ""
        if not run.failed:
            return CheckResult(
                CheckStatus.PASS, f"All {plural(run.tests, 'test')} passed{ignored}", evidence
            )
        errors = {
            **dict.fromkeys(run.collection_errors, "collection error"),
            **dict.fromkeys(run.session_errors, "session error"),
        }
        # What stopped tests from running comes first, so "and N more" never hides it.
        failed_tests = [k for k in run.failed if k not in errors]
        named = [f"{k} ({kind})" for k, kind in errors.items()] + failed_tests
        advice = []
        if errors:
            advice.append(
                "Fix the collection or session error first (its traceback is in the test "
                "report): the tests behind it did not run at all."
            )
        if failed_tests:
            # Only a test the history shows flaky is pointed at quarantine; a broken one is fixed.
            flaky = _known_flaky(facts, context.head, failed_tests)
            if flaky:
                evidence["flaky_failed"] = flaky
            advice.append(_failure_advice(flaky))
        remediation = " ".join(advice)
        return CheckResult(
            CheckStatus.FAIL,
            f"{len(run.failed)} of {plural(run.tests, 'test')} failed: {_short(named)}{ignored}",
            evidence,
            remediation=remediation,
        )


def _known_flaky(facts: TestHealthFacts, head: str | None, failed: Sequence[str]) -> list[str]:
    """The failed tests whose history up to ``head`` shows them flaky, in ``failed``'s order."""
    flaky = {h.test_id for h in facts.health(head) if h.status is TestStatus.FLAKY}
    return [t for t in failed if t in flaky]


def _failure_advice(flaky: Sequence[str]) -> str:
    """What to do about failed tests: a broken test is fixed; a flaky one may wait in quarantine."""
    if not flaky:
        return (
            "Fix the failing tests: their history does not show them flaky, so a re-run will "
            "not turn them green."
        )
    them, are = ("it", "is") if len(flaky) == 1 else ("them", "are")
    return (
        f"Fix the failing tests. {_short(flaky)} {are} flaky in the history: fix {them} or "
        f"quarantine {them} with an owner and an expiry, rather than re-running the build."
    )


def _flaky_evidence(health: TestHealth) -> dict[str, Any]:
    return {
        "test_id": health.test_id,
        "flake_rate": (
            None if health.figures.flake_rate is None else round(health.figures.flake_rate, 4)
        ),
        "runs": health.runs,
        "failures": health.failures,
        "rules": [hit.rule for hit in health.rules],
    }


class NoNewFlakyCheck:
    """Fails on a flaky new test; warns when an existing test became flaky since base."""

    __test__ = False

    id: str = "tests.no_new_flaky"
    title: str = "No test became flaky"
    checklist_item: str = (
        "Prevent recurrence: add deterministic ordering to CI, enforce test isolation in code "
        "review, and track flaky-test metrics on your engineering dashboard."
    )
    gates: tuple[Gate, ...] = (Gate.MERGE,)

    def run(self, context: GateContext) -> CheckResult:
        facts = _facts(context)
        current = facts.health(context.head)
        if not current:
            return _missing(context, facts, "test history")
        flaky = sorted(
            (h for h in current if h.status is TestStatus.FLAKY), key=lambda h: h.test_id
        )
        # Without a base there is nothing to compare with: every existing flaky test is reported.
        before = (
            {h.test_id for h in facts.health(context.base) if h.status is TestStatus.FLAKY}
            if context.base is not None
            else set()
        )
        new = [h for h in flaky if h.is_new]
        became = [h for h in flaky if not h.is_new and h.test_id not in before]
        evidence: dict[str, Any] = {
            "base": context.base,
            "head": context.head,
            "new_flaky": [_flaky_evidence(h) for h in new],
            "became_flaky": [_flaky_evidence(h) for h in became],
        }
        if new:
            return CheckResult(
                CheckStatus.FAIL,
                f"{plural(len(new), 'new test')} {'is' if len(new) == 1 else 'are'} flaky: "
                f"{_short([h.test_id for h in new])}",
                evidence,
                remediation=(
                    "Make the new test deterministic before merging: inject the clock, wait on "
                    "conditions instead of sleeping, stub the network, isolate shared state."
                ),
            )
        if became:
            ids = _short([h.test_id for h in became])
            return CheckResult(
                CheckStatus.WARN,
                f"{plural(len(became), 'existing test')} became flaky: {ids}",
                evidence,
                remediation=(
                    "Investigate (could it be a real race in the code?), then fix it or "
                    "quarantine it with an owner and an expiry."
                ),
            )
        return CheckResult(
            CheckStatus.PASS, f"No test became flaky ({plural(len(current), 'test')} known)"
        )


def _entry_evidence(entry: QuarantineEntry) -> dict[str, Any]:
    return {
        "test_id": entry.test_id,
        "owner": entry.owner,
        "issue": entry.issue,
        "expires": entry.expires.isoformat(),
    }


class QuarantineExpiredCheck:
    """Fails when a quarantine entry has expired; warns when one expires within 7 days."""

    __test__ = False

    id: str = "tests.quarantine_expired"
    title: str = "No quarantine entry has expired"
    checklist_item: str = (
        "Mean time to fix a flaky test, from when a test is quarantined to when it is fixed "
        "and restored, tracks whether flaky test fixing is actually happening or just being "
        "deferred."
    )
    gates: tuple[Gate, ...] = (Gate.MERGE,)

    def run(self, context: GateContext) -> CheckResult:
        entries = sorted(_facts(context).quarantine_entries(), key=lambda e: e.test_id)
        if not entries:
            return CheckResult(CheckStatus.PASS, "No test is quarantined")
        now = context.clock.now()
        expired = [e for e in entries if e.is_expired(now)]
        soon = [e for e in entries if not e.is_expired(now) and e.expires - now <= EXPIRY_WARNING]
        evidence: dict[str, Any] = {
            "now": now.isoformat(),
            "expired": [_entry_evidence(e) for e in expired],
            "expiring_soon": [_entry_evidence(e) for e in soon],
        }
        if expired:
            ids = _short([e.test_id for e in expired])
            return CheckResult(
                CheckStatus.FAIL,
                f"{plural(len(expired), 'quarantine entry', 'quarantine entries')} expired: {ids}",
                evidence,
                remediation=(
                    "Fix the test and verify the fix with `readiness tests verify-fix`, or "
                    "extend the entry with a reason its owner signs off."
                ),
            )
        if soon:
            ids = _short([e.test_id for e in soon])
            return CheckResult(
                CheckStatus.WARN,
                f"{plural(len(soon), 'quarantine entry', 'quarantine entries')} "
                f"{'expires' if len(soon) == 1 else 'expire'} within 7 days: {ids}",
                evidence,
                remediation="Ask the owners to fix these tests before their quarantine expires.",
            )
        return CheckResult(
            CheckStatus.PASS,
            f"{plural(len(entries), 'quarantine entry', 'quarantine entries')}, "
            "none expiring within 7 days",
            evidence,
        )


class DeterminismHintsCheck:
    """Warns when a new test shows static signs of non-determinism (sleep, clock, network...)."""

    __test__ = False

    id: str = "tests.determinism_hints"
    title: str = "New tests look deterministic"
    checklist_item: str = (
        "Does the test have a sleep, hardcoded port, shared global state, or direct Date.now() "
        "call? If yes, the test is the likely culprit."
    )
    gates: tuple[Gate, ...] = (Gate.MERGE,)

    def run(self, context: GateContext) -> CheckResult:
        facts = _facts(context)
        current = facts.health(context.head)
        if not current:
            return _missing(context, facts, "test history")
        new_ids = sorted(h.test_id for h in current if h.is_new)
        if not new_ids:
            return CheckResult(CheckStatus.PASS, "No new tests")
        found = facts.hints_for_tests(new_ids)
        locations = [
            {
                "test_id": test_id,
                "file": found[test_id].file,
                "line": hint.line,
                "kind": hint.kind,
                "text": hint.text,
                "message": f"{test_id}: {hint.kind} ({hint.text})",
            }
            for test_id in new_ids
            if test_id in found
            for hint in sorted(found[test_id].hints, key=lambda h: (h.line, h.kind))
        ]
        if not locations:
            return CheckResult(
                CheckStatus.PASS, f"No determinism hints in {plural(len(new_ids), 'new test')}"
            )
        flagged = [t for t in new_ids if t in found and found[t].hints]
        return CheckResult(
            CheckStatus.WARN,
            f"{plural(len(locations), 'determinism hint')} in "
            f"{plural(len(flagged), 'new test')}: {_short(flagged)}",
            {"tests": flagged, "locations": locations},
            remediation=(
                "Inject the clock and seeded randomness, wait on conditions instead of sleeping, "
                "stub the network, use free ports and per-test temp dirs, reset module state."
            ),
        )


def testhealth_checks() -> list[Check]:
    """The five merge-gate checks of testhealth, for the plugin's ``readiness_gate_checks``."""
    from readiness.testhealth.time_budget import TimeBudgetCheck

    return [
        TestsPassedCheck(),
        NoNewFlakyCheck(),
        QuarantineExpiredCheck(),
        DeterminismHintsCheck(),
        TimeBudgetCheck(),
    ]
