"""Whether two JSON Schemas can accept one value (the ``oneOf`` check's question): disjoint
numeric ranges, integer-free ranges, length and item-count ranges, item schemas and enum values
outside the other side's range are recognised; it never calls two schemas disjoint when a value
valid under both exists (Hypothesis, against the ``jsonschema`` validator)."""

from __future__ import annotations

import math
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # (no stubs in the lock)
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.contracts.schemas.core.json_schema.overlap import Overlap
from tests.contracts.registry.test_jsonschema_compat import kinds


def overlap(a: Any, b: Any) -> bool:
    return Overlap()((a, a), (b, b))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # numbers: ranges that meet at a point, and that do not
        ({"type": "number", "maximum": 1}, {"type": "number", "minimum": 1}, True),
        ({"type": "number", "exclusiveMaximum": 1}, {"type": "number", "minimum": 1}, False),
        ({"type": "number", "maximum": 1}, {"type": "number", "exclusiveMinimum": 1}, False),
        ({"type": "number", "maximum": 0}, {"type": "number", "minimum": 0.5}, False),
        ({"type": "number", "maximum": 0}, {"type": "number"}, True),
        # integers: a range holding reals but no integer
        ({"type": "integer", "minimum": 0.2}, {"type": "integer", "maximum": 0.8}, False),
        ({"type": "number", "minimum": 0.2}, {"type": "number", "maximum": 0.8}, True),
        ({"type": "integer", "exclusiveMinimum": 1}, {"type": "number", "maximum": 2}, True),
        ({"type": "integer", "exclusiveMinimum": 1}, {"type": "number", "maximum": 1.9}, False),
        # strings: length ranges
        ({"type": "string", "maxLength": 2}, {"type": "string", "minLength": 3}, False),
        ({"type": "string", "maxLength": 3}, {"type": "string", "minLength": 3}, True),
        # arrays: item counts, then the items when both need one
        ({"type": "array", "maxItems": 0}, {"type": "array", "minItems": 1}, False),
        (
            {"type": "array", "items": {"type": "string"}},
            {"type": "array", "items": {"type": "integer"}},
            True,  # the empty array
        ),
        (
            {"type": "array", "items": {"type": "string"}, "minItems": 1},
            {"type": "array", "items": {"type": "integer"}},
            False,
        ),
        # enum values outside the other side's range or type
        ({"enum": [1, 2]}, {"type": "integer", "minimum": 3}, False),
        ({"enum": [1, 5]}, {"type": "integer", "minimum": 3}, True),
        ({"const": "abc"}, {"type": "string", "maxLength": 2}, False),
        ({"const": "ab"}, {"type": "integer"}, False),
        # a constraint of another type does not restrict this one
        ({"type": ["string", "integer"], "minimum": 5}, {"type": "string", "maxLength": 1}, True),
        # what is not compared stays overlapping (conservative)
        ({"type": "string", "pattern": "^a"}, {"type": "string", "pattern": "^b"}, True),
        ({"type": "integer", "multipleOf": 2}, {"type": "integer", "const": 3}, True),
    ],
)
def test_overlap(a: dict[str, Any], b: dict[str, Any], expected: bool) -> None:
    assert (overlap(a, b), overlap(b, a)) == (expected, expected)


def test_one_of_with_disjoint_numeric_ranges_is_not_reported() -> None:
    writer = {"type": "number", "minimum": 100, "maximum": 500}
    tiers = {
        "oneOf": [{"type": "number", "exclusiveMaximum": 100}, {"type": "number", "minimum": 100}]
    }
    closed = {"oneOf": [{"type": "number", "maximum": 100}, {"type": "number", "minimum": 100}]}

    assert kinds(tiers, writer) == []
    assert kinds(closed, writer) == ["oneOf_branches_overlap"]  # 100 matches both


def test_a_writer_range_reaching_one_branch_of_overlapping_ones_is_fine() -> None:
    reader = {"oneOf": [{"type": "integer", "maximum": 10}, {"type": "integer", "minimum": 5}]}
    assert kinds(reader, {"type": "integer", "maximum": 4}) == []
    assert kinds(reader, {"type": "integer", "maximum": 7}) == ["oneOf_branches_overlap"]


_NUMBERS = st.one_of(st.integers(-3, 3), st.sampled_from([-1.5, -0.5, 0.5, 1.5, 2.5]))
_TYPES = st.sampled_from([None, "integer", "number", "string", "array", ["integer", "string"]])


@st.composite
def _schemas(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    kind = draw(_TYPES)
    if kind is not None:
        schema["type"] = kind
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if draw(st.booleans()) and draw(st.booleans()):
            schema[key] = draw(_NUMBERS)
    for key in ("minLength", "maxLength", "minItems", "maxItems"):
        if draw(st.booleans()) and draw(st.booleans()):
            schema[key] = draw(st.integers(0, 3))
    if depth == 0 and draw(st.booleans()):
        schema["items"] = draw(_schemas(depth + 1))
    if draw(st.integers(0, 5)) == 0:
        schema["enum"] = draw(st.lists(st.one_of(_NUMBERS, st.text("ab", max_size=3)), max_size=3))
    return schema


def _candidates(*schemas: dict[str, Any]) -> list[Any]:
    """Values at and around every number the schemas name, strings and arrays of each length."""
    numbers: set[float] = {0, 1, -1}
    for schema in schemas:
        for node in (schema, schema.get("items") or {}):
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if key in node:
                    x = node[key]
                    numbers |= {x, x - 0.25, x + 0.25, x - 1, x + 1, math.floor(x), math.ceil(x)}
            for value in node.get("enum", []):
                if isinstance(value, int | float):
                    numbers.add(value)
    scalars: list[Any] = sorted(numbers)
    scalars += [int(n) for n in numbers if n == int(n)]
    scalars += ["", "a", "ab", "abb", "abab", "b", "aab", "bab"]
    arrays = [[], *([x] for x in scalars), *([x, x] for x in scalars), [0, 0, 0], ["a"] * 4]
    return [*scalars, *arrays]


@settings(max_examples=1500, deadline=None)
@given(a=_schemas(), b=_schemas())
def test_schemas_called_disjoint_accept_no_value_together(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    if overlap(a, b):
        return
    both = [
        v
        for v in _candidates(a, b)
        if jsonschema.Draft202012Validator(a).is_valid(v)
        and jsonschema.Draft202012Validator(b).is_valid(v)
    ]
    assert both == []
