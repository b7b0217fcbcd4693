"""The JSON Schema nodes the compatibility check reads (pure): local ``$ref`` resolution,
merged ``allOf``/``anyOf`` branches, the types, values and bounds a node allows."""

from __future__ import annotations

import json
from typing import Any

from readiness.errors import SchemaInvalidError

ANNOTATIONS = frozenset(
    ("$ref", "$defs", "definitions", "$schema", "$id", "$comment", "title", "description")
)
TYPES = ("null", "boolean", "object", "array", "number", "integer", "string")


def resolve(node: Any, root: Any) -> Any:
    """``node`` with its local ``$ref`` chain followed within ``root`` (siblings of ``$ref``
    other than annotations are kept over the target)."""
    hops = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#"):
            raise SchemaInvalidError(f"only local $ref is supported, not {ref!r}")
        target: Any = root
        for raw in [p for p in ref[1:].split("/") if p]:
            part = raw.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise SchemaInvalidError(f"$ref {ref!r} points nowhere")
            target = target[part]
        rest = {k: v for k, v in node.items() if k not in ANNOTATIONS}
        node = {**target, **rest} if rest and isinstance(target, dict) else target
        hops += 1
        if hops > 64:
            raise SchemaInvalidError(f"$ref {ref!r} only refers to itself")
    return node


def types(node: dict[str, Any]) -> set[str] | None:
    t = node.get("type")
    if t is None:
        if "const" in node or "enum" in node:
            return {type_of(v) for v in values(node) or []}
        return None
    return {t} if isinstance(t, str) else set(t)


def type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def type_ok(t: str, reader: set[str]) -> bool:
    return t in reader or (t == "integer" and "number" in reader)


def values(node: dict[str, Any]) -> list[Any] | None:
    if "const" in node:
        return [node["const"]]
    enum = node.get("enum")
    return list(enum) if enum is not None else None


def bound(
    node: dict[str, Any], keys: tuple[tuple[str, bool], ...], lower: bool
) -> tuple[Any, bool] | None:
    best: tuple[Any, bool] | None = None
    for key, exclusive in keys:
        value = node.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if (
            best is None
            or (value > best[0] if lower else value < best[0])
            or (value == best[0] and exclusive)
        ):
            best = (value, exclusive)
    return best


def merge(base: dict[str, Any], branch: Any, root: Any) -> Any:
    """``base`` and ``branch`` as one schema (properties and required united, else branch wins)."""
    branch = resolve(branch, root)
    if not isinstance(branch, dict):
        return branch if not base else base if branch is True else False
    merged = {**base, **branch}
    if "properties" in base or "properties" in branch:
        merged["properties"] = {**base.get("properties", {}), **branch.get("properties", {})}
    if "required" in base or "required" in branch:
        merged["required"] = sorted(set(base.get("required", [])) | set(branch.get("required", [])))
    return merged


def property_schema(node: dict[str, Any], name: str) -> Any:
    """The schema ``node`` gives property ``name`` (True when patternProperties may apply)."""
    props = node.get("properties", {})
    if name in props:
        return props[name]
    return True if "patternProperties" in node else node.get("additionalProperties", True)


def common_types(a: dict[str, Any], b: dict[str, Any]) -> set[str]:
    ta, tb = types(a), types(b)
    if ta is None:
        return set(tb) if tb is not None else set(TYPES)
    if tb is None:
        return set(ta)
    return {t for t in ta if type_ok(t, tb)} | {t for t in tb if type_ok(t, ta)}


def value_key(value: Any) -> str:
    """A canonical text of a JSON value (``1`` and ``1.0`` are one value, ``true`` is not ``1``)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, sort_keys=True, default=str)
