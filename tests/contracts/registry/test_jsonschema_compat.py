"""Golden tests of the JSON Schema compatibility engine (one per rule), self-compatibility."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.contracts.schemas.core.compat import MODES, check_against
from readiness.contracts.schemas.core.json_schema import check, validate_schema
from readiness.errors import SchemaInvalidError


def obj(props: dict[str, Any], required: list[str] | None = None, **more: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "object", "properties": props, **more}
    if required is not None:
        node["required"] = required
    return node


def kinds(reader: Any, writer: Any) -> list[str]:
    return [i.kind for i in check(reader, writer)]


S = {"type": "string"}
I = {"type": "integer"}  # noqa: E741


def test_enum_added_on_a_typed_field_breaks_backward_not_forward() -> None:
    old = obj({"c": S})
    new = obj({"c": {"type": "string", "enum": ["EUR", "USD"]}})
    assert kinds(new, old) == ["enum_added"]
    assert kinds(old, new) == []


def test_enum_value_added_breaks_forward_only() -> None:
    old = {"type": "string", "enum": ["a", "b"]}
    new = {"type": "string", "enum": ["a", "b", "c"]}
    assert kinds(new, old) == []
    [item] = check(old, new)
    assert (item.kind, item.path) == ("enum_values_not_accepted", "#")
    assert "['c']" in item.why


def test_property_becoming_required_breaks_backward() -> None:
    old = obj({"a": S})
    new = obj({"a": S}, ["a"])
    [item] = check(new, old)
    assert (item.kind, item.path) == ("property_became_required", "#/properties/a")
    assert kinds(old, new) == []


def test_unique_items_and_multiple_of_added_break_backward() -> None:
    assert kinds({"type": "array", "uniqueItems": True}, {"type": "array"}) == ["uniqueItems_added"]
    assert kinds({"type": "number", "multipleOf": 5}, {"type": "number"}) == ["multipleOf_added"]
    assert kinds({"type": "number", "multipleOf": 5}, {"type": "number", "multipleOf": 10}) == []
    assert kinds({"type": "number", "multipleOf": 0.1}, {"type": "number", "multipleOf": 0.3}) == []
    assert kinds({"type": "number", "multipleOf": 10}, {"type": "number", "multipleOf": 5}) == [
        "multipleOf_added"
    ]


def test_numeric_bounds_at_the_threshold() -> None:
    assert kinds({"type": "integer", "minimum": 5}, {"type": "integer", "minimum": 5}) == []
    assert kinds({"type": "integer", "minimum": 5}, {"type": "integer", "minimum": 4}) == [
        "minimum_tightened"
    ]
    assert kinds({"type": "integer", "exclusiveMinimum": 5}, {"type": "integer", "minimum": 5}) == [
        "minimum_tightened"
    ]
    assert (
        kinds({"type": "integer", "minimum": 5}, {"type": "integer", "exclusiveMinimum": 5}) == []
    )
    assert kinds({"type": "integer", "maximum": 9}, {"type": "integer"}) == ["maximum_tightened"]


def test_string_and_array_lengths() -> None:
    assert kinds({"type": "string", "maxLength": 3}, {"type": "string", "maxLength": 3}) == []
    assert kinds({"type": "string", "maxLength": 3}, {"type": "string", "maxLength": 4}) == [
        "maxLength_decreased"
    ]
    assert kinds({"type": "array", "minItems": 1}, {"type": "array"}) == ["minItems_increased"]
    assert kinds({"type": "string", "pattern": "^a"}, S) == ["pattern_changed"]


def test_type_changes_and_integer_widening() -> None:
    assert kinds({"type": "number"}, I) == []
    assert kinds(I, {"type": "number"}) == ["type_changed"]
    assert kinds(S, I) == ["type_changed"]
    assert kinds({"type": ["string", "null"]}, S) == []


def test_closed_content_model() -> None:
    open_old = obj({"a": S})
    closed_new = obj({"a": S}, additionalProperties=False)
    assert kinds(closed_new, open_old) == ["content_model_closed"]
    assert kinds(open_old, closed_new) == []
    # Removing a property from a closed model: old data carrying it is refused.
    assert kinds(
        obj({}, additionalProperties=False), obj({"a": S}, additionalProperties=False)
    ) == ["property_removed_from_closed_model"]
    # Adding a property to a closed model is safe both ways when it is optional.
    assert kinds(obj({"a": S, "b": I}, additionalProperties=False), closed_new) == []


def test_property_added_to_an_open_model_breaks_backward() -> None:
    [item] = check(obj({"a": S, "b": I}), obj({"a": S}))
    assert (item.kind, item.path) == ("property_added_to_open_model", "#/properties/b")


def test_ref_with_a_cycle() -> None:
    tree: dict[str, Any] = {
        "$defs": {
            "node": obj({"v": I, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}})
        },
        "$ref": "#/$defs/node",
    }
    narrower: dict[str, Any] = {
        "$defs": {
            "node": obj({"v": S, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}})
        },
        "$ref": "#/$defs/node",
    }
    assert kinds(tree, tree) == []
    [item] = check(narrower, tree)
    assert (item.kind, item.path) == ("type_changed", "#/properties/v")


def test_one_of_any_of_all_of() -> None:
    either = {"oneOf": [S, I]}
    assert kinds(either, S) == []
    assert kinds(S, either) == ["type_changed"]
    assert kinds({"anyOf": [S]}, {"type": "boolean"}) == ["no_matching_branch"]
    both = {"allOf": [obj({"a": S}), obj({"b": I}, ["b"])]}
    assert kinds(both, obj({"a": S, "b": I}, ["b"])) == []
    assert kinds(obj({"a": S, "b": I}, ["b"]), both) == []
    assert kinds(both, obj({"a": S, "b": I})) == ["property_became_required"]


def test_one_of_whose_branches_overlap_refuses_a_value_matching_two() -> None:
    overlapping = obj({"a": {"oneOf": [I, {"type": "number"}]}})
    [item] = check(overlapping, obj({"a": {"type": "number"}}))
    assert (item.kind, item.path) == ("oneOf_branches_overlap", "#/properties/a")
    assert item.reader == [I, {"type": "number"}]
    assert item.writer == {"type": "number"}
    assert item.why == (
        "a writer value can match the reader's oneOf branches 0 and 1 at once, "
        "and oneOf refuses a value that matches more than one"
    )
    # the other direction: a plain number reader accepts every oneOf value
    assert kinds(obj({"a": {"type": "number"}}), overlapping) == []
    # const/enum intersections overlap, disjoint ones do not
    assert kinds({"oneOf": [{"enum": [1, 2]}, {"enum": [2.0, 3]}]}, {"const": 2}) == [
        "oneOf_branches_overlap"
    ]
    assert kinds({"oneOf": [{"enum": [1, 2]}, {"enum": [3, 4]}]}, {"enum": [1, 2]}) == []
    assert kinds({"oneOf": [{"const": True}, {"const": 1}]}, {"const": True}) == []
    # a writer that can only reach one of two overlapping branches is fine
    assert kinds({"oneOf": [S, {"type": "string", "minLength": 2}, I]}, I) == []


def test_one_of_discriminated_by_a_required_const_is_not_flagged() -> None:
    def event(kind: str, **props: Any) -> dict[str, Any]:
        return obj({"type": {"const": kind}, **props}, ["type"])

    union = {"oneOf": [event("created", id=S), event("deleted", id=S, why=S)]}
    assert kinds(union, union) == []
    assert kinds(union, event("created", id=S)) == []
    # without `required` the discriminator may be absent: both branches match {}
    loose = {"oneOf": [obj({"type": {"const": "a"}}), obj({"type": {"const": "b"}})]}
    assert kinds(loose, loose) == ["oneOf_branches_overlap", "oneOf_branches_overlap"]
    # a property one branch requires and the other's closed model refuses also discriminates
    closed = {"oneOf": [obj({"x": S}, ["x"]), obj({"y": S}, ["y"], additionalProperties=False)]}
    assert kinds(closed, closed) == []


def test_modes_label_each_direction() -> None:
    v1 = obj({"a": S})
    v2 = obj({"a": S}, ["a"])
    assert [i.direction for i in check_against(check, "FULL", v2, [v1])] == ["BACKWARD"]
    assert check_against(check, "FORWARD", v2, [v1]) == []
    assert check_against(check, "NONE", v2, [v1]) == []
    v3 = obj({"a": S})  # back to optional: fine against v2, not against v1..v2 transitively?
    assert check_against(check, "BACKWARD_TRANSITIVE", v3, [v1, v2]) == []
    assert [i.kind for i in check_against(check, "FORWARD_TRANSITIVE", v3, [v1, v2])] == [
        "property_became_required"
    ]
    message = check_against(check, "FORWARD", v3, [v1, v2])[0].message()
    assert message.startswith("FORWARD: property_became_required at #/properties/a")


def test_invalid_schema_is_refused() -> None:
    with pytest.raises(SchemaInvalidError, match="invalid JSON Schema"):
        validate_schema({"type": 12})


_leaf = st.sampled_from(
    [
        S,
        I,
        {"type": "number", "minimum": 0, "multipleOf": 0.5},
        {"type": "string", "enum": ["a", "b"]},
        {"type": "array", "uniqueItems": True, "items": S},
        True,
    ]
)
_schema = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.builds(
            lambda p, req, closed: obj(
                p,
                sorted(k for k in p if k in req),
                **({"additionalProperties": False} if closed else {}),
            ),
            st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
            st.sets(st.sampled_from("abc")),
            st.booleans(),
        ),
        st.builds(lambda xs: {"anyOf": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"type": "array", "items": x}, inner),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_schema)
def test_every_schema_is_compatible_with_itself_in_every_mode(schema: Any) -> None:
    for mode in MODES:
        assert check_against(check, mode, schema, [schema, schema]) == []


_kinds = st.lists(st.text("abcdef", min_size=1, max_size=4), min_size=1, max_size=4, unique=True)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(_kinds, st.lists(_leaf, min_size=4, max_size=4), st.sampled_from(["kind", "type"]))
def test_one_of_discriminated_by_distinct_consts_is_compatible_with_itself(
    names: list[str], payloads: list[Any], tag: str
) -> None:
    union = {
        "oneOf": [
            obj({tag: {"const": name}, "body": payloads[i]}, [tag]) for i, name in enumerate(names)
        ]
    }
    for mode in MODES:
        assert check_against(check, mode, union, [union]) == []
