"""The broker at ``/pact`` and the registry at ``/schema-registry`` (the issue's base URLs), next to
their ``/api/v1`` mounts: the real pact-python Verifier and the real Confluent client are given the
root URLs; HAL links follow the base the client used; auth and the error shape are the same."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pact.verifier import Verifier

from readiness._common.clock import SystemClock
from readiness.config import load_settings
from readiness.contracts.pact.service import PactService
from tests._live import live_server
from tests.contracts.pact.test_pact_python import _consumer_pact, provider_url
from tests.contracts.registry.test_api import V1, Server, _client_modules, server

__all__ = ["provider_url", "server"]


@pytest.fixture
def url(server: Server) -> Iterator[str]:
    with live_server(server.app) as base:
        yield base


@pytest.mark.parametrize("base", ["/pact", "/api/v1/pact"])
def test_hal_links_follow_the_base_the_client_used(url: str, server: Server, base: str) -> None:
    index = httpx.get(f"{url}{base}", auth=("any", server.reader))

    links = index.json()["_links"]
    assert index.headers["content-type"] == "application/hal+json"
    assert links["self"] == {"href": f"{url}{base}"}
    assert links["pb:publish-contracts"] == {"href": f"{url}{base}/contracts/publish"}


@pytest.mark.parametrize("path", ["/pact", "/pact/pacticipants/web", "/schema-registry/subjects"])
def test_root_mounts_refuse_a_missing_token_in_the_one_error_shape(url: str, path: str) -> None:
    answer = httpx.get(f"{url}{path}")

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"


def test_the_root_mounts_refuse_a_reader_that_writes(url: str, server: Server) -> None:
    answer = httpx.put(
        f"{url}/pact/pacts/provider/users/consumer/web/version/c1",
        json={"consumer": {"name": "web"}, "provider": {"name": "users"}},
        headers={"Authorization": f"Bearer {server.reader}"},
    )

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"


def test_the_real_verifier_given_the_root_broker_url_verifies_and_publishes(
    url: str, server: Server, provider_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")
    content = json.loads(_consumer_pact(tmp_path).read_text())
    put = f"{url}/pact/pacts/provider/users/consumer/web/version/c1"
    assert httpx.put(put, json=content, auth=("ci", server.writer)).status_code == 200
    verifier = (
        Verifier("users", host="127.0.0.1")
        .add_transport(url=provider_url)
        .broker_source(f"{url}/pact", username="ci", password=server.writer, selector=True)
        .consumer_version(consumer="web")
        .build()
        .set_publish_options(version="p1", branch="main")
    )

    verifier.verify()

    project = load_settings(tmp_path, environ={}).project
    snap = PactService(server.stores, SystemClock(), project).snapshot()
    assert [(v.consumer, v.provider_version, v.success) for v in snap.verifications] == [
        ("web", "p1", True)
    ]


def test_the_real_confluent_client_given_the_root_registry_url(url: str, server: Server) -> None:
    _client_modules()
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

    with SchemaRegistryClient(
        {"url": f"{url}/schema-registry", "basic.auth.user.info": f"ci:{server.writer}"}
    ) as client:
        schema_id = client.register_schema("orders-value", Schema(json.dumps(V1), "JSON"))
        latest = client.get_latest_version("orders-value")

    same = httpx.get(
        f"{url}/api/v1/schema-registry/subjects/orders-value/versions/latest",
        auth=("ci", server.reader),
    ).json()
    assert (latest.version, latest.schema_id) == (1, schema_id)
    assert (same["version"], same["id"]) == (1, schema_id)


@pytest.mark.parametrize("base", ["/pact", "/api/v1/pact"])
def test_a_repeated_single_valued_parameter_is_a_400_under_both_mounts(
    url: str, server: Server, base: str
) -> None:
    query = "pacticipant=a&pacticipant=b&version=1&environment=x"

    answer = httpx.get(f"{url}{base}/can-i-deploy?{query}", auth=("any", server.reader))

    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == (
        "query parameter given more than once ('pacticipant' 2 times); give each once"
    )
