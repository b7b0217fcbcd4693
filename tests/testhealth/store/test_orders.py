"""Execution orders of failing runs: stored at ingest, read back as failing orders (both DBs)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import hypothesis  # noqa: F401 - imported once here; else every inline pytester run re-imports it
import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.errors import InputError, JUnitParseError
from readiness.storage.engine import Stores
from readiness.testhealth.model import FailingOrder, RunMeta
from readiness.testhealth.service import TestHealthService
from readiness.testhealth.store import tables

pytest_plugins = ["pytester"]

T0 = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
A, B, C, D = (f"tests/pkg/test_{n}.py::test_{n}" for n in "abcd")
V = "tests/other/test_v.py::test_victim"

Worker = Sequence[tuple[str, str]]  # (test id, passed | failed) in execution order


def xdist_report(workers: dict[str, Worker], *, seed: str | None = "4242") -> bytes:
    """A report shaped like our plugin's under pytest-xdist (CONTRACTS C1): one suite per
    worker, testcases in execution order, the seed as a suite property."""
    root = ET.Element("testsuites", name="pytest tests")
    for worker, cases in workers.items():
        suite = ET.SubElement(root, "testsuite", name=f"pytest:{worker}", tests=str(len(cases)))
        if seed is not None:
            props = ET.SubElement(suite, "properties")
            ET.SubElement(props, "property", name="readiness.seed", value=seed)
        for test_id, outcome in cases:
            path, _, name = test_id.rpartition("::")
            classname = path.removesuffix(".py").replace("/", ".")
            case = ET.SubElement(
                suite, "testcase", classname=classname, name=name, file=path, line="1", time="0.01"
            )
            if outcome == "failed":
                failure = ET.SubElement(case, "failure", message="assert 'EUR' == 'USD'")
                failure.text = "AssertionError: assert 'EUR' == 'USD'"
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml


def _service(stores: Stores, settings: Settings, at: datetime = T0) -> TestHealthService:
    return TestHealthService(settings=settings, stores=stores, clock=FrozenClock(at))


def _ingest(service: TestHealthService, xml: bytes, run_id: str) -> None:
    service.ingest_bytes(xml, source=f"{run_id}.xml", meta=RunMeta(run_id=run_id, commit="c1"))


def _stored_orders(stores: Stores) -> list[tuple[str | None, int]]:
    o = tables.run_orders
    with stores.state.connect() as conn:
        rows = conn.execute(sa.select(o.c.suite, o.c.count).order_by(o.c.id)).all()
    return [(suite, count) for suite, count in rows]


def test_a_failing_run_keeps_each_workers_order_and_the_victim_gets_its_own_workers_prefix(
    stores: Stores, settings: Settings
) -> None:
    service = _service(stores, settings)
    xml = xdist_report(
        {
            "gw0": [(A, "passed"), (C, "passed")],
            "gw1": [(B, "passed"), (D, "passed"), (V, "failed")],
        }
    )

    _ingest(service, xml, "r1")

    [found] = service.failing_orders(V)
    assert (found.suite, found.before, found.seed, found.commit) == (
        "pytest:gw1",
        (B, D),
        "4242",
        "c1",
    )
    assert _stored_orders(stores) == [("pytest:gw0", 2), ("pytest:gw1", 3)]


def test_a_run_without_a_failure_stores_no_order(stores: Stores, settings: Settings) -> None:
    _ingest(_service(stores, settings), xdist_report({"gw0": [(A, "passed"), (V, "passed")]}), "r1")

    assert _stored_orders(stores) == []


def test_failing_orders_come_newest_first_and_stop_at_the_limit(
    stores: Stores, settings: Settings
) -> None:
    for n, before in enumerate([[A], [B], [C]]):
        at = T0 + timedelta(hours=n)
        xml = xdist_report({"gw0": [(t, "passed") for t in before] + [(V, "failed")]})
        _ingest(_service(stores, settings, at), xml, f"r{n}")

    found = _service(stores, settings).failing_orders(V, limit=2)

    assert [(o.started_at, o.before) for o in found] == [
        (T0 + timedelta(hours=2), (C,)),
        (T0 + timedelta(hours=1), (B,)),
    ]


def test_a_run_where_the_test_passed_is_not_a_failing_order(
    stores: Stores, settings: Settings
) -> None:
    service = _service(stores, settings)
    _ingest(service, xdist_report({"gw0": [(A, "failed"), (V, "passed")]}), "r1")

    assert service.failing_orders(V) == []
    assert [o.before for o in service.failing_orders(A)] == [()]


def test_a_failing_run_stored_without_an_order_comes_back_with_its_seed(
    stores: Stores, settings: Settings
) -> None:
    service = _service(stores, settings)
    _ingest(service, xdist_report({"gw0": [(A, "passed"), (V, "failed")]}, seed="77"), "r1")
    with stores.state.begin() as conn:  # as a run ingested before orders were kept
        conn.execute(tables.run_orders.delete())

    [found] = service.failing_orders(V)

    assert found == FailingOrder(
        run_key=found.run_key, started_at=T0, commit="c1", seed="77", suite=None, before=None
    )


def test_a_duplicate_ingest_stores_the_order_once(stores: Stores, settings: Settings) -> None:
    service = _service(stores, settings)
    xml = xdist_report({"gw0": [(A, "passed"), (V, "failed")]})

    _ingest(service, xml, "r1")
    _ingest(service, xml, "r1")

    assert _stored_orders(stores) == [("pytest:gw0", 2)]


def test_a_malformed_report_stores_no_order(stores: Stores, settings: Settings) -> None:
    xml = xdist_report({"gw0": [(A, "passed"), (V, "failed")]})

    with pytest.raises(JUnitParseError):
        _ingest(_service(stores, settings), xml[:-40], "r1")

    assert _stored_orders(stores) == []


def test_a_test_seen_twice_keeps_the_place_of_its_first_run(
    stores: Stores, settings: Settings
) -> None:
    service = _service(stores, settings)
    _ingest(service, xdist_report({"gw0": [(A, "passed"), (V, "failed"), (A, "passed")]}), "r1")

    assert _stored_orders(stores) == [("pytest:gw0", 2)]


def test_failing_orders_of_an_unknown_test_are_none(stores: Stores, settings: Settings) -> None:
    assert _service(stores, settings).failing_orders("tests/test_typo.py::test_x") == []


def test_failing_orders_need_a_positive_limit(stores: Stores, settings: Settings) -> None:
    with pytest.raises(InputError) as raised:
        _service(stores, settings).failing_orders(V, limit=0)

    assert str(raised.value) == "failing_orders: limit must be at least 1 (got 0)"


POLLUTING_SUITE = {
    "test_config": """
import state

def test_switch_to_eur():
    state.CURRENCY[0] = "EUR"
""",
    "test_prices": """
import state

def test_prices_default_to_usd():
    assert state.CURRENCY[0] == "USD"
""",
    "test_misc": "\n".join(f"def test_{n}():\n    pass\n" for n in range(6)),
}


def test_pytests_own_junitxml_under_a_random_seed_stores_the_order_pytest_ran(
    pytester: pytest.Pytester, stores: Stores, settings: Settings
) -> None:
    pytester.makepyfile(state='CURRENCY = ["USD"]\n', **POLLUTING_SUITE)
    ran: list[str] = []
    for seed in range(1, 40):  # the first seed that runs the polluter before the victim
        result = pytester.runpytest_inprocess(
            "-p", "randomly", f"--randomly-seed={seed}", "--junitxml=out.xml", "-v"
        )
        ran = [
            line.split(" ")[0] for line in result.outlines if " PASSED" in line or " FAILED" in line
        ]
        if result.ret == 1:
            break
    service = _service(stores, settings)
    service.ingest_bytes(
        (pytester.path / "out.xml").read_bytes(), source="out.xml", meta=RunMeta(run_id="ci-1")
    )

    [found] = service.failing_orders("test_prices.py::test_prices_default_to_usd")

    assert found.before == tuple(ran[: ran.index("test_prices.py::test_prices_default_to_usd")])
    assert "test_config.py::test_switch_to_eur" in found.before
