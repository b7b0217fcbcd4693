"""A schema with references as one checkable document, read on a connection: each
referenced subject version is resolved, recursively, and bundled into the schema; the
fingerprint covers the schema's text and its references, so the same schema with other
references is another schema."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Connection

from readiness.contracts.schemas.core import formats, json_schema, references
from readiness.contracts.schemas.store import registry as store
from readiness.errors import SchemaInvalidError


def resolve(  # noqa: PLR0917 - the schema, where its references live, and the depth reached
    conn: Connection,
    project: str,
    kind: str,
    text: str,
    refs: list[store.Reference],
    depth: int = 0,
) -> tuple[Any, str]:
    """The schema as one checkable document (its references bundled in) and its
    fingerprint; :class:`SchemaInvalidError` for a bad schema or an unknown reference."""
    if not refs:
        document = formats.parse(text, kind)
        return document, formats.fingerprint(document)
    if depth > 32:
        raise SchemaInvalidError("schema references nest deeper than 32 levels (a cycle?)")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise SchemaInvalidError(f"the schema is not JSON: {exc}") from None
    if len({r.name for r in refs}) != len(refs):
        raise SchemaInvalidError("two references of the schema have the same name")
    referenced: dict[str, Any] = {}
    for ref in refs:
        target = next(
            (
                v
                for v in store.versions(conn, project, ref.subject, deleted=True)
                if v.version == ref.version
            ),
            None,
        )
        if target is None:
            raise SchemaInvalidError(
                f"reference {ref.name!r}: subject {ref.subject!r} has no version {ref.version}"
            )
        if target.schema.schema_type != kind:
            raise SchemaInvalidError(
                f"reference {ref.name!r} is a {target.schema.schema_type} schema, not {kind}"
            )
        referenced[ref.name] = resolve(
            conn,
            project,
            kind,
            target.schema.text,
            store.references_of(conn, project, target.schema.id),
            depth + 1,
        )[0]
    if kind == "JSON":
        json_schema.validate_schema(raw)
    document = references.bundle(kind, raw, referenced)
    return document, references.fingerprint(raw, [r.as_dict() for r in refs])
