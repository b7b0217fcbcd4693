"""Failing orders through a live server read exactly as from the local store."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from readiness._common.clock import SystemClock
from readiness.auth.service import TokenService
from readiness.config import Settings, load_settings
from readiness.server.app import create_app
from readiness.storage import open_stores
from readiness.testhealth.client import LocalTestHealth, RemoteTestHealth
from readiness.testhealth.model import FixVerification
from readiness.testhealth.views import failing_order_from_view
from tests._live import live_server

# Ids with characters a URL path treats specially survive the round trip.
VICTIM = "tests/other/test_v.py::test_victim[a?b#c d%]"
BEFORE = ["tests/pkg/test_a.py::test_a", "tests/pkg/test_b.py::test_b[1/2]"]


@dataclass
class Server:
    url: str
    reader: str
    writer: str
    settings: Settings


def _report() -> bytes:
    """Our plugin's shape under pytest-xdist: one suite per worker, in execution order."""
    root = ET.Element("testsuites", name="pytest tests")
    suite = ET.SubElement(root, "testsuite", name="pytest:gw0", tests="3")
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="readiness.seed", value="31337")
    for test_id in [*BEFORE, VICTIM]:
        path, _, name = test_id.rpartition("::")
        case = ET.SubElement(
            suite,
            "testcase",
            classname=path.removesuffix(".py").replace("/", "."),
            name=name,
            file=path,
            line="3",
            time="0.01",
        )
        if test_id == VICTIM:
            ET.SubElement(case, "failure", message="assert 'EUR' == 'USD'").text = "E assert"
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    settings = load_settings(tmp_path / "server", environ={})
    stores = open_stores(settings)
    clock = SystemClock()
    tokens = TokenService(stores=stores, clock=clock, actor="admin")
    writer, _ = tokens.create(name="ci", role="writer")
    reader, _ = tokens.create(name="dev", role="reader")
    try:
        with live_server(create_app(settings, stores=stores, clock=clock)) as url:
            response = httpx.post(
                f"{url}/api/v1/tests/runs?run_id=ci-7&commit=c7",
                content=_report(),
                headers={"Authorization": f"Bearer {writer}", "Content-Type": "application/xml"},
            )
            assert response.status_code == 200, response.text
            yield Server(url, reader, writer, settings)
    finally:
        stores.dispose()


def _remote(server: Server, tmp_path: Path, *, token: str | None = None) -> RemoteTestHealth:
    return RemoteTestHealth(
        load_settings(
            tmp_path,
            environ={
                "READINESS_URL": server.url,
                "READINESS_TOKEN": token or server.reader,
                # the project the server stored the report in: its own default (its directory)
                "READINESS_PROJECT": server.settings.root.name,
            },
        )
    )


def test_failing_orders_through_the_server_equal_the_local_stores(
    server: Server, tmp_path: Path
) -> None:
    remote = _remote(server, tmp_path)
    local = LocalTestHealth(server.settings, SystemClock(), "dev")
    try:
        through_server = remote.failing_orders(VICTIM)
        from_store = local.failing_orders(VICTIM)
    finally:
        remote.close()
        local.close()

    assert through_server == from_store
    [found] = [failing_order_from_view(v) for v in through_server]
    assert (found.suite, found.seed, found.commit, found.before) == (
        "pytest:gw0",
        "31337",
        "c7",
        tuple(BEFORE),
    )


def test_a_limit_below_one_is_answered_422_in_the_one_error_shape(server: Server) -> None:
    response = httpx.get(
        f"{server.url}/api/v1/tests/tests/tests/test_a.py::test_a/failing-orders?limit=0",
        headers={"Authorization": f"Bearer {server.reader}"},
    )

    assert response.status_code == 422
    assert set(response.json()) == {"error"}
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_a_fix_verification_keeps_what_each_experiment_showed_through_the_server(
    server: Server, tmp_path: Path
) -> None:
    outcome = FixVerification(
        test_id=VICTIM,
        flake_rate=1.0,
        alpha=0.05,
        required_runs=50,
        runs=1,
        failures=1,
        verdict="still-flaky",
        experiments={"failing-order-1": "failed 1 of 1"},
    )
    remote = _remote(server, tmp_path, token=server.writer)
    try:
        recorded = remote.record_fix(outcome)
    finally:
        remote.close()

    assert recorded["experiments"] == {"failing-order-1": "failed 1 of 1"}
