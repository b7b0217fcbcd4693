"""Canonical JSON (sorted keys, compact, UTF-8) for hashing, and plain-JSON conversion."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Set
from datetime import date, datetime, time, timedelta
from enum import Enum
from pathlib import PurePath
from typing import Any


def to_jsonable(value: Any) -> Any:  # noqa: PLR0911 - one return per kind of value reads best
    """``value`` as plain JSON data: datetimes become ISO strings, sets sorted lists, etc."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, Set):
        return sorted((to_jsonable(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def canonical_json(value: Any) -> bytes:
    """Canonical bytes of ``value`` (a subset of RFC 8785 sufficient for our own data)."""
    return json.dumps(
        to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def jsonable_dict(value: Any) -> dict[str, Any]:
    """:func:`to_jsonable` for a mapping or dataclass; the result is a ``dict``."""
    out = to_jsonable(value)
    if not isinstance(out, dict):
        raise TypeError(f"expected a mapping, got {type(value).__name__}")
    return out
