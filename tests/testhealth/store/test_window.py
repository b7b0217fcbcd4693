"""The detection window bounds what a report reads: runs before it count nowhere (issue 6, 1.5)."""

from __future__ import annotations

from datetime import timedelta

from readiness.storage.engine import Stores
from readiness.testhealth.detection.model import TestEvidence
from readiness.testhealth.store import evidence as queries
from readiness.testhealth.store.window import OTHER_BRANCH_FACTOR, load_window
from tests.testhealth._history import T0, History


def evidence(
    stores: Stores, window_runs: int, test_key: str | None = None
) -> dict[str, TestEvidence]:
    out = queries.load_evidence(
        stores.state,
        project="default",
        default_branch="main",
        window_runs=window_runs,
        test_key=test_key,
    )
    return {e.test_key: e for e in out}


def test_runs_older_than_the_window_are_not_counted(stores: Stores) -> None:
    h = History(stores.state)
    h.series({"a": "F" * 6 + "P" * 4})

    a = evidence(stores, window_runs=4)["a"]

    assert (a.runs, a.failures, a.window, a.failure_groups) == (4, 0, "PPPP", ())
    assert a.window_start == T0 + timedelta(hours=6)


def test_other_branches_count_from_the_oldest_default_branch_run_of_the_window(
    stores: Stores,
) -> None:
    h = History(stores.state)
    h.run({"a": "F"}, branch="feature/old")  # before the window: not counted
    h.series({"a": "PP"})
    h.run({"a": "F"}, branch="feature/new")  # inside it: counted, outside the flip window
    h.series({"a": "P"})

    a = evidence(stores, window_runs=3)["a"]

    assert (a.runs, a.failures, a.window) == (4, 1, "PPP")


def test_other_branch_runs_are_capped_when_the_default_branch_has_none(stores: Stores) -> None:
    h = History(stores.state)
    for _ in range(OTHER_BRANCH_FACTOR * 2 + 3):
        h.run({"a": "P"}, branch="feature/x")

    with stores.state.connect() as conn:
        window = load_window(conn, project="default", default_branch="main", window_runs=2)

    assert (len(window.runs), window.default) == (OTHER_BRANCH_FACTOR * 2, ())
    a = evidence(stores, window_runs=2)["a"]
    assert (a.runs, a.window, a.window_commits) == (OTHER_BRANCH_FACTOR * 2, "", ())


def test_a_test_that_ran_only_before_the_window_loads_by_key_with_nothing_counted(
    stores: Stores,
) -> None:
    h = History(stores.state)
    h.series({"gone": "FF--", "b": "PPPP"})

    everyone = evidence(stores, window_runs=2)
    gone = evidence(stores, window_runs=2, test_key="gone")["gone"]

    assert sorted(everyone) == ["b"]
    assert (gone.runs, gone.failures, gone.window, gone.last_seen) == (
        0,
        0,
        "--",
        T0 + timedelta(hours=1),
    )


def test_a_repeat_that_passed_after_a_failure_is_not_a_retry_pass_nor_failed_on_every_attempt(
    stores: Stores,
) -> None:
    h = History(stores.state)
    h.run({"a": "FPP"}, repeat=3)
    h.run({"a": "FP"})

    a = evidence(stores, window_runs=5)["a"]

    assert (a.runs, a.failures, a.window, a.retry_passes) == (2, 2, "RR", 1)
