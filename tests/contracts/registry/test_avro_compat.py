"""Golden tests of the Avro schema-resolution rules."""

from __future__ import annotations

from typing import Any

import pytest

from readiness.contracts.schemas.core.avro_schema import check
from readiness.contracts.schemas.core.compat import MODES, check_against
from readiness.errors import SchemaInvalidError


def rec(*fields: dict[str, Any], name: str = "Pay", **more: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "shop", "fields": list(fields), **more}


def kinds(reader: Any, writer: Any) -> list[str]:
    return [i.kind for i in check(reader, writer)]


def test_field_added_needs_a_default_to_read_old_data() -> None:
    old = rec({"name": "id", "type": "long"})
    no_default = rec({"name": "id", "type": "long"}, {"name": "cur", "type": "string"})
    with_default = rec(
        {"name": "id", "type": "long"}, {"name": "cur", "type": "string", "default": "EUR"}
    )
    [item] = check(no_default, old)
    assert (item.kind, item.path) == ("field_without_default", "/cur/")
    assert kinds(with_default, old) == []
    assert kinds(old, no_default) == []  # the old reader skips the new field


@pytest.mark.parametrize(
    ("writer", "reader", "ok"),
    [
        ("int", "long", True),
        ("int", "double", True),
        ("long", "float", True),
        ("float", "double", True),
        ("string", "bytes", True),
        ("bytes", "string", True),
        ("long", "int", False),
        ("double", "float", False),
        ("string", "int", False),
    ],
)
def test_promotions(writer: str, reader: str, ok: bool) -> None:
    assert kinds(reader, writer) == ([] if ok else ["type_changed"])


def test_aliases_rename_fields_and_records() -> None:
    old = rec({"name": "amount", "type": "int"}, name="Payment")
    new = rec(
        {"name": "total", "type": "long", "aliases": ["amount"]}, name="Pay", aliases=["Payment"]
    )
    assert kinds(new, old) == []
    assert kinds(rec({"name": "amount", "type": "int"}, name="Other"), old) == ["name_changed"]


def test_enums_with_and_without_default() -> None:
    old = {"type": "enum", "name": "C", "symbols": ["EUR", "USD"]}
    new = {"type": "enum", "name": "C", "symbols": ["EUR", "USD", "GBP"]}
    assert kinds(new, old) == []
    assert kinds(old, new) == ["enum_symbols_missing"]
    tolerant = {"type": "enum", "name": "C", "symbols": ["EUR", "USD"], "default": "EUR"}
    assert kinds(tolerant, new) == []


def test_unions() -> None:
    assert kinds(["null", "string"], "string") == []
    assert kinds("string", ["null", "string"]) == ["type_changed"]
    assert kinds(["null", "long"], ["null", "int"]) == []
    assert kinds(["null", "int"], "string") == ["union_missing_branch"]


def test_recursive_records_end() -> None:
    node = rec(
        {"name": "v", "type": "int"}, {"name": "next", "type": ["null", "shop.Node"]}, name="Node"
    )
    wider = rec(
        {"name": "v", "type": "long"}, {"name": "next", "type": ["null", "shop.Node"]}, name="Node"
    )
    assert kinds(node, node) == []
    assert kinds(wider, node) == []
    assert kinds(node, wider) == ["type_changed"]


def test_fixed_arrays_maps() -> None:
    assert kinds(
        {"type": "fixed", "name": "F", "size": 4}, {"type": "fixed", "name": "F", "size": 8}
    ) == ["fixed_size_changed"]
    assert kinds({"type": "array", "items": "long"}, {"type": "array", "items": "int"}) == []
    assert kinds({"type": "map", "values": "int"}, {"type": "map", "values": "long"}) == [
        "type_changed"
    ]


def test_every_mode_is_reflexive_and_labelled() -> None:
    v1 = rec({"name": "id", "type": "long"})
    v2 = rec({"name": "id", "type": "long"}, {"name": "cur", "type": "string"})
    for mode in MODES:
        assert check_against(check, mode, v1, [v1, v1]) == []
    [item] = check_against(check, "FULL", v2, [v1])
    assert item.direction == "BACKWARD"
    assert check_against(check, "FORWARD_TRANSITIVE", v2, [v1]) == []


def test_invalid_avro_is_refused() -> None:
    with pytest.raises(SchemaInvalidError, match="invalid Avro schema"):
        check({"type": "recurd", "name": "X"}, "int")
