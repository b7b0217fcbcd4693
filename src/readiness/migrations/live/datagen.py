"""Realistic rows for every table: NULLs, unicode, boundary values, from a seeded generator.

Values are produced as text and cast by PostgreSQL (``%s::<type>``), so any type with a text
form works. Row 0 holds the NULLs (where allowed), rows 1.. cycle through the boundary values
of each type, the rest are random. Unique columns get distinct values; one-column foreign keys
take their values from the referenced table, filled first.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

BOUNDS = {
    "int2": ("0", "1", "-1", "32767", "-32768"),
    "int4": ("0", "1", "-1", "2147483647", "-2147483648"),
    "int8": ("0", "1", "-1", "9223372036854775807", "-9223372036854775808"),
    "float4": ("0", "-1.5", "3.4e38", "1e-37", "NaN"),
    "float8": ("0", "-1.5", "1.7e308", "1e-307", "Infinity"),
    "bool": ("true", "false"),
    "date": ("2000-02-29", "1970-01-01", "9999-12-31", "0001-01-01"),
    "timestamp": ("2000-02-29 23:59:59.999999", "1970-01-01 00:00:00", "9999-12-31 23:59:59"),
    "timestamptz": (
        "2000-02-29 23:59:59.999999+00",
        "1970-01-01 00:00:00+00",
        "2038-01-19 03:14:08+00",
    ),
    "time": ("00:00:00", "23:59:59.999999"),
    "interval": ("0", "1 day", "-1 year", "178000000 years"),
    "uuid": ("00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"),
    "json": ("{}", "[]", '{"name": "Zoë", "n": null, "deep": {"a": [1, 2.5, true]}}', "null"),
    "jsonb": ("{}", "[]", '{"name": "Zoë", "n": null, "deep": {"a": [1, 2.5, true]}}', "null"),
    "bytea": ("\\x", "\\x00ff", "\\xdeadbeef"),
    "inet": ("127.0.0.1", "::1", "10.0.0.0"),
    "cidr": ("10.0.0.0/8", "::/0"),
}
TEXTS = (
    "",
    "plain ascii",
    "Zoë Ünïcødé 日本語 🚀",
    "O'Brien; DROP TABLE x; --",
    "tab\tnew\nline",
    " ",
)
INT_MAX = {"int2": 32767, "int4": 2147483647, "int8": 9223372036854775807}
LENGTH = re.compile(r"\((\d+)(?:,(\d+))?\)")

Picker = Callable[[str, str], list[str]]  # (table, column) -> existing values


def _numeric(type_: str, rng: random.Random, row: int) -> str:
    match = LENGTH.search(type_)
    if match is None:
        return (
            ("0", "-1.5", "123456789012345678901234567890.123456789", "1e-20")[row % 4]
            if row < 5
            else str(round(rng.uniform(-1e6, 1e6), 4))
        )
    precision, scale = int(match[1]), int(match[2] or 0)
    whole = "9" * (precision - scale) or "0"
    top = whole + ("." + "9" * scale if scale else "")
    if row < 4:
        return ("0", top, "-" + top, "1")[row]
    bound = 10 ** min(precision - scale, 12) - 1
    return f"{rng.uniform(-bound, bound):.{scale}f}"


def _text(type_: str, rng: random.Random, row: int) -> str:
    match = LENGTH.search(type_)
    limit = int(match[1]) if match else None
    if row < len(TEXTS):
        value = TEXTS[row]
    elif limit is not None and row == len(TEXTS):
        value = "x" * limit
    else:
        value = "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyzéüß日本 ") for _ in range(rng.randint(1, 30))
        )
    return value[:limit] if limit is not None else value


def value_for(  # noqa: PLR0911, PLR0917 - one branch per type family
    base: str, type_: str, category: str, labels: tuple[str, ...], rng: random.Random, row: int
) -> str | None:
    """A text value castable to ``type_`` for row ``row`` (None: no safe value known)."""
    if labels:
        return labels[row % len(labels)]
    if base in INT_MAX:
        bounds = BOUNDS[base]
        return bounds[row - 1] if 1 <= row <= len(bounds) else str(rng.randint(-1000, 1_000_000))
    if base == "numeric":
        return _numeric(type_, rng, row)
    if category == "S":
        return _text(type_, rng, row)
    if base == "uuid" and row > 2:
        return f"{rng.getrandbits(128):032x}"
    if base in BOUNDS:
        bounds = BOUNDS[base]
        if base in ("date", "timestamp", "timestamptz") and row >= len(bounds):
            return _day(base, rng.randint(0, 20000))
        return bounds[row % len(bounds)]
    if category == "A":
        return "{}"
    return None


def _day(base: str, day: int) -> str:
    from datetime import date, timedelta

    value = date(1971, 1, 1) + timedelta(days=day)
    return value.isoformat() if base == "date" else f"{value.isoformat()} 12:00:00"


def unique_value(base: str, category: str, row: int) -> str | None:
    """A value distinct per row for a unique column (None: not a type we can make unique)."""
    if base in INT_MAX or base == "numeric":
        return str(row + 1)
    if category == "S":
        return f"u{row + 1}-Zoë"
    if base == "uuid":
        return f"00000000-0000-4000-8000-{row + 1:012x}"
    if base in ("date", "timestamp", "timestamptz"):
        return _day(base, row)
    return None


def generate_rows(
    columns: list[tuple[str, str, str, bool, bool, tuple[str, ...], list[str] | None]],
    count: int,
    rng: random.Random,
) -> list[list[str | None]]:
    """``count`` rows for columns given as (base, type, category, nullable, unique, enum
    labels, referenced values or None)."""
    rows: list[list[str | None]] = []
    for row in range(count):
        values: list[str | None] = []
        for base, type_, category, nullable, unique, labels, refs in columns:
            value: str | None
            if refs is not None:
                value = rng.choice(refs) if refs and not (nullable and row == 0) else None
            elif nullable and (row == 0 or (row > 8 and rng.random() < 0.15)):
                value = None
            elif unique:
                value = unique_value(base, category, row)
            else:
                value = value_for(base, type_, category, labels, rng, row)
            values.append(value)
        rows.append(values)
    return rows
