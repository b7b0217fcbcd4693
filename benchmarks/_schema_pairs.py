"""Seeded generator of schema pairs (old, new) for the registry benchmark: one abstract event
schema of N fields, rendered as JSON Schema and as Avro, and a realistic change mix applied to
both renderings alike.

The event: scalar fields (string, integer, number, boolean, date-time strings), enums,
arrays of scalars and nested records (a record holds up to 8 fields and counts its own
fields in N). The change mix, over about 4% of the fields (at least 3 changes), each kind with
a weight close to what a schema's history shows: add an optional field (35%), drop an optional
field (15%), widen a type (integer→number / int→long, 15%), add an enum value (15%), make a field
nullable (10%), narrow a type (number→integer / long→int, 5%) and add a required field without
default (5%). Some changes break a direction, most do not.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from typing import Any

SCALARS = ("string", "integer", "number", "boolean", "timestamp")
_AVRO = {"string": "string", "integer": "int", "number": "double", "boolean": "boolean"}
CHANGES = (
    ("add_optional", 35),
    ("drop_optional", 15),
    ("widen", 15),
    ("enum_value", 15),
    ("nullable", 10),
    ("narrow", 5),
    ("add_required", 5),
)


@dataclass
class Field:
    name: str
    kind: str  # a scalar, "enum", "array" or "record"
    required: bool = True
    nullable: bool = False
    symbols: list[str] = field(default_factory=list)
    items: str = "string"
    fields: list[Field] = field(default_factory=list)
    wide: bool = False  # integer widened to number / int to long


@dataclass(frozen=True)
class Pair:
    fields: int
    changes: list[str]
    json_old: dict[str, Any]
    json_new: dict[str, Any]
    avro_old: dict[str, Any]
    avro_new: dict[str, Any]


def count(fields: list[Field]) -> int:
    return sum(1 + count(f.fields) for f in fields)


def _event(rng: random.Random, size: int, prefix: str = "f") -> list[Field]:
    out: list[Field] = []
    made = 0
    i = 0
    while made < size:
        name = f"{prefix}{i}"
        i += 1
        roll = rng.random()
        left = size - made
        if roll < 0.1 and left >= 4:
            inner = min(left - 1, rng.randint(3, 8))
            out.append(Field(name, "record", fields=_event(rng, inner, f"{name}_")))
            made += 1 + inner
            continue
        if roll < 0.2:
            symbols = [f"S{k}" for k in range(rng.randint(2, 6))]
            out.append(Field(name, "enum", required=rng.random() < 0.7, symbols=symbols))
        elif roll < 0.3:
            out.append(Field(name, "array", required=rng.random() < 0.7, items=rng.choice(SCALARS)))
        else:
            out.append(Field(name, rng.choice(SCALARS), required=rng.random() < 0.7))
        made += 1
    return out


def _all(fields: list[Field]) -> list[tuple[list[Field], Field]]:
    found: list[tuple[list[Field], Field]] = []
    for f in fields:
        found.append((fields, f))
        found += _all(f.fields)
    return found


def _mutate(rng: random.Random, fields: list[Field], changes: int) -> list[str]:
    done: list[str] = []
    kinds = [k for k, _ in CHANGES]
    weights = [w for _, w in CHANGES]
    serial = 0
    while len(done) < changes:
        kind = rng.choices(kinds, weights)[0]
        owner, target = rng.choice(_all(fields))
        if kind in ("add_optional", "add_required"):
            serial += 1
            owner.append(Field(f"added{serial}", rng.choice(SCALARS), kind == "add_required"))
        elif kind == "drop_optional" and not target.required and target.kind != "record":
            owner.remove(target)
        elif kind in ("widen", "narrow") and target.kind == "integer":
            if target.wide == (kind == "widen"):
                continue
            target.wide = kind == "widen"
        elif kind == "enum_value" and target.kind == "enum":
            target.symbols.append(f"S{len(target.symbols)}")
        elif kind == "nullable" and target.kind in SCALARS and not target.nullable:
            target.nullable = True
        else:
            continue
        added = kind in ("add_optional", "add_required")
        done.append(f"{kind}:{owner[-1].name if added else target.name}")
    return done


def to_json(fields: list[Field], title: str = "Event") -> dict[str, Any]:
    def one(f: Field) -> dict[str, Any]:
        if f.kind == "record":
            return to_json(f.fields, f.name)
        if f.kind == "enum":
            node: dict[str, Any] = {"type": "string", "enum": list(f.symbols)}
        elif f.kind == "array":
            node = {"type": "array", "items": one(Field("item", f.items))}
        elif f.kind == "timestamp":
            node = {"type": "string", "format": "date-time"}
        elif f.kind == "integer" and f.wide:
            node = {"type": "number"}
        else:
            node = {"type": f.kind}
        if f.nullable:
            node["type"] = [node["type"], "null"]
        return node

    return {
        "type": "object",
        "title": title,
        "properties": {f.name: one(f) for f in fields},
        "required": [f.name for f in fields if f.required],
        "additionalProperties": False,
    }


def to_avro(fields: list[Field], name: str = "Event") -> dict[str, Any]:
    def one(f: Field) -> Any:
        if f.kind == "record":
            return to_avro(f.fields, f"R_{f.name}")
        if f.kind == "enum":
            return {"type": "enum", "name": f"E_{f.name}", "symbols": list(f.symbols)}
        if f.kind == "array":
            return {"type": "array", "items": one(Field("item", f.items))}
        if f.kind == "timestamp":
            return {"type": "long", "logicalType": "timestamp-millis"}
        if f.kind == "integer" and f.wide:
            return "long"
        return _AVRO[f.kind]

    out = []
    for f in fields:
        t = one(f)
        entry: dict[str, Any] = {"name": f.name, "type": t}
        if f.nullable:
            entry = {"name": f.name, "type": ["null", t], "default": None}
        elif not f.required and f.kind in ("string", "integer", "number", "boolean"):
            entry["default"] = {"string": "", "integer": 0, "number": 0.0, "boolean": False}[f.kind]
        out.append(entry)
    return {"type": "record", "name": name, "fields": out}


def pair(size: int, seed: int) -> Pair:
    rng = random.Random(seed)
    old = _event(rng, size)
    new = copy.deepcopy(old)
    changes = _mutate(rng, new, max(3, size // 25))
    return Pair(count(old), changes, to_json(old), to_json(new), to_avro(old), to_avro(new))


def pairs(size: int, n: int, seed: int = 10) -> list[Pair]:
    return [pair(size, seed * 1_000_003 + i) for i in range(n)]


def _obj(props: dict[str, Any], **keywords: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, **keywords}


_S = {"type": "string"}
# Hand-made pairs (old, new) where JSON Schema checkers are known to differ, with why ours
# answers as it does. The benchmark checks each with both engines and lists the disagreements.
EDGE_CASES: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    "property_added_to_open_model": (
        _obj({"a": _S}),
        _obj({"a": _S, "b": {"type": "integer"}}),
        "ours: BACKWARD breaks, old data may carry 'b' with any value (the old model is open) "
        "and the new reader requires an integer; jsoncompat does not treat undeclared "
        "properties of an open model as possible data, so it finds no counterexample",
    ),
    "property_added_to_closed_model": (
        _obj({"a": _S}, additionalProperties=False),
        _obj({"a": _S, "b": {"type": "integer"}}, additionalProperties=False),
        "both: FORWARD breaks (old readers refuse the new property)",
    ),
    "required_added": (
        _obj({"a": _S}),
        _obj({"a": _S}, required=["a"]),
        "both: BACKWARD breaks",
    ),
    "enum_value_added": (
        _obj({"a": {"type": "string", "enum": ["x"]}}),
        _obj({"a": {"type": "string", "enum": ["x", "y"]}}),
        "both: FORWARD breaks (strict old readers refuse 'y')",
    ),
    "format_added": (
        _obj({"a": _S}),
        _obj({"a": {"type": "string", "format": "date-time"}}),
        "ours: BACKWARD breaks, we treat format as an assertion (readers that validate it "
        "refuse old free text); jsoncompat follows draft 2020-12, where format is an "
        "annotation unless the format-assertion vocabulary is on",
    ),
    "pattern_added": (
        _obj({"a": _S}),
        _obj({"a": {"type": "string", "pattern": "^x"}}),
        "both: BACKWARD breaks",
    ),
    "equivalent_patterns": (
        _obj({"a": {"type": "string", "pattern": "^[a-z]+$"}}),
        _obj({"a": {"type": "string", "pattern": "^[a-z][a-z]*$"}}),
        "both: incompatible both ways (neither decides regular-expression equivalence)",
    ),
    "integer_to_number_multiple_of_1": (
        _obj({"a": {"type": "integer"}}),
        _obj({"a": {"type": "number", "multipleOf": 1}}),
        "BACKWARD: integers are multiples of 1, both accept; FORWARD: jsoncompat refuses, "
        "ours too (1.0 is an integer in JSON Schema, but we read number as wider than integer)",
    ),
    "oneOf_overlapping_branches": (
        _obj({"a": {"oneOf": [{"type": "integer"}, {"type": "number"}]}}),
        _obj({"a": {"type": "number"}}),
        "both: FORWARD breaks; an integer matches both branches, so the old oneOf refuses "
        "integers (ours tests oneOf branches for overlap: oneOf_branches_overlap)",
    ),
    "equivalent_contains": (
        _obj({"a": {"type": "array", "contains": {"const": 1}}}),
        _obj({"a": {"type": "array", "contains": {"type": "integer", "minimum": 1, "maximum": 1}}}),
        "ours: incompatible both ways, we compare contains textually; jsoncompat proves the "
        "two equivalent (a false positive of ours, on the safe side)",
    ),
    "unsatisfiable_old_field": (
        _obj({"a": {"type": "string", "minLength": 3, "maxLength": 2}}),
        _obj({"a": {"type": "integer"}}),
        "ours: BACKWARD breaks on the type change; jsoncompat sees no old value of 'a' can "
        "exist (minLength 3 > maxLength 2), so nothing old is refused (ours does not detect "
        "unsatisfiable schemas; on the safe side)",
    ),
}
