"""The Confluent-compatible REST surface: error codes and media type (TestClient), and the real
``confluent_kafka`` SchemaRegistryClient against a live uvicorn server."""

from __future__ import annotations

import importlib.util
import json
import sys
import types
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from readiness._common.clock import SystemClock
from readiness.auth.service import TokenService
from readiness.config import load_settings
from readiness.projects.service import ProjectService
from readiness.server.app import create_app
from readiness.storage import Stores, open_stores
from tests._live import live_server

with warnings.catch_warnings():  # as tests/server/conftest.py: plain httpx works unchanged
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

BASE = "/api/v1/schema-registry"
MEDIA = "application/vnd.schemaregistry.v1+json"
V1 = {"type": "object", "properties": {"id": {"type": "integer"}}}
V2_REQUIRED = {**V1, "required": ["id"]}


@dataclass
class Server:
    app: Any
    reader: str
    writer: str
    stores: Stores


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    settings = load_settings(tmp_path, environ={})
    stores = open_stores(settings)
    clock = SystemClock()
    ProjectService(stores=stores, clock=clock, actor="test").ensure(settings.project)
    tokens = TokenService(stores=stores, clock=clock, actor="test")
    reader, _ = tokens.create(name="r", role="reader")
    writer, _ = tokens.create(name="w", role="writer")
    try:
        yield Server(create_app(settings, stores=stores, clock=clock), reader, writer, stores)
    finally:
        stores.dispose()


def _body(schema: Any, kind: str = "JSON") -> dict[str, Any]:
    return {"schema": json.dumps(schema), "schemaType": kind}


def test_rest_error_codes_and_roles(server: Server) -> None:
    client = TestClient(server.app)
    w = {"Authorization": f"Bearer {server.writer}", "Content-Type": MEDIA}
    r = {"Authorization": f"Bearer {server.reader}"}

    assert client.get(f"{BASE}/subjects").status_code == 401
    denied = client.post(f"{BASE}/subjects/o/versions", json=_body(V1), headers=r)
    assert (denied.status_code, denied.json()["error_code"]) == (403, 40301)
    created = client.post(f"{BASE}/subjects/o/versions", content=json.dumps(_body(V1)), headers=w)
    assert created.status_code == 200
    assert created.headers["content-type"] == "application/json"
    assert (created.json()["subject"], created.json()["version"]) == ("o", 1)

    def code(response: Any) -> tuple[int, int]:
        return response.status_code, response.json()["error_code"]

    assert code(client.get(f"{BASE}/subjects/x/versions", headers=r)) == (404, 40401)
    assert code(client.get(f"{BASE}/subjects/o/versions/9", headers=r)) == (404, 40402)
    assert code(client.get(f"{BASE}/schemas/ids/999", headers=r)) == (404, 40403)
    bad = client.post(f"{BASE}/subjects/o/versions", json=_body({"type": 5}), headers=w)
    assert code(bad) == (422, 42201)
    refused = client.post(f"{BASE}/subjects/o/versions", json=_body(V2_REQUIRED), headers=w)
    assert code(refused) == (409, 409)
    assert refused.json()["error"]["code"] == "schema_incompatible"
    level = client.put(f"{BASE}/config", json={"compatibility": "SIDEWAYS"}, headers=w)
    assert code(level) == (422, 42203)
    verbose = client.post(
        f"{BASE}/compatibility/subjects/o/versions/latest?verbose=true",
        json=_body(V2_REQUIRED),
        headers=r,
    )
    assert verbose.json() == {
        "is_compatible": False,
        "messages": [
            "BACKWARD: property_became_required at #/properties/id: writer data may omit "
            "'id', the reader requires it; the new schema cannot read data written with the "
            "old one (reader: True, writer: False)"
        ],
    }
    basic = client.get(f"{BASE}/subjects", auth=("anyone", server.reader))
    assert basic.json() == ["o"]


def _client_modules() -> None:
    """confluent-kafka's registry client imports authlib (OAuth only) and cachetools, its
    ``schemaregistry`` extra, which uv.lock lacks: minimal stand-ins when they are absent."""
    if "cachetools" not in sys.modules and importlib.util.find_spec("cachetools") is None:

        class _Cache(dict[Any, Any]):
            def __init__(self, maxsize: int = 0, ttl: float = 0, *args: Any) -> None:
                super().__init__()

        cache_mod = types.ModuleType("cachetools")
        for name in ("Cache", "LRUCache", "TTLCache"):
            setattr(cache_mod, name, _Cache)
        sys.modules["cachetools"] = cache_mod
    if "authlib" not in sys.modules and importlib.util.find_spec("authlib") is None:
        for name in ("authlib", "authlib.integrations", "authlib.integrations.httpx_client"):
            module = types.ModuleType(name)
            module.OAuth2Client = object  # type: ignore[attr-defined]
            module.AsyncOAuth2Client = object  # type: ignore[attr-defined]
            sys.modules[name] = module


def test_the_real_confluent_client(server: Server) -> None:
    _client_modules()
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    with (
        live_server(server.app) as url,
        SchemaRegistryClient(
            {"url": f"{url}{BASE}", "basic.auth.user.info": f"ci:{server.writer}"}
        ) as client,
    ):
        v1 = Schema(json.dumps(V1), "JSON")
        schema_id = client.register_schema("orders-value", v1)
        latest = client.get_latest_version("orders-value")
        assert (latest.version, latest.schema_id) == (1, schema_id)
        assert json.loads(client.get_schema(schema_id).schema_str) == V1
        assert client.get_subjects() == ["orders-value"]
        assert client.get_versions("orders-value") == [1]
        assert client.lookup_schema("orders-value", v1).version == 1
        required = Schema(json.dumps(V2_REQUIRED), "JSON")
        assert client.test_compatibility("orders-value", required) is False
        with pytest.raises(SchemaRegistryError) as caught:
            client.register_schema("orders-value", required)
        assert caught.value.error_code == 409
        client.set_compatibility("orders-value", "FORWARD")
        assert client.get_compatibility("orders-value") == "FORWARD"
        assert client.test_compatibility("orders-value", required) is True
        assert client.register_schema("orders-value", required) != schema_id
        avro = Schema(
            json.dumps(
                {"type": "record", "name": "Pay", "fields": [{"name": "id", "type": "int"}]}
            ),
            "AVRO",
        )
        pay_id = client.register_schema("pay-value", avro)
        assert client.get_latest_version("pay-value").schema.schema_type == "AVRO"
        with pytest.raises(SchemaRegistryError) as missing:
            client.get_latest_version("nope")
        assert missing.value.error_code == 40401
        assert pay_id > schema_id


def test_the_real_avro_serializer_round_trips(server: Server) -> None:
    _client_modules()
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    schema = json.dumps(
        {
            "type": "record",
            "name": "Payment",
            "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}],
        }
    )
    with (
        live_server(server.app) as url,
        SchemaRegistryClient(
            {
                "url": f"{url}{BASE}",
                "bearer.auth.credentials.source": "STATIC_TOKEN",
                "bearer.auth.token": server.writer,
                "bearer.auth.logical.cluster": "-",
                "bearer.auth.identity.pool.id": "-",
            }
        ) as client,
    ):
        context = SerializationContext("payments", MessageField.VALUE)
        data = AvroSerializer(client, schema)({"id": "p1", "amount": 250}, context)
        assert data is not None and data[0] == 0  # Confluent's wire format: magic byte, id
        assert AvroDeserializer(client)(data, context) == {"id": "p1", "amount": 250}
        assert client.get_latest_version("payments-value").version == 1
