"""Canonical JSON (sorted keys, compact, UTF-8) for hashing: equal data hashes equal."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"cannot serialise {type(value).__name__} to canonical JSON")


def canonical_json(value: Any) -> bytes:
    """Canonical bytes of ``value`` (a subset of RFC 8785 sufficient for our own data)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode("utf-8")


def to_jsonable(value: Any) -> Any:
    """``value`` with datetimes as ISO strings and tuples/sets as lists, for JSON output."""
    return json.loads(canonical_json(value))


def jsonable_dict(value: Any) -> dict[str, Any]:
    """:func:`to_jsonable` for a mapping or dataclass-like dict; the result is a ``dict``."""
    out = to_jsonable(value)
    if not isinstance(out, dict):
        raise TypeError(f"expected a mapping, got {type(value).__name__}")
    return out
