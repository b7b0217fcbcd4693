"""Each detection rule on hand-built evidence, with exact expectations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from readiness.config import TestHealthSettings
from readiness.errors import InputError
from readiness.testhealth.detection.model import Cluster, TestEvidence
from readiness.testhealth.detection.rules import assess, assess_one, broken_streak, flip_verdict
from readiness.testhealth.detection.stats import required_runs, wilson_interval
from readiness.testhealth.detection.suite import cluster_co_failures
from readiness.testhealth.model import QuarantineEntry, TestHealth, TestStatus

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
SETTINGS = TestHealthSettings(
    flip_activation=0.5, flip_resolution=0.1, min_runs_for_flip=4, broken_streak=3, new_test_runs=2
)


def verdict(ev: TestEvidence, quarantine: list[QuarantineEntry] | None = None) -> TestHealth:
    return assess_one(ev, settings=SETTINGS, quarantine=quarantine or [], now=NOW)


def window(w: str) -> TestEvidence:
    fails = sum(c in "FR" for c in w)
    return TestEvidence(
        "t::w",
        runs=sum(c != "-" for c in w),
        failures=fails,
        window=w,
        retry_passes=w.count("R"),
        window_commits=tuple(f"c{i}" for i in range(len(w))),
    )


def test_a_test_that_never_failed_is_healthy_with_no_rules() -> None:
    health = verdict(window("PPPPPPPP"))
    assert (health.status, health.rules, health.figures.flake_rate) == (TestStatus.HEALTHY, (), 0.0)


def test_passing_and_failing_on_one_commit_fires_same_commit() -> None:
    health = verdict(TestEvidence("t::a", runs=10, failures=1, same_commit=("abc", "def")))
    assert health.status is TestStatus.FLAKY
    [hit] = health.rules
    assert hit.rule == "same-commit"
    assert hit.evidence == {
        "commits": ["abc", "def"],
        "commit_count": 2,
        "trees": [],
        "tree_count": 0,
    }
    assert hit.explanation == "Passed and failed on the same commit (2 commits, e.g. abc)"


def test_one_commit_and_one_tree_are_counted_in_the_singular() -> None:
    health = verdict(
        TestEvidence("t::a", runs=10, failures=1, same_commit=("abc",), same_tree=("tree1",))
    )

    [hit] = health.rules
    assert hit.explanation == (
        "Passed and failed on the same commit (1 commit, e.g. abc); passed and failed on "
        "different commits with the same source tree (1 tree, e.g. tree1)"
    )


def test_passing_and_failing_on_the_same_tree_across_commits_fires_same_commit() -> None:
    health = verdict(TestEvidence("t::a", runs=10, failures=1, same_tree=("tree1",)))
    [hit] = health.rules
    assert (health.status, hit.rule, hit.evidence["tree_count"]) == (
        TestStatus.FLAKY,
        "same-commit",
        1,
    )


def test_passing_on_a_retry_inside_one_run_fires_retry_pass() -> None:
    health = verdict(TestEvidence("t::a", runs=10, failures=2, retry_passes=2))
    [hit] = health.rules
    assert (health.status, hit.rule, hit.evidence) == (
        TestStatus.FLAKY,
        "retry-pass",
        {"runs": 2},
    )
    assert hit.explanation == "Failed and then passed on a retry inside the same run in 2 runs"


def test_a_high_flip_rate_fires_flip_rate() -> None:
    health = verdict(window("PFPFPFPF"))
    [hit] = health.rules
    assert (health.status, hit.rule) == (TestStatus.FLAKY, "flip-rate")
    assert hit.evidence == {"flips": 7, "runs": 8, "rate": 1.0, "activated_at_run": 4}


def test_flip_rate_needs_min_runs_before_it_can_activate() -> None:
    result = flip_verdict([False, True, False], activation=0.5, resolution=0.1, min_runs=4)
    assert (result.flaky, result.flips, result.runs, result.rate) == (False, 2, 3, 1.0)


def test_a_flaky_test_stays_flaky_while_its_rate_is_between_resolution_and_activation() -> None:
    # PFPF activates at run 4; then F->P is the 4th flip and 20 passes follow: 4/23 = 0.17.
    seq = [c == "F" for c in "PFPF" + "P" * 20]
    result = flip_verdict(seq, activation=0.5, resolution=0.1, min_runs=4)
    assert (result.flaky, result.flips, result.runs, result.activated_at) == (True, 4, 24, 4)


def test_a_flaky_test_resolves_once_its_rate_falls_to_resolution() -> None:
    seq = [c == "F" for c in "PFPF" + "P" * 40]  # 4 flips in 44 runs: 4/43 = 0.093 <= 0.1
    result = flip_verdict(seq, activation=0.5, resolution=0.1, min_runs=4)
    assert (result.flaky, result.flips, result.activated_at) == (False, 4, None)


def test_a_test_never_above_activation_is_not_flaky_at_the_same_rate() -> None:
    # Final rate 4/12 = 0.33, like a sticky flaky test, but no prefix ever reached 0.5.
    seq = [c == "F" for c in "PPPPFPPPPFPPP"]
    result = flip_verdict(seq, activation=0.5, resolution=0.1, min_runs=4)
    assert (result.flaky, result.flips, round(result.rate, 4)) == (False, 4, 0.3333)


def test_the_flip_state_does_not_flap_when_the_rate_hovers_around_activation() -> None:
    states = []
    seq = [c == "F" for c in "PFPFPPFPPPFPPPPFPPPP"]
    for n in range(4, len(seq) + 1):
        states.append(flip_verdict(seq[:n], activation=0.5, resolution=0.1, min_runs=4).flaky)
    assert states == [True] * len(states)


def test_a_consistently_failing_test_is_broken_not_flaky_and_names_the_commit() -> None:
    health = verdict(window("PFPFPPPFFF"))
    assert health.status is TestStatus.BROKEN
    assert health.broken_since == "c7"
    assert [h.rule for h in health.rules] == ["broken", "flip-rate"]
    assert health.rules[0].evidence == {"streak": 3, "since": "c7"}
    # Every run counts; a broken test shows its failure rate and streak, and no flake rate.
    f = health.figures
    assert (f.runs, f.failures, f.failure_rate, f.streak, f.flake_rate) == (10, 5, 0.5, 3, None)


def test_a_streak_passed_on_retry_is_not_broken() -> None:
    health = verdict(window("PPPPPRRR"))
    assert (health.status, health.broken_since) == (TestStatus.FLAKY, None)
    assert [h.rule for h in health.rules] == ["retry-pass"]


def test_a_streak_shorter_than_broken_streak_is_not_broken() -> None:
    assert broken_streak("PPPFF", ["a", "b", "c", "d", "e"]) == (2, "d")


def test_runs_where_the_test_did_not_run_do_not_break_a_streak() -> None:
    assert broken_streak("PF-F-F", ["a", "b", "c", "d", "e", "f"]) == (3, "b")


def test_a_test_within_its_first_new_test_runs_is_new() -> None:
    assert verdict(TestEvidence("t::a", runs=2, failures=0)).is_new is True
    assert verdict(TestEvidence("t::a", runs=3, failures=0)).is_new is False


def quarantined(key: str, *, expires: datetime) -> QuarantineEntry:
    return QuarantineEntry(key, "team", "flaky", None, NOW - timedelta(days=1), expires)


def test_an_active_quarantine_entry_wins_over_broken() -> None:
    ev = TestEvidence("t::w", runs=4, failures=3, window="PFFF", window_commits=("a",) * 4)
    health = verdict(ev, [quarantined("t::w", expires=NOW + timedelta(days=1))])
    assert (health.status, health.broken_since) == (TestStatus.QUARANTINED, "a")


def test_an_expired_quarantine_entry_is_ignored() -> None:
    ev = TestEvidence("t::a", runs=5, failures=1, retry_passes=1)
    assert verdict(ev, [quarantined("t::a", expires=NOW)]).status is TestStatus.FLAKY


def test_a_verified_fix_with_no_later_failure_is_fixed_and_keeps_old_rules() -> None:
    ev = TestEvidence(
        "t::a",
        runs=10,
        failures=2,
        retry_passes=1,
        last_failure_at=NOW - timedelta(days=3),
        fixed_at=NOW - timedelta(days=2),
    )
    health = verdict(ev)
    assert (health.status, [h.rule for h in health.rules]) == (TestStatus.FIXED, ["retry-pass"])


def test_a_failure_after_a_verified_fix_makes_the_test_flaky_again() -> None:
    ev = TestEvidence(
        "t::a",
        runs=10,
        failures=2,
        retry_passes=1,
        last_failure_at=NOW - timedelta(days=1),
        fixed_at=NOW - timedelta(days=2),
    )
    assert verdict(ev).status is TestStatus.FLAKY


def test_flake_rate_is_failures_over_runs_with_a_wilson_interval() -> None:
    health = verdict(TestEvidence("t::a", runs=10, failures=1, total_duration_s=5.0))
    assert (health.figures.flake_rate, health.mean_duration_s) == (0.1, 0.5)
    f = health.figures
    assert (round(f.flake_rate_low or 0, 4), round(f.flake_rate_high or 0, 4)) == (0.0179, 0.4042)


def test_wilson_interval_of_no_runs_is_the_whole_range() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_interval_rejects_more_failures_than_runs() -> None:
    with pytest.raises(InputError, match="failures=3, runs=2"):
        wilson_interval(3, 2)


def test_required_runs_is_59_at_five_percent_and_alpha_five_percent() -> None:
    assert required_runs(0.05, 0.05, 1, 1000) == 59


def test_required_runs_is_clamped_to_its_bounds() -> None:
    assert (required_runs(0.5, 0.05, 20, 1000), required_runs(0.0001, 0.05, 20, 1000)) == (20, 1000)
    assert (required_runs(0.0, 0.05, 20, 1000), required_runs(1.0, 0.05, 20, 1000)) == (1000, 20)


def test_required_runs_rejects_an_alpha_outside_zero_one() -> None:
    with pytest.raises(InputError, match=r"alpha must be in \(0, 1\) \(got 1.5\)"):
        required_runs(0.05, 1.5, 1, 10)


def test_assess_sorts_verdicts_by_test_key() -> None:
    out = assess(
        [TestEvidence("b", runs=1, failures=0), TestEvidence("a", runs=1, failures=0)],
        settings=SETTINGS,
        quarantine=[],
        now=NOW,
    )
    assert [h.test_id for h in out] == ["a", "b"]


def test_tests_failing_in_the_same_runs_form_one_cluster() -> None:
    failing = {
        "t3": {1, 2, 3},
        "t1": {1, 2, 3},
        "t2": {1, 2, 3, 4},  # Jaccard 3/4 with t1, t3: below 0.8
        "t4": {1, 2, 3, 5, 6},
        "x": {7, 8},
        "y": {7, 8},
        "z": {9},
    }
    clusters = cluster_co_failures(failing, min_similarity=0.75, min_shared=2)
    assert clusters == [
        Cluster(("t1", "t2", "t3"), (1, 2, 3, 4), 0.75),
        Cluster(("x", "y"), (7, 8), 1.0),
    ]


def test_a_single_shared_failing_run_does_not_link_tests() -> None:
    assert cluster_co_failures({"a": {1}, "b": {1}}, min_similarity=0.8, min_shared=2) == []
