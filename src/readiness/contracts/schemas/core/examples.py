"""Example payloads of a schema version and their validity (pure): the JSON Schema
``examples`` keyword, a generated minimal valid instance (JSON Schema or Avro), each payload
validated against a version, and the field paths a schema declares (for the catalog's field
search)."""

from __future__ import annotations

from typing import Any

_MINIMAL_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "email": "someone@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def declared_examples(kind: str, document: Any) -> list[Any]:
    """The payloads a JSON Schema lists under its top-level ``examples`` (Avro: none)."""
    if kind == "JSON" and isinstance(document, dict) and isinstance(document.get("examples"), list):
        return list(document["examples"])
    return []


def minimal(kind: str, document: Any) -> Any:
    """A small instance meant to be valid (checked with :func:`problem` before it is shown)."""
    if kind == "AVRO":
        return _minimal_avro(document, _avro_named(document), 0)
    return _minimal_json(document, document, 0)


def problem(kind: str, document: Any, payload: Any) -> str | None:
    """Why ``payload`` is not valid under the schema (None: it is valid)."""
    if kind == "AVRO":
        from fastavro.validation import validate

        try:
            validate(payload, document, raise_errors=True)
        except Exception as exc:  # fastavro raises ValidationError, or TypeError on odd data
            return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        return None
    import jsonschema  # type: ignore[import-untyped]

    cls = jsonschema.validators.validator_for(document, default=jsonschema.Draft202012Validator)
    error = jsonschema.exceptions.best_match(cls(document).iter_errors(payload))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"[:300]


def field_paths(kind: str, document: Any) -> list[str]:
    """The dotted paths of the fields a schema declares (``customer.address.city``)."""
    out: list[str] = []
    if kind == "AVRO":
        _avro_fields(document, _avro_named(document), "", out, set())
    else:
        _json_fields(document, document, "", out, 0)
    return sorted(set(out))


# ------------------------------------------------------------------- JSON Schema


def _deref(node: Any, root: Any) -> Any:
    for _ in range(32):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node
        ref = node["$ref"]
        if not ref.startswith("#"):
            return {}
        target: Any = root
        for raw in [p for p in ref[1:].split("/") if p]:
            part = raw.replace("~1", "/").replace("~0", "~")
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
    return {}


def _minimal_json(node: Any, root: Any, depth: int) -> Any:  # noqa: PLR0911 (one per keyword)
    node = _deref(node, root)
    if not isinstance(node, dict) or depth > 12:
        return None
    if "const" in node:
        return node["const"]
    if isinstance(node.get("enum"), list) and node["enum"]:
        return node["enum"][0]
    if "default" in node:
        return node["default"]
    for key in ("oneOf", "anyOf"):
        if isinstance(node.get(key), list) and node[key]:
            return _minimal_json(
                {**_without(node, key), **_deref(node[key][0], root)}, root, depth + 1
            )
    if isinstance(node.get("allOf"), list):
        merged = _without(node, "allOf")
        for raw in node["allOf"]:
            branch = _deref(raw, root)
            if isinstance(branch, dict):
                merged = {
                    **merged,
                    **branch,
                    "properties": {**merged.get("properties", {}), **branch.get("properties", {})},
                    "required": [*merged.get("required", []), *branch.get("required", [])],
                }
        return _minimal_json(merged, root, depth + 1)
    return _minimal_typed(node, root, depth)


def _minimal_typed(node: dict[str, Any], root: Any, depth: int) -> Any:
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind is None:
        kind = "object" if "properties" in node else "string" if "pattern" in node else None
    if kind == "object":
        props = node.get("properties", {})
        return {
            name: _minimal_json(props.get(name, {}), root, depth + 1)
            for name in node.get("required", [])
        }
    if kind == "array":
        item = node.get("items", {})
        return [_minimal_json(item, root, depth + 1) for _ in range(int(node.get("minItems", 0)))]
    if kind in ("integer", "number"):
        low = node.get("minimum", node.get("exclusiveMinimum"))
        value = (
            0
            if low is None
            else low + (1 if "exclusiveMinimum" in node and "minimum" not in node else 0)
        )
        return int(value) if kind == "integer" else value
    if kind == "string":
        fmt = _MINIMAL_FORMATS.get(str(node.get("format", "")))
        return fmt if fmt is not None else "x" * int(node.get("minLength", 0))
    if kind == "boolean":
        return False
    return None


def _without(node: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k != key}


def _json_fields(node: Any, root: Any, prefix: str, out: list[str], depth: int) -> None:
    node = _deref(node, root)
    if not isinstance(node, dict) or depth > 12:
        return
    for name, sub in (node.get("properties") or {}).items():
        path = f"{prefix}{name}"
        out.append(path)
        _json_fields(sub, root, f"{path}.", out, depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in node.get(key) or []:
            _json_fields(branch, root, prefix, out, depth + 1)
    if isinstance(node.get("items"), dict):
        _json_fields(node["items"], root, prefix, out, depth + 1)


# ------------------------------------------------------------------------- Avro


def _avro_named(document: Any) -> dict[str, Any]:
    return dict(document.get("__named_schemas", {})) if isinstance(document, dict) else {}


def _minimal_avro(node: Any, named: dict[str, Any], depth: int) -> Any:  # noqa: PLR0911
    if isinstance(node, str):
        if node in named:
            return _minimal_avro(named[node], named, depth + 1)
        return {"null": None, "boolean": False, "string": "", "bytes": b""}.get(
            node, 0.0 if node in ("float", "double") else 0
        )
    if isinstance(node, list):
        return _minimal_avro(node[0], named, depth + 1) if node else None
    if not isinstance(node, dict) or depth > 12:
        return None
    kind = node.get("type")
    if isinstance(kind, dict | list):
        return _minimal_avro(kind, named, depth + 1)
    if kind == "record":
        return {
            f["name"]: f["default"]
            if "default" in f
            else _minimal_avro(f["type"], named, depth + 1)
            for f in node.get("fields", [])
        }
    if kind == "enum":
        return node["symbols"][0] if node.get("symbols") else None
    if kind == "array":
        return []
    if kind == "map":
        return {}
    if kind == "fixed":
        return b"\0" * int(node.get("size", 0))
    return _minimal_avro(kind, named, depth + 1)


def _avro_fields(
    node: Any, named: dict[str, Any], prefix: str, out: list[str], seen: set[str]
) -> None:
    if isinstance(node, str) and node in named and node not in seen:
        _avro_fields(named[node], named, prefix, out, seen | {node})
    elif isinstance(node, list):
        for branch in node:
            _avro_fields(branch, named, prefix, out, seen)
    elif isinstance(node, dict):
        kind = node.get("type")
        if kind == "record":
            inner = seen | {str(node.get("name"))}
            for f in node.get("fields", []):
                path = f"{prefix}{f['name']}"
                out.append(path)
                _avro_fields(f["type"], named, f"{path}.", out, inner)
        elif kind == "array":
            _avro_fields(node.get("items"), named, prefix, out, seen)
        elif kind == "map":
            _avro_fields(node.get("values"), named, prefix, out, seen)
        elif isinstance(kind, dict | list | str):
            _avro_fields(kind, named, prefix, out, seen)
