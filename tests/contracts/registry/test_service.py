"""The registry's use cases on SQLite and PostgreSQL: versions, stable global ids, modes,
projects kept apart, and the audit events of each change."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.audit.outbox.store import audit_outbox
from readiness.contracts.schemas.service import SchemaRegistry
from readiness.errors import (
    IncompatibleSchemaError,
    InputError,
    SchemaInvalidError,
    SchemaNotFoundError,
    SubjectNotFoundError,
    VersionNotFoundError,
)
from readiness.storage import Stores


def js(props: dict[str, Any], required: list[str] | None = None) -> str:
    return json.dumps({"type": "object", "properties": props, "required": required or []})


V1 = js({"id": {"type": "integer"}})
V2 = js({"id": {"type": "integer"}, "note": {"type": "string"}})
V2_REQUIRED = js({"id": {"type": "integer"}}, ["id"])


def registry(stores: Stores, clock: FrozenClock, project: str = "shop") -> SchemaRegistry:
    return SchemaRegistry(stores, clock, project, actor="alice")


def test_register_versions_ids_and_reads(stores: Stores, clock: FrozenClock) -> None:
    reg = registry(stores, clock)
    first = reg.register("orders-value", V1, "JSON")
    again = reg.register("orders-value", V1, "JSON")
    reg.set_compatibility("NONE", "orders-value")
    second = reg.register("orders-value", V2, "JSON")
    elsewhere = reg.register("refunds-value", V1, "JSON")

    assert (first.version, again.version, second.version) == (1, 1, 2)
    assert again.schema.id == first.schema.id == elsewhere.schema.id  # ids are per schema
    assert second.schema.id != first.schema.id
    assert reg.subjects() == ["orders-value", "refunds-value"]
    assert [v.version for v in reg.versions("orders-value")] == [1, 2]
    assert reg.version("orders-value", "latest").version == 2
    assert reg.schema(second.schema.id).text == V2
    assert reg.lookup("orders-value", V1, "JSON").version == 1
    assert reg.usages(first.schema.id) == [("orders-value", 1), ("refunds-value", 1)]


def test_incompatible_versions_are_refused_by_the_mode(stores: Stores, clock: FrozenClock) -> None:
    reg = registry(stores, clock)
    reg.register("orders-value", V1, "JSON")
    with pytest.raises(IncompatibleSchemaError, match="property_became_required") as caught:
        reg.register("orders-value", V2_REQUIRED, "JSON")
    assert caught.value.details["mode"] == "BACKWARD"
    assert [v.version for v in reg.versions("orders-value")] == [1]
    result = reg.test("orders-value", V2_REQUIRED, "JSON")
    assert (result.compatible, result.mode) == (False, "BACKWARD")
    assert result.messages[0].startswith("BACKWARD: property_became_required at #/properties/id")
    reg.set_compatibility("FORWARD")  # global; the subject has none of its own
    assert reg.compatibility("orders-value") == "FORWARD"
    assert reg.register("orders-value", V2_REQUIRED, "JSON").version == 2


def test_projects_are_apart(stores: Stores, clock: FrozenClock) -> None:
    mine = registry(stores, clock, "shop").register("orders-value", V1, "JSON")
    other = registry(stores, clock, "bank")
    assert other.subjects() == []
    with pytest.raises(SchemaNotFoundError):
        other.schema(mine.schema.id)
    assert other.register("orders-value", V1, "JSON").schema.id != mine.schema.id


def test_audit_events_are_written_with_the_changes(stores: Stores, clock: FrozenClock) -> None:
    reg = registry(stores, clock)
    reg.register("orders-value", V1, "JSON")
    reg.register("orders-value", V1, "JSON")  # already there: no new event
    reg.set_compatibility("FULL", "orders-value")
    with pytest.raises(IncompatibleSchemaError):
        reg.register("orders-value", V2_REQUIRED, "JSON")
    with stores.state.connect() as conn:
        actions = list(conn.execute(sa.select(audit_outbox.c.action).order_by(audit_outbox.c.id)))
    assert [a for (a,) in actions if a.startswith("schemas.")] == [
        "schemas.version.registered",
        "schemas.config.set",
    ]


def test_errors(stores: Stores, clock: FrozenClock) -> None:
    reg = registry(stores, clock)
    with pytest.raises(SubjectNotFoundError):
        reg.versions("nope")
    reg.register("orders-value", V1, "JSON")
    with pytest.raises(VersionNotFoundError):
        reg.version("orders-value", 7)
    with pytest.raises(SchemaNotFoundError):
        reg.lookup("orders-value", V2, "JSON")
    with pytest.raises(SchemaInvalidError):
        reg.register("orders-value", "{not json", "JSON")
    with pytest.raises(SchemaInvalidError, match="PROTOBUF may follow"):
        reg.register("orders-value", V1, "PROTOBUF")
    with pytest.raises(InputError, match="unknown compatibility mode"):
        reg.set_compatibility("SIDEWAYS")


def test_avro_subject(stores: Stores, clock: FrozenClock) -> None:
    reg = registry(stores, clock)
    v1 = {"type": "record", "name": "Pay", "fields": [{"name": "id", "type": "int"}]}
    v2 = {**v1, "fields": [{"name": "id", "type": "long"}]}
    assert reg.register("pay-value", json.dumps(v1)).schema.schema_type == "AVRO"
    assert reg.register("pay-value", json.dumps(v2)).version == 2
    narrowed = json.dumps(v1)  # an int reader cannot read v2's longs
    result = reg.test("pay-value", narrowed)
    assert [(i.path, i.kind) for i in result.incompatibilities] == [("/id/", "type_changed")]
    assert reg.test("pay-value", narrowed, version=1).compatible
