"""``/matrix`` with several ``q[]`` selectors and ``latestby``, compared with the Ruby broker's
documented semantics: one selector gives every row involving its versions; several give the rows
between them; ``cvpv`` keeps the newest verification per consumer and provider version, ``cvp``
per consumer version (whichever provider version verified last)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.contracts.pact.matrix import MatrixSelector, parse_selectors
from readiness.contracts.pact.service import PactService
from tests.contracts.pact.conftest import Broker, TestClient

BASE = "/api/v1/pact/matrix"


def _pact(description: str) -> dict[str, object]:
    return {
        "consumer": {"name": "web"},
        "provider": {"name": "users"},
        "interactions": [{"description": description}],
    }


@pytest.fixture
def seeded(broker: Broker, settings: Settings, clock: FrozenClock) -> Broker:
    service = PactService(broker.stores, clock, settings.project)
    service.publish("web", "users", "c1", _pact("a"), branch="main")
    service.publish("web", "users", "c2", _pact("b"), branch="feat")
    c1 = service.pact("users", "web", "c1")[0]
    service.verify(c1, "p1", True, {})
    service.verify(c1, "p2", False, {})
    service.verify(c1, "p2", True, {})  # re-verified: the newest p2 result succeeds
    service.verify(service.pact("users", "web", "c2")[0], "p2", False, {})
    return broker


def _rows(http: TestClient, broker: Broker, query: list[tuple[str, str]]) -> dict[str, Any]:
    # In order, as pact-broker-client sends them (httpx's params= would group them by key).
    answer = http.get(f"{BASE}?{urlencode(query)}", headers=broker.auth(broker.reader))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    body["rows"] = [
        (
            r["consumer"]["version"]["number"],
            r["provider"]["version"]["number"] if r["provider"]["version"] else None,
            r["verificationResult"]["success"] if r["verificationResult"] else None,
        )
        for r in body.pop("matrix")
    ]
    return body


C1 = [("q[][pacticipant]", "web"), ("q[][version]", "c1")]


def test_one_selector_gives_every_row_of_its_version_newest_first(
    seeded: Broker, http: TestClient
) -> None:
    body = _rows(http, seeded, C1)

    assert body["rows"] == [("c1", "p2", True), ("c1", "p2", False), ("c1", "p1", True)]


def test_latestby_cvpv_keeps_the_newest_row_per_provider_version(
    seeded: Broker, http: TestClient
) -> None:
    body = _rows(http, seeded, [*C1, ("latestby", "cvpv")])

    assert body["rows"] == [("c1", "p2", True), ("c1", "p1", True)]


def test_latestby_cvp_keeps_the_newest_row_per_consumer_version(
    seeded: Broker, http: TestClient
) -> None:
    body = _rows(http, seeded, [*C1, ("latestby", "cvp")])

    assert body["rows"] == [("c1", "p2", True)]


def test_the_latest_consumer_against_a_provider_version_fails_with_the_reason(
    seeded: Broker, http: TestClient
) -> None:
    query = [
        ("q[][pacticipant]", "web"),
        ("q[][latest]", "true"),
        ("q[][pacticipant]", "users"),
        ("q[][version]", "p2"),
        ("latestby", "cvpv"),
    ]

    body = _rows(http, seeded, query)

    assert body["rows"] == [("c2", "p2", False)]
    assert body["summary"] == {
        "deployable": False,
        "reason": "The verification for the pact between web (c2) and users (p2) failed",
        "success": 0,
        "failed": 1,
        "unknown": 0,
    }


def test_a_branch_selector_against_every_provider_version(seeded: Broker, http: TestClient) -> None:
    query = [
        ("q[][pacticipant]", "web"),
        ("q[][branch]", "main"),
        ("q[][latest]", "true"),
        ("q[][pacticipant]", "users"),
        ("latestby", "cvp"),
    ]

    body = _rows(http, seeded, query)

    assert body["rows"] == [("c1", "p2", True)]
    assert body["summary"]["deployable"] is True


def test_an_unverified_pact_between_selected_pacticipants_is_an_unknown_row(
    broker: Broker, http: TestClient, settings: Settings, clock: FrozenClock
) -> None:
    PactService(broker.stores, clock, settings.project).publish("web", "users", "c9", _pact("z"))
    query = [("q[][pacticipant]", "web"), ("q[][version]", "c9"), ("q[][pacticipant]", "users")]

    body = _rows(http, broker, query)

    assert body["rows"] == [("c9", None, None)]
    assert body["summary"]["reason"] == ("There is no verified pact between web (c9) and users")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ([("q[][version]", "1")], "q[][version] comes before any q[][pacticipant]; name the "
         "pacticipant first"),
        ([("q[][pacticipant]", "a"), ("q[][colour]", "x")], "unknown matrix selector key "
         "'q[][colour]'; expected one of q[][pacticipant], q[][version], q[][branch], "
         "q[][tag], q[][latest]"),
        ([("q[][pacticipant]", "a"), ("latestby", "x")], "latestby must be cvp or cvpv (got 'x')"),
        ([], "the matrix needs at least one q[][pacticipant] selector"),
    ],
)  # fmt: skip
def test_malformed_selectors_are_a_400_in_the_one_error_shape(
    broker: Broker, http: TestClient, query: list[tuple[str, str]], message: str
) -> None:
    # In order, as pact-broker-client sends them (httpx's params= would group them by key).
    answer = http.get(f"{BASE}?{urlencode(query)}", headers=broker.auth(broker.reader))

    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == message


def test_selectors_are_read_in_order() -> None:
    query = [
        ("latestby", "cvp"),
        ("q[][pacticipant]", "a"),
        ("q[][tag]", "prod"),
        ("q[][latest]", "true"),
        ("q[][pacticipant]", "b"),
    ]

    assert parse_selectors(query) == [
        MatrixSelector("a", tag="prod", latest=True),
        MatrixSelector("b"),
    ]
