"""Quarantining a test id no run has shown is refused as a typo, naming the closest known ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.errors import NotFoundError
from readiness.storage.engine import Stores
from readiness.testhealth.model import RunMeta
from readiness.testhealth.quarantine.book import closest_test_ids
from readiness.testhealth.service import TestHealthService
from readiness.testing import junit_xml

WEBHOOK = "tests/test_pay.py::test_webhook"
REFUND = "tests/test_pay.py::test_refund"
STOCK = "tests/test_orders.py::test_stock"
ALLOW = 'pass --allow-unknown (API: "allow_unknown": true)'


@pytest.fixture
def service(backend_settings: Settings, stores: Stores, clock: FrozenClock) -> TestHealthService:
    service = TestHealthService(settings=backend_settings, stores=stores, clock=clock)
    service.ingest_bytes(
        junit_xml({WEBHOOK: "failed", REFUND: "passed", STOCK: "passed"}),
        source="run.xml",
        meta=RunMeta(commit="c1", branch="main", run_id="1", timestamp=clock.now()),
    )
    return service


def test_a_test_that_has_run_is_quarantined(service: TestHealthService) -> None:
    entry = service.quarantine_add(WEBHOOK, reason="races the worker")

    assert [e.test_id for e in service.quarantine_entries()] == [entry.test_id] == [WEBHOOK]


def test_a_typo_in_the_test_name_is_refused_naming_the_closest_id(
    service: TestHealthService,
) -> None:
    with pytest.raises(NotFoundError) as refused:
        service.quarantine_add("tests/test_pay.py::test_webhok", reason="races")

    assert refused.value.message == (
        "test 'tests/test_pay.py::test_webhok' has not run in any ingested report of project "
        "'project' (a typo?); closest known: tests/test_pay.py::test_webhook. To quarantine it "
        f"anyway (a test that has not run yet), {ALLOW}"
    )
    assert refused.value.details == {
        "test_id": "tests/test_pay.py::test_webhok",
        "closest": [WEBHOOK],
    }
    assert service.quarantine_entries() == []


def test_a_typo_in_the_file_part_finds_the_test_in_the_closest_file(
    service: TestHealthService,
) -> None:
    with pytest.raises(NotFoundError) as refused:
        service.quarantine_add("tests/test_orderz.py::test_stock", reason="races")

    assert refused.value.details["closest"] == [STOCK]


def test_an_id_like_no_known_one_is_refused_saying_how_to_list_them(
    service: TestHealthService,
) -> None:
    with pytest.raises(NotFoundError) as refused:
        service.quarantine_add("spec/login.test.js::logs in", reason="races")

    assert refused.value.message == (
        "test 'spec/login.test.js::logs in' has not run in any ingested report of project "
        "'project', and no known test id is close to it; check the id (`readiness tests known` "
        f"lists them) or, to quarantine it anyway, {ALLOW}"
    )


def test_allow_unknown_quarantines_a_test_that_has_not_run_yet(
    service: TestHealthService,
) -> None:
    service.quarantine_add("tests/test_new.py::test_added_today", reason="new", allow_unknown=True)

    assert [e.test_id for e in service.quarantine_entries()] == [
        "tests/test_new.py::test_added_today"
    ]


def test_ids_with_like_wildcards_in_the_file_part_are_matched_literally(
    service: TestHealthService,
) -> None:
    with pytest.raises(NotFoundError) as refused:
        service.quarantine_add("tests/test_%.py::test_webhook", reason="races")

    assert refused.value.details["closest"] == [WEBHOOK]


@given(
    known=st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=20, unique=True),
    pick=st.integers(min_value=0),
)
def test_a_known_id_is_always_its_own_closest_match(known: list[str], pick: int) -> None:
    wanted = known[pick % len(known)]

    assert closest_test_ids(wanted, known)[0] == wanted
