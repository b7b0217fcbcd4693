"""Confluent's deletes (soft, then permanent) and schema references (JSON Schema ``$ref`` by a
reference's name, Avro named types), on SQLite and PostgreSQL; the REST error codes; and the
real ``confluent_kafka`` client's ``delete_subject``, ``delete_version`` and references."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.audit.outbox.store import audit_outbox
from readiness.contracts.schemas.service import SchemaRegistry
from readiness.contracts.schemas.store.registry import Reference
from readiness.errors import (
    IncompatibleSchemaError,
    ReferenceExistsError,
    SchemaInvalidError,
    SchemaNotFoundError,
    SubjectNotFoundError,
    SubjectNotSoftDeletedError,
    SubjectSoftDeletedError,
    VersionNotSoftDeletedError,
    VersionSoftDeletedError,
)
from readiness.storage import Stores
from tests._live import live_server
from tests.contracts.pact.conftest import TestClient
from tests.contracts.registry.test_api import (
    BASE,
    MEDIA,
    Server,
    _client_modules,
    server,
)

__all__ = ["server"]


def js(props: dict[str, Any], required: list[str] | None = None) -> str:
    return json.dumps({"type": "object", "properties": props, "required": required or []})


V1 = js({"id": {"type": "integer"}})
V2 = js({"id": {"type": "integer"}, "note": {"type": "string"}})
V3_REQUIRED = js({"id": {"type": "integer"}, "note": {"type": "string"}}, ["note"])
ADDRESS = js({"city": {"type": "string"}, "zip": {"type": "string"}})
ADDRESS_V2 = js({"city": {"type": "string"}, "zip": {"type": "string", "maxLength": 5}})
ORDER = js({"id": {"type": "integer"}, "ship_to": {"$ref": "address.json"}})


def registry(stores: Stores, clock: FrozenClock) -> SchemaRegistry:
    return SchemaRegistry(stores, clock, "shop", actor="alice")


def test_soft_then_permanent_deletes(stores: Stores, clock: FrozenClock) -> None:
    reg = registry(stores, clock)
    reg.set_compatibility("NONE", "o")
    for text in (V1, V2):
        reg.register("o", text, "JSON")
    reg.register("p", V1, "JSON")

    with pytest.raises(VersionNotSoftDeletedError) as hard_first:
        reg.delete_version("o", 2, permanent=True)
    assert hard_first.value.registry_code == 40407
    assert reg.delete_version("o", "latest") == 2
    assert [v.version for v in reg.versions("o")] == [1]
    assert reg.version("o", "latest").version == 1  # latest skips soft-deleted versions
    assert [(v.version, v.deleted) for v in reg.versions("o", deleted=True)] == [
        (1, False),
        (2, True),
    ]
    assert reg.version("o", 2, deleted=True).schema.text == V2
    with pytest.raises(VersionSoftDeletedError) as twice:
        reg.delete_version("o", 2)
    assert twice.value.registry_code == 40406
    assert reg.delete_version("o", 2, permanent=True) == 2
    assert [v.version for v in reg.versions("o", deleted=True)] == [1]

    with pytest.raises(SubjectNotSoftDeletedError) as subject_first:
        reg.delete_subject("p", permanent=True)
    assert subject_first.value.registry_code == 40405
    assert reg.delete_subject("p") == [1]
    assert reg.subjects() == ["o"]
    assert reg.subjects(deleted=True) == ["o", "p"]
    with pytest.raises(SubjectNotFoundError):
        reg.versions("p")
    with pytest.raises(SubjectSoftDeletedError) as again:
        reg.delete_subject("p")
    assert again.value.registry_code == 40404
    p_id = reg.version("p", 1, deleted=True).schema.id
    assert reg.schema(p_id).text == V1  # o v1 holds the same schema
    assert reg.delete_subject("p", permanent=True) == [1]
    assert reg.subjects(deleted=True) == ["o"]
    v2_id = reg.register("gone", V2, "JSON").schema.id
    reg.delete_subject("gone")
    assert reg.schema(v2_id).text == V2  # soft-deleted versions keep their schema readable
    reg.delete_subject("gone", permanent=True)
    with pytest.raises(SchemaNotFoundError):
        reg.schema(v2_id)
    with pytest.raises(SubjectNotFoundError):
        reg.delete_subject("p")

    with stores.state.connect() as conn:
        rows = conn.execute(
            sa.select(audit_outbox.c.action)
            .where(audit_outbox.c.action.like("schemas.%.deleted"))
            .order_by(audit_outbox.c.id)
        )
        assert [r.action for r in rows] == [
            "schemas.version.deleted",
            "schemas.version.deleted",
            "schemas.subject.deleted",
            "schemas.subject.deleted",
            "schemas.subject.deleted",
            "schemas.subject.deleted",
        ]


def test_compatibility_ignores_soft_deleted_versions(stores: Stores, clock: FrozenClock) -> None:
    reg = registry(stores, clock)
    reg.set_compatibility("NONE", "o")
    first = reg.register("o", V1, "JSON")
    reg.register("o", V2, "JSON")
    reg.set_compatibility("BACKWARD_TRANSITIVE", "o")
    with pytest.raises(IncompatibleSchemaError):
        reg.register("o", V3_REQUIRED, "JSON")
    assert reg.test("o", V1, "JSON").compatible is True
    reg.delete_version("o", 2)
    # V3 requires 'note', which V1 data lacks; with v2 gone, V1 is the one version checked.
    assert reg.test("o", V3_REQUIRED, "JSON").compatible is False
    reg.delete_version("o", 1)
    assert reg.test("o", V3_REQUIRED, "JSON").compatible is True
    again = reg.register("o", V1, "JSON")  # a soft-deleted schema registered again: new version
    assert (again.version, again.schema.id) == (3, first.schema.id)
    with pytest.raises(SchemaNotFoundError):
        reg.lookup("o", V2, "JSON")
    assert reg.lookup("o", V2, "JSON", deleted=True).version == 2


def test_json_schema_references(stores: Stores, clock: FrozenClock) -> None:
    reg = registry(stores, clock)
    address = reg.register("address", ADDRESS, "JSON")
    refs = [Reference("address.json", "address", 1)]
    order = reg.register("order", ORDER, "JSON", refs)
    assert reg.references(order.schema.id) == refs
    assert reg.lookup("order", ORDER, "JSON", refs).version == 1
    with pytest.raises(SchemaNotFoundError):  # the same text without its references differs
        reg.lookup("order", ORDER, "JSON")
    assert reg.referenced_by("address", 1) == [order.schema.id]
    assert reg.usages(address.schema.id) == [("address", 1)]

    # v2 of address constrains zip: an order reading through it no longer reads v1's data.
    reg.set_compatibility("NONE", "address")
    reg.register("address", ADDRESS_V2, "JSON")
    result = reg.test("order", ORDER, "JSON", references=[Reference("address.json", "address", 2)])
    assert result.messages == [
        "BACKWARD: maxLength_decreased at #/properties/ship_to/properties/zip: the reader "
        "allows at most maxLength 5; the new schema cannot read data written with the old one "
        "(reader: 5, writer: None)"
    ]
    pointer = js({"id": {"type": "integer"}, "city": {"$ref": "address.json#/properties/city"}})
    refused = reg.test("order", pointer, "JSON", references=refs)
    assert [i.kind for i in refused.incompatibilities] == ["property_added_to_open_model"]
    reg.set_compatibility("NONE", "order")
    assert reg.register("order", pointer, "JSON", refs).version == 2

    with pytest.raises(SchemaInvalidError, match="names no reference"):
        reg.register("other", js({"a": {"$ref": "nope.json"}}), "JSON", refs)
    with pytest.raises(SchemaInvalidError, match="has no version 9"):
        reg.register("other", ORDER, "JSON", [Reference("address.json", "address", 9)])

    with pytest.raises(ReferenceExistsError) as in_use:
        reg.delete_version("address", 1)
    assert in_use.value.registry_code == 42206
    with pytest.raises(ReferenceExistsError):
        reg.delete_subject("address")
    reg.delete_subject("order")
    assert reg.referenced_by("address", 1) == []
    assert reg.delete_version("address", 1) == 1


def test_avro_references(stores: Stores, clock: FrozenClock) -> None:
    reg = registry(stores, clock)
    money = {
        "type": "record",
        "name": "Money",
        "namespace": "shop",
        "fields": [{"name": "cents", "type": "long"}],
    }
    reg.register("money", json.dumps(money), "AVRO")
    payment = {
        "type": "record",
        "name": "Payment",
        "namespace": "shop",
        "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "shop.Money"}],
    }
    refs = [Reference("shop.Money", "money", 1)]
    with pytest.raises(SchemaInvalidError):  # without its reference the type is unknown
        reg.register("payment", json.dumps(payment), "AVRO")
    first = reg.register("payment", json.dumps(payment), "AVRO", refs)
    assert first.version == 1
    reg.set_compatibility("NONE", "money")
    money_v2 = {**money, "fields": [{"name": "cents", "type": "int"}]}
    reg.register("money", json.dumps(money_v2), "AVRO")
    narrowed = reg.test(
        "payment", json.dumps(payment), "AVRO", references=[Reference("shop.Money", "money", 2)]
    )
    assert [i.kind for i in narrowed.incompatibilities] == ["type_changed"]
    assert narrowed.incompatibilities[0].path == "/amount/cents/"


def test_rest_deletes_and_references(server: Server) -> None:
    client = TestClient(server.app)
    w = {"Authorization": f"Bearer {server.writer}", "Content-Type": MEDIA}
    r = {"Authorization": f"Bearer {server.reader}"}

    def code(response: Any) -> tuple[int, int]:
        return response.status_code, response.json()["error_code"]

    client.post(
        f"{BASE}/subjects/address/versions",
        json={"schema": ADDRESS, "schemaType": "JSON"},
        headers=w,
    )
    refs = [{"name": "address.json", "subject": "address", "version": 1}]
    created = client.post(
        f"{BASE}/subjects/order/versions",
        json={"schema": ORDER, "schemaType": "JSON", "references": refs},
        headers=w,
    ).json()
    assert created["references"] == refs
    got = client.get(f"{BASE}/subjects/order/versions/1", headers=r).json()
    assert got["references"] == refs
    assert client.get(f"{BASE}/schemas/ids/{created['id']}", headers=r).json()["references"] == refs
    assert client.get(f"{BASE}/subjects/address/versions/1/referencedby", headers=r).json() == [
        created["id"]
    ]
    assert code(client.delete(f"{BASE}/subjects/address/versions/1", headers=w)) == (422, 42206)
    assert client.delete(f"{BASE}/subjects/order", headers=r).status_code == 403
    assert client.delete(f"{BASE}/subjects/order", headers=w).json() == [1]
    assert client.get(f"{BASE}/subjects", headers=r).json() == ["address"]
    assert client.get(f"{BASE}/subjects?deleted=true", headers=r).json() == ["address", "order"]
    assert client.get(f"{BASE}/subjects/order/versions?deleted=true", headers=r).json() == [1]
    assert code(client.get(f"{BASE}/subjects/order/versions", headers=r)) == (404, 40401)
    assert code(client.delete(f"{BASE}/subjects/order", headers=w)) == (404, 40404)
    assert code(client.delete(f"{BASE}/subjects/address?permanent=true", headers=w)) == (
        404,
        40405,
    )
    assert code(client.delete(f"{BASE}/subjects/address/versions/1?permanent=true", headers=w)) == (
        404,
        40407,
    )
    assert client.delete(f"{BASE}/subjects/address/versions/1", headers=w).json() == 1
    assert code(client.delete(f"{BASE}/subjects/address/versions/1", headers=w)) == (404, 40406)
    ids = client.get(f"{BASE}/schemas/ids/{created['id']}/versions?deleted=true", headers=r)
    assert ids.json() == [{"subject": "order", "version": 1}]
    assert client.get(f"{BASE}/schemas/ids/{created['id']}/versions", headers=r).json() == []
    bad = client.post(
        f"{BASE}/subjects/x/versions",
        json={"schema": V1, "schemaType": "JSON", "references": [{"name": 1}]},
        headers=w,
    )
    assert code(bad) == (422, 42201)


def test_the_real_confluent_client_deletes_and_references(server: Server) -> None:
    _client_modules()
    from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    with (
        live_server(server.app) as url,
        SchemaRegistryClient(
            {"url": f"{url}{BASE}", "basic.auth.user.info": f"ci:{server.writer}"}
        ) as client,
    ):
        address_id = client.register_schema("address", Schema(ADDRESS, "JSON"))
        order = Schema(ORDER, "JSON", references=[SchemaReference("address.json", "address", 1)])
        order_id = client.register_schema("order", order)
        latest = client.get_latest_version("order")
        assert [(x.name, x.subject, x.version) for x in latest.schema.references] == [
            ("address.json", "address", 1)
        ]
        assert client.lookup_schema("order", order).schema_id == order_id
        with pytest.raises(SchemaRegistryError) as referenced:
            client.delete_version("address", 1)
        assert referenced.value.error_code == 42206
        assert client.delete_subject("order") == [1]
        assert client.delete_subject("order", permanent=True) == [1]
        assert client.get_subjects() == ["address"]
        assert client.delete_version("address", 1) == 1
        with pytest.raises(SchemaRegistryError) as twice:
            client.delete_version("address", 1)
        assert twice.value.error_code == 40406
        assert client.delete_version("address", 1, permanent=True) == 1
        assert client.get_subjects() == []
        assert address_id != order_id


def test_an_integer_writer_meets_a_reader_multiple_of_a_unit_fraction() -> None:
    from readiness.contracts.schemas.core.json_schema import check

    integer = {"type": "integer"}
    for step, kinds in ((1, []), (0.5, []), (2, ["multipleOf_added"])):
        reader = {"type": "number", "multipleOf": step}
        assert [i.kind for i in check(reader, integer)] == kinds
    assert [i.kind for i in check(integer, {"type": "number", "multipleOf": 1})] == ["type_changed"]
