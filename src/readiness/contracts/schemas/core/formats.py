"""Schema types (JSON Schema, Avro): parsing, canonical form and fingerprint, and the checker
of each (pure)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from readiness.contracts.schemas.core import avro_schema, json_schema
from readiness.contracts.schemas.core.compat import Checker
from readiness.errors import SchemaInvalidError

TYPES = ("AVRO", "JSON")


def schema_type(value: str | None) -> str:
    """The registry's name of a schema type (Confluent's default is AVRO)."""
    name = (value or "AVRO").upper()
    if name == "JSONSCHEMA":
        name = "JSON"
    if name not in TYPES:
        raise SchemaInvalidError(
            f"schema type {value!r} is not supported; expected AVRO or JSON (PROTOBUF may follow)"
        )
    return name


def parse(text: str, kind: str) -> Any:
    """The schema document of ``text``; :class:`SchemaInvalidError` when it is not one."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise SchemaInvalidError(f"the schema is not JSON: {exc}") from None
    except RecursionError:
        raise SchemaInvalidError("the schema is nested too deeply") from None
    if kind == "AVRO":
        avro_schema.parse(document)
    else:
        json_schema.validate_schema(document)
    return document


def canonical(document: Any) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(document: Any) -> str:
    return hashlib.sha256(canonical(document).encode()).hexdigest()


def checker(kind: str) -> Checker:
    return avro_schema.check if kind == "AVRO" else json_schema.check
