"""The testhealth merge-gate checks, on an in-memory fake of the facts they read."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from readiness._common.clock import FrozenClock
from readiness.config import Settings, load_settings
from readiness.errors import GateError
from readiness.gate.model import CheckResult, CheckStatus, Gate, GateContext
from readiness.gate.runner import run_gate
from readiness.testhealth import checks as th
from readiness.testhealth.detection.figures import test_figures
from readiness.testhealth.model import Hint, QuarantineEntry, RuleHit, TestHealth, TestStatus

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


@dataclass
class FakeFacts:
    """In-memory :class:`TestHealthFacts`: fixed answers, and a record of what was asked."""

    runs: dict[str | None, th.RunFailures] = field(default_factory=dict)
    verdicts: dict[str | None, list[TestHealth]] = field(default_factory=dict)
    entries: list[QuarantineEntry] = field(default_factory=list)
    hints: dict[str, th.TestHints] = field(default_factory=dict)
    commits: list[str | None] = field(default_factory=list)
    asked_hints_for: list[list[str]] = field(default_factory=list)
    asked_commits: list[int] = field(default_factory=list)

    def latest_run_failures(self, commit: str | None) -> th.RunFailures | None:
        return self.runs.get(commit)

    def health(self, commit: str | None) -> Sequence[TestHealth]:
        return self.verdicts.get(commit, [])

    def quarantine_entries(self) -> Sequence[QuarantineEntry]:
        return self.entries

    def recent_commits(self, limit: int) -> Sequence[str | None]:
        self.asked_commits.append(limit)
        return self.commits[:limit]

    def hints_for_tests(self, test_ids: Collection[str]) -> Mapping[str, th.TestHints]:
        self.asked_hints_for.append(list(test_ids))
        return {t: self.hints[t] for t in test_ids if t in self.hints}


def _satisfies_protocol(fake: FakeFacts) -> th.TestHealthFacts:
    return fake  # mypy proves the fake implements the protocol the checks read


def health(test_id: str, status: TestStatus, *, is_new: bool = False) -> TestHealth:
    return TestHealth(
        test_id=test_id,
        status=status,
        figures=test_figures(20, 3 if status is TestStatus.FLAKY else 0, 0, broken_streak=3),
        first_seen=NOW - timedelta(days=3),
        last_seen=NOW,
        is_new=is_new,
        rules=(RuleHit("flip_rate", "flipped 3 times"),) if status is TestStatus.FLAKY else (),
    )


def entry(test_id: str, expires: datetime, owner: str | None = "@payments") -> QuarantineEntry:
    return QuarantineEntry(
        test_id=test_id,
        owner=owner,
        reason="flaky on CI",
        issue="SHOP-12",
        created=NOW - timedelta(days=30),
        expires=expires,
    )


def run_check(
    check: th.TestsPassedCheck
    | th.NoNewFlakyCheck
    | th.QuarantineExpiredCheck
    | th.DeterminismHintsCheck,
    facts: FakeFacts,
    settings: Settings,
    *,
    base: str | None = "base1",
    head: str | None = "head1",
) -> CheckResult:
    context = GateContext(
        gate=Gate.MERGE,
        root=Path(),
        settings=settings,
        clock=FrozenClock(NOW),
        base=base,
        head=head,
        services={"testhealth": _satisfies_protocol(facts)},
    )
    return check.run(context)


# --- the set of checks ------------------------------------------------------------------------


def test_testhealth_contributes_five_merge_checks_with_handbook_items() -> None:
    checks = th.testhealth_checks()

    assert [c.id for c in checks] == [
        "tests.passed",
        "tests.no_new_flaky",
        "tests.quarantine_expired",
        "tests.determinism_hints",
        "tests.time_budget",
    ]
    assert {c.gates for c in checks} == {(Gate.MERGE,)}
    assert checks[3].checklist_item == (
        "Does the test have a sleep, hardcoded port, shared global state, or direct Date.now() "
        "call? If yes, the test is the likely culprit."
    )


def test_a_missing_service_is_a_broken_environment_reported_as_error(settings: Settings) -> None:
    context = GateContext(gate=Gate.MERGE, root=Path(), settings=settings, clock=FrozenClock(NOW))

    with pytest.raises(GateError) as raised:
        th.TestsPassedCheck().run(context)
    report = run_gate(Gate.MERGE, th.testhealth_checks(), context, timer=lambda: 0.0)

    assert str(raised.value) == (
        "gate context has no 'testhealth' service (services: none); register the testhealth "
        "plugin so its readiness_gate_services hook provides one"
    )
    assert {o.result.status for o in report.outcomes} == {CheckStatus.ERROR}


# --- tests.passed -----------------------------------------------------------------------------


def failures(
    failed: tuple[str, ...] = (), quarantined: tuple[str, ...] = (), commit: str | None = "head1"
) -> th.RunFailures:
    return th.RunFailures(commit, ("run-a", "run-b"), 412, failed, quarantined)


def test_passed_passes_and_counts_ignored_quarantined_failures(settings: Settings) -> None:
    facts = FakeFacts(runs={"head1": failures(quarantined=("q1", "q2", "q3"))})

    result = run_check(th.TestsPassedCheck(), facts, settings)

    assert result == CheckResult(
        CheckStatus.PASS,
        "All 412 tests passed (3 quarantined failures ignored)",
        {
            "commit": "head1",
            "runs": ["run-a", "run-b"],
            "tests": 412,
            "failed": [],
            "quarantined_failed": ["q1", "q2", "q3"],
            "collection_errors": [],
            "session_errors": [],
        },
    )


def test_passed_says_nothing_about_quarantine_when_no_quarantined_test_failed(
    settings: Settings,
) -> None:
    facts = FakeFacts(runs={"head1": failures()})

    assert run_check(th.TestsPassedCheck(), facts, settings).summary == "All 412 tests passed"


def test_passed_counts_a_single_test_in_the_singular(settings: Settings) -> None:
    one = th.RunFailures("head1", ("run-a",), 1, (), ("q1",))
    facts = FakeFacts(runs={"head1": one})

    summary = run_check(th.TestsPassedCheck(), facts, settings).summary

    assert summary == "All 1 test passed (1 quarantined failure ignored)"


def test_passed_fails_listing_every_failing_test(settings: Settings) -> None:
    failed = ("t1", "t2", "t3", "t4")
    facts = FakeFacts(runs={"head1": failures(failed, ("q1",))})

    result = run_check(th.TestsPassedCheck(), facts, settings)

    assert result.status is CheckStatus.FAIL
    assert result.summary == (
        "4 of 412 tests failed: t1, t2, t3 and 1 more (1 quarantined failure ignored)"
    )
    assert result.evidence["failed"] == ["t1", "t2", "t3", "t4"]
    assert result.remediation == (
        "Fix the failing tests: their history does not show them flaky, so a re-run will not "
        "turn them green."
    )
    assert "flaky_failed" not in result.evidence


def test_passed_points_only_the_failed_tests_the_history_shows_flaky_at_quarantine(
    settings: Settings,
) -> None:
    facts = FakeFacts(
        runs={"head1": failures(("t1", "t2", "t3"))},
        verdicts={
            "head1": [
                health("t1", TestStatus.BROKEN),
                health("t2", TestStatus.FLAKY),
                health("t3", TestStatus.FLAKY),
                health("t4", TestStatus.FLAKY),
            ]
        },
    )

    result = run_check(th.TestsPassedCheck(), facts, settings)

    assert result.evidence["flaky_failed"] == ["t2", "t3"]
    assert result.remediation == (
        "Fix the failing tests. t2, t3 are flaky in the history: fix them or quarantine them "
        "with an owner and an expiry, rather than re-running the build."
    )


def test_passed_speaks_of_one_flaky_failed_test_in_the_singular(settings: Settings) -> None:
    facts = FakeFacts(
        runs={"head1": failures(("t2",))}, verdicts={"head1": [health("t2", TestStatus.FLAKY)]}
    )

    assert run_check(th.TestsPassedCheck(), facts, settings).remediation == (
        "Fix the failing tests. t2 is flaky in the history: fix it or quarantine it with an "
        "owner and an expiry, rather than re-running the build."
    )


def test_passed_uses_the_latest_run_overall_when_there_is_no_head(settings: Settings) -> None:
    facts = FakeFacts(runs={None: failures(("t9",), commit="abc")})

    result = run_check(th.TestsPassedCheck(), facts, settings, head=None)

    assert (result.status, result.summary) == (CheckStatus.FAIL, "1 of 412 tests failed: t9")


def test_passed_fails_as_missing_evidence_naming_recent_commits_when_head_has_no_run(
    settings: Settings,
) -> None:
    facts = FakeFacts(commits=["c9", None, "c8", "c7"])

    result = run_check(th.TestsPassedCheck(), facts, settings)

    assert result == CheckResult(
        CheckStatus.FAIL,
        "No test run recorded for commit head1",
        {"commit": "head1", "recent_commits": ["c9", None, "c8"]},
        "Ingest the test report of commit head1 (`readiness tests ingest report.xml --commit "
        "head1`), or check the SHA: the newest runs recorded are of commits c9, c8.",
        missing_evidence=True,
    )
    assert facts.asked_commits == [3]


def test_passed_names_the_one_recent_commit_in_the_singular(settings: Settings) -> None:
    result = run_check(th.TestsPassedCheck(), FakeFacts(commits=["c9"]), settings)

    assert result.remediation == (
        "Ingest the test report of commit head1 (`readiness tests ingest report.xml --commit "
        "head1`), or check the SHA: the newest runs recorded are of commit c9."
    )


def test_passed_says_runs_without_a_commit_cannot_match_head(settings: Settings) -> None:
    result = run_check(th.TestsPassedCheck(), FakeFacts(commits=[None]), settings)

    assert result.remediation == (
        "Ingest the test report of commit head1 (`readiness tests ingest report.xml --commit "
        "head1`): the newest runs recorded carry no commit (they were ingested without "
        "--commit), so none can match --head."
    )


def test_passed_quotes_a_head_the_shell_would_split_in_the_ingest_command(
    settings: Settings,
) -> None:
    result = run_check(th.TestsPassedCheck(), FakeFacts(commits=["c9"]), settings, head="a b")

    assert result.remediation == (
        "Ingest the test report of commit a b (`readiness tests ingest report.xml --commit "
        "'a b'`), or check the SHA: the newest runs recorded are of commit c9."
    )


def test_passed_fails_naming_the_database_read_when_the_project_has_no_run(
    settings: Settings, project_dir: Path
) -> None:
    result = run_check(th.TestsPassedCheck(), FakeFacts(), settings)

    assert result == CheckResult(
        CheckStatus.FAIL,
        "No test run recorded for project 'project' (state database "
        f"sqlite:///{project_dir}/.readiness/state.db)",
        {"commit": "head1", "recent_commits": []},
        "Ingest the CI test report first (`readiness tests ingest report.xml --commit head1`), "
        "then run the gate against the same project directory (-C) or server (READINESS_URL).",
        missing_evidence=True,
    )


def test_passed_without_head_suggests_the_checked_out_commit(settings: Settings) -> None:
    result = run_check(th.TestsPassedCheck(), FakeFacts(), settings, head=None)

    assert result.remediation == (
        'Ingest the CI test report first (`readiness tests ingest report.xml --commit "$(git '
        'rev-parse HEAD)"`), then run the gate against the same project directory (-C) or '
        "server (READINESS_URL)."
    )


def test_passed_names_the_server_without_its_credentials_in_remote_mode(
    project_dir: Path,
) -> None:
    remote = load_settings(
        project_dir,
        environ={"READINESS_URL": "https://ci:s3cret@readiness.example:8443/r?token=abc#x"},
    )

    result = run_check(th.TestsPassedCheck(), FakeFacts(), remote)

    assert result.summary == (
        "No test run recorded for project 'project' (server "
        "https://ci:***@readiness.example:8443/r)"
    )


def test_passed_names_a_postgres_database_without_its_password(project_dir: Path) -> None:
    pg = load_settings(
        project_dir,
        environ={"READINESS_STATE_URL": "postgresql+psycopg://app:pw@db:5432/ready?sslmode=x"},
    )

    result = run_check(th.TestsPassedCheck(), FakeFacts(), pg)

    assert result.summary == (
        "No test run recorded for project 'project' (state database "
        "postgresql+psycopg://app:***@db:5432/ready)"
    )


def test_passed_fails_as_missing_evidence_when_the_latest_run_recorded_no_results(
    settings: Settings,
) -> None:
    facts = FakeFacts(runs={"head1": th.RunFailures("head1", ("run-a",), 0, (), ())})

    result = run_check(th.TestsPassedCheck(), facts, settings)

    assert result == CheckResult(
        CheckStatus.FAIL,
        "The latest test run of commit head1 recorded no test results",
        {
            "commit": "head1",
            "runs": ["run-a"],
            "tests": 0,
            "failed": [],
            "quarantined_failed": [],
            "collection_errors": [],
            "session_errors": [],
        },
        "The report held no test cases: check that pytest collected tests (`pytest "
        "--collect-only -q`) and wrote them to the report (`pytest --junitxml=report.xml`), "
        "then ingest it again.",
        missing_evidence=True,
    )


def test_passed_without_head_says_the_latest_run_recorded_no_results(settings: Settings) -> None:
    facts = FakeFacts(runs={None: th.RunFailures(None, ("run-a",), 0, (), ())})

    result = run_check(th.TestsPassedCheck(), facts, settings, head=None)

    assert result.summary == "The latest test run recorded no test results"


def test_passed_names_a_collection_error_as_such(settings: Settings) -> None:
    broken = "tests/test_broken.py"
    facts = FakeFacts(
        runs={"head1": th.RunFailures("head1", ("run-a",), 1, (broken,), (), (broken,))}
    )

    result = run_check(th.TestsPassedCheck(), facts, settings)

    assert (result.status, result.summary) == (
        CheckStatus.FAIL,
        "1 of 1 test failed: tests/test_broken.py (collection error)",
    )
    assert result.remediation == (
        "Fix the collection or session error first (its traceback is in the test report): the "
        "tests behind it did not run at all."
    )
    assert result.evidence["collection_errors"] == [broken]


def test_passed_lists_collection_and_session_errors_before_failing_tests(
    settings: Settings,
) -> None:
    failed = ("(session)", "a::t1", "b::t2", "c::t3", "tests/test_z.py")
    facts = FakeFacts(
        runs={
            "head1": th.RunFailures(
                "head1", ("run-a",), 9, failed, ("q",), ("tests/test_z.py",), ("(session)",)
            )
        }
    )

    result = run_check(th.TestsPassedCheck(), facts, settings)

    assert result.summary == (
        "5 of 9 tests failed: tests/test_z.py (collection error), (session) (session error), "
        "a::t1 and 2 more (1 quarantined failure ignored)"
    )


# --- tests.no_new_flaky -----------------------------------------------------------------------


def test_no_new_flaky_fails_when_a_new_test_is_flaky(settings: Settings) -> None:
    facts = FakeFacts(
        verdicts={
            "head1": [
                health("t_new", TestStatus.FLAKY, is_new=True),
                health("t_old", TestStatus.HEALTHY),
            ]
        }
    )

    result = run_check(th.NoNewFlakyCheck(), facts, settings)

    assert result.status is CheckStatus.FAIL
    assert result.summary == "1 new test is flaky: t_new"
    assert result.evidence == {
        "base": "base1",
        "head": "head1",
        "new_flaky": [
            {
                "test_id": "t_new",
                "flake_rate": 0.15,
                "runs": 20,
                "failures": 3,
                "rules": ["flip_rate"],
            }
        ],
        "became_flaky": [],
    }


def test_no_new_flaky_warns_when_an_existing_test_became_flaky_since_base(
    settings: Settings,
) -> None:
    facts = FakeFacts(
        verdicts={
            "head1": [
                health("t_became", TestStatus.FLAKY),
                health("t_was", TestStatus.FLAKY),
            ],
            "base1": [health("t_became", TestStatus.HEALTHY), health("t_was", TestStatus.FLAKY)],
        }
    )

    result = run_check(th.NoNewFlakyCheck(), facts, settings)

    assert (result.status, result.summary) == (
        CheckStatus.WARN,
        "1 existing test became flaky: t_became",
    )
    assert [e["test_id"] for e in result.evidence["became_flaky"]] == ["t_became"]


def test_no_new_flaky_without_a_base_reports_every_existing_flaky_test(
    settings: Settings,
) -> None:
    facts = FakeFacts(
        verdicts={"head1": [health("b", TestStatus.FLAKY), health("a", TestStatus.FLAKY)]}
    )

    result = run_check(th.NoNewFlakyCheck(), facts, settings, base=None)

    assert (result.status, result.summary) == (
        CheckStatus.WARN,
        "2 existing tests became flaky: a, b",
    )


def test_no_new_flaky_ignores_quarantined_tests(settings: Settings) -> None:
    facts = FakeFacts(
        verdicts={"head1": [health("q", TestStatus.QUARANTINED, is_new=True)], "base1": []}
    )

    result = run_check(th.NoNewFlakyCheck(), facts, settings)

    assert (result.status, result.summary, result.evidence) == (
        CheckStatus.PASS,
        "No test became flaky (1 test known)",
        {},
    )


def test_no_new_flaky_fails_as_missing_evidence_without_history_for_head(
    settings: Settings,
) -> None:
    facts = FakeFacts(commits=["c9"], verdicts={None: [health("t", TestStatus.FLAKY)]})

    result = run_check(th.NoNewFlakyCheck(), facts, settings)

    assert result == CheckResult(
        CheckStatus.FAIL,
        "No test history recorded for commit head1",
        {"commit": "head1", "recent_commits": ["c9"]},
        "Ingest the test report of commit head1 (`readiness tests ingest report.xml --commit "
        "head1`), or check the SHA: the newest runs recorded are of commit c9.",
        missing_evidence=True,
    )


def test_no_new_flaky_without_head_and_without_results_says_the_runs_hold_none(
    settings: Settings,
) -> None:
    result = run_check(th.NoNewFlakyCheck(), FakeFacts(commits=["c9"]), settings, head=None)

    assert result == CheckResult(
        CheckStatus.FAIL,
        "No test history recorded: the recorded runs hold no test results",
        {"commit": None, "recent_commits": ["c9"]},
        "The report held no test cases: check that pytest collected tests (`pytest "
        "--collect-only -q`) and wrote them to the report (`pytest --junitxml=report.xml`), "
        "then ingest it again.",
        missing_evidence=True,
    )


# --- tests.quarantine_expired -----------------------------------------------------------------


def test_quarantine_fails_on_an_expired_entry_with_owner_and_expiry(settings: Settings) -> None:
    facts = FakeFacts(
        entries=[
            entry("t_soon", NOW + timedelta(days=2)),
            entry("t_gone", NOW - timedelta(seconds=1), owner=None),
            entry("t_now", NOW),
        ]
    )

    result = run_check(th.QuarantineExpiredCheck(), facts, settings)

    assert result.status is CheckStatus.FAIL
    assert result.summary == "2 quarantine entries expired: t_gone, t_now"
    assert result.evidence == {
        "now": "2026-03-10T09:30:00+00:00",
        "expired": [
            {
                "test_id": "t_gone",
                "owner": None,
                "issue": "SHOP-12",
                "expires": "2026-03-10T09:29:59+00:00",
            },
            {
                "test_id": "t_now",
                "owner": "@payments",
                "issue": "SHOP-12",
                "expires": "2026-03-10T09:30:00+00:00",
            },
        ],
        "expiring_soon": [
            {
                "test_id": "t_soon",
                "owner": "@payments",
                "issue": "SHOP-12",
                "expires": "2026-03-12T09:30:00+00:00",
            }
        ],
    }


def test_quarantine_warns_when_an_entry_expires_within_seven_days(settings: Settings) -> None:
    facts = FakeFacts(
        entries=[entry("t_edge", NOW + timedelta(days=7)), entry("t_far", NOW + timedelta(days=8))]
    )

    result = run_check(th.QuarantineExpiredCheck(), facts, settings)

    assert (result.status, result.summary) == (
        CheckStatus.WARN,
        "1 quarantine entry expires within 7 days: t_edge",
    )
    assert result.remediation == (
        "Ask the owners to fix these tests before their quarantine expires."
    )


def test_quarantine_passes_when_every_entry_has_time_left(settings: Settings) -> None:
    facts = FakeFacts(entries=[entry("t_far", NOW + timedelta(days=7, seconds=1))])

    result = run_check(th.QuarantineExpiredCheck(), facts, settings)

    assert (result.status, result.summary) == (
        CheckStatus.PASS,
        "1 quarantine entry, none expiring within 7 days",
    )


def test_quarantine_passes_when_nothing_is_quarantined(settings: Settings) -> None:
    result = run_check(th.QuarantineExpiredCheck(), FakeFacts(), settings)

    assert result == CheckResult(CheckStatus.PASS, "No test is quarantined")


# --- tests.determinism_hints ------------------------------------------------------------------


def test_hints_warn_with_file_and_line_of_each_hint_in_a_new_test(settings: Settings) -> None:
    facts = FakeFacts(
        verdicts={
            "head1": [
                health("tests/test_b.py::test_b", TestStatus.HEALTHY, is_new=True),
                health("tests/test_a.py::test_a", TestStatus.HEALTHY, is_new=True),
                health("tests/test_old.py::test_old", TestStatus.HEALTHY),
            ]
        },
        hints={
            "tests/test_a.py::test_a": th.TestHints(
                "tests/test_a.py",
                (Hint("wall_clock", 14, "datetime.now()"), Hint("sleep", 9, "time.sleep(1)")),
            ),
            "tests/test_b.py::test_b": th.TestHints("tests/test_b.py", ()),
            "tests/test_old.py::test_old": th.TestHints(
                "tests/test_old.py", (Hint("port", 3, "8080"),)
            ),
        },
    )

    result = run_check(th.DeterminismHintsCheck(), facts, settings)

    assert facts.asked_hints_for == [["tests/test_a.py::test_a", "tests/test_b.py::test_b"]]
    assert result.status is CheckStatus.WARN
    assert result.summary == "2 determinism hints in 1 new test: tests/test_a.py::test_a"
    assert result.evidence == {
        "tests": ["tests/test_a.py::test_a"],
        "locations": [
            {
                "test_id": "tests/test_a.py::test_a",
                "file": "tests/test_a.py",
                "line": 9,
                "kind": "sleep",
                "text": "time.sleep(1)",
                "message": "tests/test_a.py::test_a: sleep (time.sleep(1))",
            },
            {
                "test_id": "tests/test_a.py::test_a",
                "file": "tests/test_a.py",
                "line": 14,
                "kind": "wall_clock",
                "text": "datetime.now()",
                "message": "tests/test_a.py::test_a: wall_clock (datetime.now())",
            },
        ],
    }


def test_hints_pass_when_new_tests_have_none(settings: Settings) -> None:
    facts = FakeFacts(verdicts={"head1": [health("t", TestStatus.HEALTHY, is_new=True)]})

    result = run_check(th.DeterminismHintsCheck(), facts, settings)

    assert result == CheckResult(CheckStatus.PASS, "No determinism hints in 1 new test")


def test_hints_fail_as_missing_evidence_without_history_for_head(settings: Settings) -> None:
    facts = FakeFacts(commits=["c9"])

    result = run_check(th.DeterminismHintsCheck(), facts, settings)

    assert (result.status, result.summary, result.missing_evidence) == (
        CheckStatus.FAIL,
        "No test history recorded for commit head1",
        True,
    )
    assert facts.asked_hints_for == []


def test_hints_pass_without_asking_when_there_are_no_new_tests(settings: Settings) -> None:
    facts = FakeFacts(verdicts={"head1": [health("t", TestStatus.FLAKY)]})

    result = run_check(th.DeterminismHintsCheck(), facts, settings)

    assert (result, facts.asked_hints_for) == (CheckResult(CheckStatus.PASS, "No new tests"), [])
