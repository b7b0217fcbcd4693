"""Schema references (pure): a schema names other subjects' versions (Confluent's
``references: [{name, subject, version}]``) and is checked as one self-contained document.

JSON Schema: a ``$ref`` whose value is a reference's name (``"address.json"``, or
``"address.json#/$defs/Street"``) points to that referenced schema; bundling copies each
referenced schema under ``$defs`` (``__ref0``, ``__ref1``, ...) and rewrites the ``$ref`` and the
copied schema's own local ``$ref`` to point there. Avro: the referenced schemas' named types are
known to the schema (fastavro's ``named_schemas``); the bundle is fastavro's parsed form, which
carries them. Referenced schemas are bundled first (their own references are resolved by the
caller, depth first).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from readiness.errors import SchemaInvalidError

PREFIX = "__ref"


def fingerprint(document: Any, references: list[dict[str, object]]) -> str:
    """The identity of a schema with its references (without any: the document's alone)."""
    value: Any = document if not references else {"schema": document, "references": references}
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def bundle(kind: str, document: Any, referenced: Mapping[str, Any]) -> Any:
    """``document`` with the ``referenced`` schemas (name -> bundled document) made part of it."""
    if not referenced:
        return document
    if kind == "AVRO":
        return _bundle_avro(document, referenced)
    return _bundle_json(document, referenced)


def _bundle_avro(document: Any, referenced: Mapping[str, Any]) -> Any:
    import fastavro

    named: dict[str, Any] = {}
    try:
        for ref in referenced.values():
            fastavro.parse_schema(_plain(ref), named_schemas=named)
        return json.loads(json.dumps(fastavro.parse_schema(document, named_schemas=named)))
    except Exception as exc:  # fastavro raises several exception types for bad schemas
        raise SchemaInvalidError(f"invalid Avro schema with its references: {exc}") from None


def _plain(parsed: Any) -> Any:
    """A bundled Avro document as fastavro accepts it for parsing again (not marked parsed)."""
    if isinstance(parsed, dict):
        return {k: _plain(v) for k, v in parsed.items() if not str(k).startswith("__")}
    if isinstance(parsed, list):
        return [_plain(v) for v in parsed]
    return parsed


def _bundle_json(document: Any, referenced: Mapping[str, Any]) -> Any:
    if not isinstance(document, dict):
        return document
    keys = {name: f"{PREFIX}{i}" for i, name in enumerate(referenced)}
    defs = dict(document.get("$defs", {}))
    for name, key in keys.items():
        defs[key] = _relocate(referenced[name], f"#/$defs/{key}")
    out = _rewrite(document, keys)
    out["$defs"] = defs
    return out


def _rewrite(node: Any, keys: Mapping[str, str]) -> Any:
    """``node`` with each ``$ref`` naming a reference pointed at its copy under ``$defs``."""
    if isinstance(node, dict):
        out = {k: _rewrite(v, keys) for k, v in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            name, _, pointer = ref.partition("#")
            if name not in keys:
                raise SchemaInvalidError(
                    f"$ref {ref!r} names no reference of the schema (references: {sorted(keys)})"
                )
            out["$ref"] = f"#/$defs/{keys[name]}{pointer}"
        return out
    if isinstance(node, list):
        return [_rewrite(v, keys) for v in node]
    return node


def _relocate(node: Any, base: str) -> Any:
    """A copied schema whose local ``$ref`` (``#/...``) now start at ``base``."""
    if isinstance(node, dict):
        out = {k: _relocate(v, base) for k, v in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            out["$ref"] = base + ref[1:]
        return out
    if isinstance(node, list):
        return [_relocate(v, base) for v in node]
    return node
