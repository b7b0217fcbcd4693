"""Evidence queries on SQLite and PostgreSQL, over histories written straight into the tables."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from readiness.config import TestHealthSettings
from readiness.errors import NotFoundError
from readiness.storage.engine import Stores
from readiness.testhealth.detection.model import HistoryEntry, TestEvidence
from readiness.testhealth.detection.rules import assess
from readiness.testhealth.model import FailureGroup, Outcome, TestStatus
from readiness.testhealth.store import evidence as queries
from readiness.testhealth.store import history as history_queries
from tests.testhealth._history import T0, History, RunSpec, insert_all


def evidence(
    stores: Stores,
    window_runs: int = 50,
    *,
    project: str = "default",
    test_key: str | None = None,
    until: datetime | None = None,
) -> dict[str, TestEvidence]:
    out = queries.load_evidence(
        stores.state,
        project=project,
        default_branch="main",
        window_runs=window_runs,
        test_key=test_key,
        until=until,
    )
    return {e.test_key: e for e in out}


def test_evidence_counts_first_attempts_and_marks_the_window(stores: Stores) -> None:
    h = History(stores.state)
    h.series({"a": "PFPF", "b": "PPPP"})
    h.run({"a": "FP", "b": "P"}, commit="c001")
    ev = evidence(stores)
    a, b = ev["a"], ev["b"]
    assert (a.runs, a.failures, a.window, a.retry_passes) == (5, 3, "PFPFR", 1)
    assert a.window_commits == ("c000", "c001", "c002", "c003", "c001")
    assert (a.same_commit, a.same_tree) == (("c001",), ())
    assert a.failure_groups == (
        FailureGroup("fp1", "assertion", "AssertionError in a", 3, T0 + timedelta(hours=4)),
    )
    assert (a.first_seen, a.last_seen) == (T0, T0 + timedelta(hours=4))
    assert a.last_failure_at == T0 + timedelta(hours=4)
    assert (b.runs, b.failures, b.window, b.same_commit, b.failure_groups) == (
        5,
        0,
        "PPPPP",
        (),
        (),
    )
    assert b.total_duration_s == 5.0


def test_runs_with_an_infrastructure_failure_are_not_counted(stores: Stores) -> None:
    h = History(stores.state)
    h.series({"a": "PPP"})
    h.run({"a": "F"}, commit="c001", infra=True)
    a = evidence(stores)["a"]
    assert (a.runs, a.failures, a.window, a.same_commit, a.failure_groups) == (
        3,
        0,
        "PPP",
        (),
        (),
    )


def test_other_branches_count_but_stay_out_of_the_flip_window(stores: Stores) -> None:
    h = History(stores.state)
    h.series({"a": "PP"})
    h.run({"a": "F"}, commit="c001", branch="feature")
    a = evidence(stores)["a"]
    assert (a.runs, a.failures, a.window, a.same_commit) == (3, 1, "PP", ("c001",))


def test_a_pass_and_a_failure_on_one_tree_across_commits_is_found(stores: Stores) -> None:
    h = History(stores.state)
    h.run({"a": "P"}, commit="x", tree="t1")
    h.run({"a": "F"}, commit="y", tree="t1")
    h.run({"a": "F"}, commit="z", tree="t2")
    a = evidence(stores)["a"]
    assert (a.same_commit, a.same_tree) == ((), ("t1",))


def test_skipped_runs_are_absent_from_the_window_and_are_not_runs(stores: Stores) -> None:
    h = History(stores.state)
    h.series({"a": "PSF", "b": "P-P"})
    ev = evidence(stores)
    assert (ev["a"].window, ev["a"].runs, ev["a"].failures, ev["b"].window) == (
        "P-F",
        2,
        1,
        "P-P",
    )


def test_windows_longer_than_one_mask_column_keep_every_run(stores: Stores) -> None:
    pattern = "".join("F" if i % 7 == 0 or i > 66 else "P" for i in range(70))
    h = History(stores.state)
    h.series({"a": pattern})
    assert evidence(stores, window_runs=70)["a"].window == pattern
    assert evidence(stores, window_runs=50)["a"].window == pattern[-50:]


def test_one_test_can_be_loaded_by_key(stores: Stores) -> None:
    History(stores.state).series({"a": "PF", "b": "PP"})
    assert list(evidence(stores, test_key="b")) == ["b"]
    assert evidence(stores, test_key="missing") == {}


def test_the_latest_fixed_verification_is_loaded(stores: Stores) -> None:
    h = History(stores.state)
    h.series({"a": "PF"})
    h.fix("a", T0 + timedelta(days=1))
    h.fix("a", T0 + timedelta(days=3), verdict="still-flaky")
    assert evidence(stores)["a"].fixed_at == T0 + timedelta(days=1)


def test_detection_over_a_stored_history_gives_each_status(stores: Stores) -> None:
    h = History(stores.state)
    h.series({"flips": "PFPFPFPFPF", "broken": "PPPPPPPFFF", "fine": "PPPPPPPPPP"})
    h.run({"flips": "P", "broken": "F", "fine": "P", "retry": "FP"})
    settings = TestHealthSettings(broken_streak=3)
    now = datetime(2026, 3, 10, tzinfo=UTC)
    out = {
        t.test_id: t
        for t in assess(list(evidence(stores).values()), settings=settings, quarantine=[], now=now)
    }
    assert {k: v.status for k, v in out.items()} == {
        "broken": TestStatus.BROKEN,
        "fine": TestStatus.HEALTHY,
        "flips": TestStatus.FLAKY,
        "retry": TestStatus.FLAKY,
    }
    assert (out["broken"].broken_since, out["retry"].is_new) == ("c007", True)


def test_detection_does_not_depend_on_the_order_rows_were_inserted(stores: Stores) -> None:
    rng = random.Random(7)
    rows = []
    for i in range(24):
        row = {f"t{j}": rng.choice(["P", "P", "P", "F", "FP", "S"]) for j in range(6)}
        rows.append((row, f"c{i // 2}", rng.choice(["main", "main", "dev"]), i % 5 == 3))

    def specs() -> list[RunSpec]:
        return [
            RunSpec(r, commit=c, branch=b, infra=inf, at=T0 + timedelta(hours=i))
            for i, (r, c, b, inf) in enumerate(rows)
        ]

    insert_all(History(stores.state, project="ordered"), specs())
    shuffled = specs()
    rng.shuffle(shuffled)
    insert_all(History(stores.state, project="shuffled"), shuffled)
    settings = TestHealthSettings(min_runs_for_flip=4)
    now = datetime(2026, 3, 10, tzinfo=UTC)
    ordered, mixed = (
        assess(
            list(evidence(stores, project=p).values()), settings=settings, quarantine=[], now=now
        )
        for p in ("ordered", "shuffled")
    )
    assert mixed == ordered
    assert len(ordered) == 6


def test_test_history_lists_each_run_with_its_attempts_newest_first(stores: Stores) -> None:
    h = History(stores.state)
    h.run({"a": "P"}, ci_run_id="ci-1")
    h.run({"a": "FP"}, ci_run_id="ci-2", ci_attempt=2, branch="dev")
    h.run({"a": "F"}, infra=True)
    history = history_queries.load_test_history(stores.state, "default", "a", limit=2)
    assert [(e.commit, e.outcomes, e.infra_failure) for e in history] == [
        ("c002", (Outcome.FAILED,), True),
        ("c001", (Outcome.FAILED, Outcome.PASSED), False),
    ]
    assert history[1] == HistoryEntry(
        run_key=history[1].run_key,
        started_at=T0 + timedelta(hours=1),
        commit="c001",
        branch="dev",
        ci_run_id="ci-2",
        ci_attempt=2,
        infra_failure=False,
        outcomes=(Outcome.FAILED, Outcome.PASSED),
        duration_s=1.0,
        message="AssertionError in a",
    )


def test_test_history_of_an_unknown_test_says_so(stores: Stores) -> None:
    with pytest.raises(NotFoundError, match="test 'nope' has no history in project 'default'"):
        history_queries.load_test_history(stores.state, "default", "nope")


def test_cluster_input_holds_failing_first_attempts_of_recent_counted_runs(stores: Stores) -> None:
    h = History(stores.state)
    ids = h.series({"a": "FPFF", "b": "FPFP", "c": "PPPF"})
    h.run({"a": "F", "b": "F", "c": "F"}, infra=True)
    got = history_queries.load_clusters_input(stores.state, project="default", window_runs=3)
    assert got == {
        "a": frozenset({ids[2], ids[3]}),
        "b": frozenset({ids[2]}),
        "c": frozenset({ids[3]}),
    }


def test_last_seen_is_the_latest_counted_run_of_the_test(stores: Stores) -> None:
    h = History(stores.state)
    # Runs hourly from T0; b ran only in the first, older than the newest runs read one by one.
    h.series({"a": "PPPPP", "b": "P----", "c": "--P--"})
    h.run({"a": "F", "b": "F"}, infra=True)  # an infrastructure failure is not counted
    ev = evidence(stores)
    assert [ev[k].last_seen for k in "abc"] == [
        T0 + timedelta(hours=4),
        T0,
        T0 + timedelta(hours=2),
    ]
    assert evidence(stores, until=T0 + timedelta(hours=1))["a"].last_seen == T0 + timedelta(hours=1)
    assert evidence(stores, test_key="b")["b"].last_seen == T0
