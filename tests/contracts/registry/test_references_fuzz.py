"""Schema references, pure: bundling keeps a schema's meaning (a bundled schema and the same
schema with the referenced one written inline are compatible both ways), and hostile
``references`` bodies and ``$ref`` values end in a SchemaInvalidError, never another error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.contracts.api_registry import _references
from readiness.contracts.schemas.core import references
from readiness.contracts.schemas.core.json_schema import check
from readiness.errors import SchemaInvalidError
from tests.contracts.registry.test_jsonschema_compat import _schema

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=120, deadline=None, derandomize=True)
@given(_schema, _schema)
def test_bundling_keeps_the_meaning(outer: Any, referenced: Any) -> None:
    with_ref = {"type": "object", "properties": {"x": {"$ref": "ref.json"}, "y": outer}}
    inline = {"type": "object", "properties": {"x": referenced, "y": outer}}
    bundled = references.bundle("JSON", with_ref, {"ref.json": referenced})
    assert check(bundled, inline) == []
    assert check(inline, bundled) == []
    assert json.loads(json.dumps(bundled)) == bundled


def test_pointers_into_references_and_nested_local_refs() -> None:
    address = {
        "$defs": {"zip": {"type": "string", "maxLength": 5}},
        "type": "object",
        "properties": {"zip": {"$ref": "#/$defs/zip"}},
    }
    document = {"properties": {"a": {"$ref": "a.json"}, "z": {"$ref": "a.json#/$defs/zip"}}}
    bundled = references.bundle("JSON", document, {"a.json": address})
    assert bundled == {
        "properties": {"a": {"$ref": "#/$defs/__ref0"}, "z": {"$ref": "#/$defs/__ref0/$defs/zip"}},
        "$defs": {
            "__ref0": {
                "$defs": {"zip": {"type": "string", "maxLength": 5}},
                "type": "object",
                "properties": {"zip": {"$ref": "#/$defs/__ref0/$defs/zip"}},
            }
        },
    }
    a = {"type": "object", "properties": {"zip": {"type": "string"}}}
    wider = {"properties": {"a": a, "z": {"type": "string"}}}
    assert [i.kind for i in check(bundled, wider)] == ["maxLength_decreased", "maxLength_decreased"]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(_json)
def test_hostile_references_bodies_are_refused_as_invalid_schemas(value: Any) -> None:
    try:
        parsed = _references(value)
    except SchemaInvalidError:
        return
    assert all(isinstance(r.version, int) and r.name and r.subject for r in parsed)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(_json, st.text(max_size=12))
def test_hostile_refs_in_a_document_are_refused_as_invalid_schemas(doc: Any, ref: str) -> None:
    document = {"properties": {"a": {"$ref": ref}, "b": doc}}
    try:
        bundled = references.bundle("JSON", document, {"known.json": {"type": "string"}})
    except SchemaInvalidError:
        return
    json.dumps(bundled)


def test_avro_references_that_do_not_parse_are_invalid_schemas() -> None:
    with pytest.raises(SchemaInvalidError):
        references.bundle("AVRO", {"type": "record", "name": "A", "fields": 3}, {"b": "int"})
