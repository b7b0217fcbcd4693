"""The broker's webhook events, end to end: a publication or a verification result through the
HAL API queues ``pact.*`` events for the project's webhooks in its own transaction, and the
delivery worker posts them to a real ``http.server`` receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from readiness._common.clock import FrozenClock
from readiness.config import NotifySettings, Settings
from readiness.contracts.pact.service import PactService
from readiness.errors import ConflictError
from readiness.notify.service import NotifyService
from readiness.notify.worker import deliver_due
from readiness.projects.service import ProjectService
from readiness.storage import Stores
from tests.contracts.pact.conftest import Broker, TestClient
from tests.notify.receiver import Receiver, running_receiver

BASE = "/api/v1/pact"
PACT = {"consumer": {"name": "web"}, "provider": {"name": "users"}, "interactions": []}
CHANGED = {**PACT, "interactions": [{"description": "new"}]}
FAST = NotifySettings(max_attempts=3, backoff_base_s=10, backoff_cap_s=60, timeout_s=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


def _subscribe(
    broker: Broker, settings: Settings, clock: FrozenClock, url: str, *events: str
) -> None:
    NotifyService(stores=broker.stores, clock=clock, settings=FAST).add_webhook(
        project=settings.project, url=url, events=list(events)
    )


def _delivered(broker: Broker, clock: FrozenClock, receiver: Receiver) -> list[dict[str, Any]]:
    deliver_due(broker.stores, settings=FAST, clock=clock)
    return [json.loads(r.body) for r in receiver.requests]


def _put(http: TestClient, broker: Broker, version: str, content: dict[str, Any]) -> None:
    url = f"{BASE}/pacts/provider/users/consumer/web/version/{version}"
    assert http.put(url, json=content, headers=broker.auth(broker.writer)).status_code == 200


def test_publishing_announces_published_and_content_changed_only_when_it_changed(
    broker: Broker, http: TestClient, settings: Settings, clock: FrozenClock, receiver: Receiver
) -> None:
    _subscribe(
        broker, settings, clock, receiver.url,
        "pact.contract_published", "pact.contract_content_changed",
    )  # fmt: skip
    _put(http, broker, "c1", PACT)
    _put(http, broker, "c2", PACT)  # the same content as c1: published, not changed
    _put(http, broker, "c3", CHANGED)

    bodies = _delivered(broker, clock, receiver)

    assert sorted((b["type"], b["data"]["consumer_version"]) for b in bodies) == [
        ("pact.contract_content_changed", "c1"),
        ("pact.contract_content_changed", "c3"),
        ("pact.contract_published", "c1"),
        ("pact.contract_published", "c2"),
        ("pact.contract_published", "c3"),
    ]
    c3 = next(b for b in bodies if b["type"] == "pact.contract_content_changed" and
              b["data"]["consumer_version"] == "c3")  # fmt: skip
    assert c3["project"] == settings.project
    assert {k: c3["data"][k] for k in ("consumer", "provider", "branch", "pact_url")} == {
        "consumer": "web",
        "provider": "users",
        "branch": None,
        "pact_url": "/pact/pacts/provider/users/consumer/web/version/c3",
    }


def test_a_verification_result_announces_published_and_its_outcome(
    broker: Broker, http: TestClient, settings: Settings, clock: FrozenClock, receiver: Receiver
) -> None:
    _subscribe(
        broker, settings, clock, receiver.url,
        "pact.provider_verification_published", "pact.provider_verification_succeeded",
        "pact.provider_verification_failed",
    )  # fmt: skip
    _put(http, broker, "c1", PACT)
    service = PactService(broker.stores, clock, settings.project)
    pact = service.pact("users", "web", "c1")[0]
    service.verify(pact, "p1", False, {})
    service.verify(pact, "p2", True, {})

    bodies = _delivered(broker, clock, receiver)

    assert sorted(
        (b["type"], b["data"]["provider_version"], b["data"]["verification"]["success"])
        for b in bodies
    ) == [
        ("pact.provider_verification_failed", "p1", False),
        ("pact.provider_verification_published", "p1", False),
        ("pact.provider_verification_published", "p2", True),
        ("pact.provider_verification_succeeded", "p2", True),
    ]
    assert {b["data"]["consumer_version"] for b in bodies} == {"c1"}
    assert {b["data"]["pact_url"] for b in bodies} == {
        "/pact/pacts/provider/users/consumer/web/version/c1"
    }


def test_a_refused_publication_announces_nothing(
    broker: Broker, http: TestClient, settings: Settings, clock: FrozenClock, receiver: Receiver
) -> None:
    _subscribe(broker, settings, clock, receiver.url, "pact.contract_published")
    _put(http, broker, "c1", PACT)
    url = f"{BASE}/pacts/provider/users/consumer/web/version/c1"

    refused = http.put(url, json=CHANGED, headers=broker.auth(broker.writer))

    assert refused.status_code == 409
    assert [b["data"]["consumer_version"] for b in _delivered(broker, clock, receiver)] == ["c1"]


def test_the_public_url_makes_the_pact_url_absolute(
    broker: Broker, settings: Settings, clock: FrozenClock, receiver: Receiver
) -> None:
    _subscribe(broker, settings, clock, receiver.url, "pact.contract_published")
    notify = NotifySettings(public_url="https://readiness.example")
    PactService(broker.stores, clock, settings.project, notify=notify).publish(
        "web", "users", "1.0 beta", PACT
    )

    (body,) = _delivered(broker, clock, receiver)

    assert body["data"]["pact_url"] == (
        "https://readiness.example/pact/pacts/provider/users/consumer/web/version/1.0%20beta"
    )


def test_events_are_queued_with_the_change_on_both_databases(
    stores: Stores, clock: FrozenClock, receiver: Receiver
) -> None:
    ProjectService(stores=stores, clock=clock, actor="test").ensure("shop")
    NotifyService(stores=stores, clock=clock, settings=FAST).add_webhook(
        project="shop", url=receiver.url, events=["pact.contract_content_changed"]
    )
    service = PactService(stores, clock, "shop")
    service.publish("web", "users", "c1", PACT)
    service.publish("web", "users", "c2", PACT)
    with pytest.raises(ConflictError):
        service.publish("web", "users", "c2", CHANGED)  # refused: announces nothing
    service.publish("web", "users", "c3", CHANGED)

    deliver_due(stores, settings=FAST, clock=clock)

    assert [json.loads(r.body)["data"]["consumer_version"] for r in receiver.requests] == [
        "c1",
        "c3",
    ]


def test_the_slack_headline_names_the_pair_and_the_outcome(clock: FrozenClock) -> None:
    from readiness.notify.core import headline
    from readiness.notify.service import new_event

    data = {"consumer": "web", "consumer_version": "c1", "provider": "users"}
    published = new_event("pact.contract_published", project="shop", clock=clock, data=data)
    failed = new_event(
        "pact.provider_verification_failed",
        project="shop",
        clock=clock,
        data={**data, "provider_version": "p1", "verification": {"success": False}},
    )

    assert headline(published) == "shop: contract_published (web c1 -> users)"
    assert headline(failed) == "shop: verification of web c1 -> users p1 failed"
