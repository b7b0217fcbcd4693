"""One run's failures and each failing test's runs around it (both DBs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from readiness._common.clock import FrozenClock
from readiness.config import LinksSettings, Settings
from readiness.errors import NotFoundError
from readiness.storage.engine import Stores
from readiness.testhealth.model import Outcome, RunMeta
from readiness.testhealth.service import TestHealthService
from readiness.testhealth.views import run_detail_view
from readiness.testing import junit_xml

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
A = "tests/test_a.py::test_a"
B = "tests/test_b.py::test_b"


def _service(stores: Stores, settings: Settings) -> TestHealthService:
    return TestHealthService(settings=settings, stores=stores, clock=FrozenClock(T0))


def _ingest(service: TestHealthService, outcomes: dict[str, str | list[str]], n: int) -> str:
    """Run ``n``, started ``n`` hours after T0 (runs 3 and 4 start at the same instant)."""
    at = T0 + timedelta(hours=min(n, 3))
    result = service.ingest_bytes(
        junit_xml(outcomes, seed=str(n)),
        source=f"run{n}.xml",
        meta=RunMeta(run_id=str(n), commit=f"c{n}", timestamp=at),
    )
    return result.run_key


def test_a_runs_failures_come_by_test_id_with_their_runs_around_newest_first(
    stores: Stores, settings: Settings
) -> None:
    service = _service(stores, settings)
    keys = [
        _ingest(service, {A: "passed", B: "passed"}, 0),
        _ingest(service, {A: "passed", B: "failed"}, 1),
        _ingest(service, {A: ["failed", "passed"], B: "failed"}, 2),
        _ingest(service, {A: "passed", B: "passed"}, 3),
        _ingest(service, {A: "passed"}, 4),  # same start as run 3: ordered after it (by id)
    ]

    detail = service.run_detail(keys[2], each_side=2)

    assert detail.run.run_key == keys[2]
    assert detail.failed_tests == 2
    assert [(f.test_key, f.outcomes) for f, _ in detail.failures] == [
        (A, (Outcome.FAILED, Outcome.PASSED)),
        (B, (Outcome.FAILED,)),
    ]
    assert [[h.run_key for h in history] for _, history in detail.failures] == [
        [keys[4], keys[3], keys[2], keys[1], keys[0]],
        [keys[3], keys[2], keys[1], keys[0]],  # B did not run in run 4
    ]


def test_the_failures_shown_stop_at_the_limit_and_the_count_says_how_many(
    stores: Stores, settings: Settings
) -> None:
    service = _service(stores, settings)
    key = _ingest(service, {A: "failed", B: "error"}, 0)

    detail = service.run_detail(key, max_failures=1)

    assert detail.failed_tests == 2
    assert [f.test_key for f, _ in detail.failures] == [A]


def test_an_unknown_run_is_not_found(stores: Stores, settings: Settings) -> None:
    with pytest.raises(NotFoundError) as caught:
        _service(stores, settings).run_detail("feed")
    assert caught.value.message == (
        "run 'feed' is unknown in project 'project'; the runs page lists the recent runs"
    )


def test_runs_that_start_at_the_same_instant_are_placed_in_the_order_they_are_listed(
    stores: Stores, settings: Settings
) -> None:
    service = _service(stores, settings)
    keys = [_ingest(service, {A: "failed"}, n) for n in (2, 3, 4, 5)]  # 3, 4 and 5 start together

    detail = run_detail_view(service.run_detail(keys[2]), LinksSettings())

    assert [(h["run_key"], h["position"]) for h in detail["failures"][0]["history"]] == [
        (keys[3], "after"),
        (keys[2], "this run"),
        (keys[1], "before"),
        (keys[0], "before"),
    ]
