"""The fields of a schema, by path, with the annotations governance reads (pure).

A field path is dotted (``order.amount``), with ``[]`` for an array's items (``lines[].sku``),
the same for JSON Schema and Avro, so consumers declare the fields they read once whatever the
schema type. Annotations: ``deprecated`` (JSON Schema ``deprecated: true`` or
``x-deprecated-since``; Avro the same keys on a field), and the *meaning* of a field: JSON Schema
``x-meaning`` and ``x-unit``; Avro ``doc`` and every custom property of a field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_AVRO_FIELD_KEYS = {"name", "type", "default", "aliases", "order"}
_JSON_MEANING_KEYS = ("x-meaning", "x-unit")
_DEPRECATION_KEYS = ("deprecated", "x-deprecated-since")


@dataclass(frozen=True)
class FieldInfo:
    """One field: its path, whether it is deprecated (and since when, if declared), its
    meaning annotations and its enum values (None: not an enum)."""

    path: str
    deprecated: bool = False
    deprecated_since: str | None = None
    meaning: dict[str, Any] = field(default_factory=dict)
    enum: tuple[Any, ...] | None = None


def fields_of(schema: Any, kind: str) -> dict[str, FieldInfo]:
    """Every field of ``schema`` (``kind`` AVRO or JSON) by path, parents before children."""
    out: dict[str, FieldInfo] = {}
    if kind == "AVRO":
        _avro(schema, "", out, set())
    else:
        _json(schema, schema, "", out, set())
    return out


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _deprecation(node: dict[str, Any]) -> tuple[bool, str | None]:
    since = node.get("x-deprecated-since")
    flagged = node.get("deprecated") is True or since is not None
    return flagged, str(since) if since is not None else None


# ------------------------------------------------------------------ JSON Schema


def _resolve(node: Any, root: Any, seen: set[str]) -> tuple[Any, set[str]]:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen or not ref.startswith("#"):
            return {}, seen
        seen = seen | {ref}
        target: Any = root
        for part in ref.removeprefix("#").split("/"):
            if part:
                key = part.replace("~1", "/").replace("~0", "~")
                target = target.get(key) if isinstance(target, dict) else None
        node = target if target is not None else {}
    return node, seen


def _json(node: Any, root: Any, prefix: str, out: dict[str, FieldInfo], seen: set[str]) -> None:
    node, seen = _resolve(node, root, seen)
    if not isinstance(node, dict):
        return
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in node.get(key, []) or []:
            _json(branch, root, prefix, out, seen)
    for name, sub in sorted((node.get("properties") or {}).items()):
        path = _join(prefix, str(name))
        resolved, _ = _resolve(sub, root, seen)
        info = resolved if isinstance(resolved, dict) else {}
        flagged, since = _deprecation(info)
        enum = info.get("enum")
        out.setdefault(
            path,
            FieldInfo(
                path,
                flagged,
                since,
                {k: info[k] for k in _JSON_MEANING_KEYS if k in info},
                tuple(enum) if isinstance(enum, list) else None,
            ),
        )
        _json(sub, root, path, out, seen)
    items = node.get("items")
    if isinstance(items, dict):
        _json(items, root, f"{prefix}[]", out, seen)


# ------------------------------------------------------------------ Avro


def _avro(node: Any, prefix: str, out: dict[str, FieldInfo], seen: set[str]) -> None:
    if isinstance(node, list):
        for branch in node:
            _avro(branch, prefix, out, seen)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if isinstance(kind, (dict, list)):
        _avro(kind, prefix, out, seen)
    elif kind == "record":
        name = str(node.get("name", ""))
        if name in seen:
            return
        seen = seen | {name}
        for item in node.get("fields", []):
            path = _join(prefix, str(item["name"]))
            flagged, since = _deprecation(item)
            meaning = {k: v for k, v in item.items() if k not in _AVRO_FIELD_KEYS}
            meaning.pop("deprecated", None)
            meaning.pop("x-deprecated-since", None)
            out.setdefault(path, FieldInfo(path, flagged, since, meaning, _avro_enum(item["type"])))
            _avro(item["type"], path, out, seen)
    elif kind == "array":
        _avro(node.get("items"), f"{prefix}[]", out, seen)
    elif kind == "map":
        _avro(node.get("values"), f"{prefix}{{}}", out, seen)


def _avro_enum(node: Any) -> tuple[Any, ...] | None:
    if isinstance(node, dict) and node.get("type") == "enum":
        return tuple(node.get("symbols", []))
    if isinstance(node, list):
        for branch in node:
            found = _avro_enum(branch)
            if found is not None:
                return found
    return None


# ------------------------------------------------------------------ paths of incompatibilities


def field_path(incompatibility_path: str, kind: str) -> str:
    """The field path an engine's incompatibility path points into ("" for the whole datum):
    ``#/properties/order/properties/amount`` and ``/order/amount/`` are both ``order.amount``."""
    parts = [p for p in incompatibility_path.split("/") if p and p != "#"]
    names: list[str] = []
    if kind == "AVRO":
        for part in parts:
            if part.startswith("union["):
                continue
            if part == "items" and names:
                names[-1] += "[]"
            elif part == "values" and names:
                names[-1] += "{}"
            else:
                names.append(part)
        return ".".join(names)
    i = 0
    while i < len(parts):
        part = parts[i]
        if part == "properties" and i + 1 < len(parts):
            names.append(parts[i + 1])
            i += 2
            continue
        if part == "items" and names:
            names[-1] += "[]"
        i += 1
    return ".".join(names)


def related(a: str, b: str) -> bool:
    """One path is the other, or inside it (the whole datum, "", relates to every path)."""
    if not a or not b or a == b:
        return True
    return a.startswith((b + ".", b + "[")) or b.startswith((a + ".", a + "["))
