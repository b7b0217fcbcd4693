"""Impact and the flaky-system hint read through a live server equal the local store's."""

from __future__ import annotations

from pathlib import Path

from readiness._common.clock import SystemClock
from readiness.testhealth.client import LocalTestHealth
from tests.integration.test_failing_orders_remote import (  # the live server and its report
    VICTIM,
    Server,
    _remote,
    server,  # noqa: F401 - the fixture
)


def test_flaky_and_show_through_the_server_equal_the_local_store(
    server: Server,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    remote = _remote(server, tmp_path)
    local = LocalTestHealth(server.settings, SystemClock(), "dev")
    try:
        lists = (remote.flaky(sort="name"), local.flaky(sort="name"))
        shown = (remote.show(VICTIM), local.show(VICTIM))
    finally:
        remote.close()
        local.close()

    assert lists[0] == lists[1]
    assert shown[0]["impact"]["ci_runs_failed"] == 1  # the server's run ci-7 failed it
    assert (shown[0]["impact"], shown[0]["signals"]) == (shown[1]["impact"], shown[1]["signals"])
