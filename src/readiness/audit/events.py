"""Application audit events (handbook 20.2/20.3): the schema, its validator, canonical bytes.

Pure: no database, no clock. An event is a JSON object with the fields of :data:`FIELDS`; it
names people by pseudonymous ids only (an e-mail address in ``actor_id`` is refused), IPs as
keyed HMACs (``ip_hmac``) and accessed data by field names (``target_fields_accessed``), never
values. :func:`entry_bytes` serialises a valid event as RFC 8785 (JCS) canonical JSON: the bytes
the ledger stores and hashes. Every refusal is an :class:`~readiness.errors.InputError` whose
message starts with the field it names.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from readiness.errors import InputError, ReservedSourceError

REQUIRED = (
    "actor_id",
    "actor_type",
    "action",
    "target_type",
    "target_id",
    "result",
    "occurred_at",
)
OPTIONAL = (
    "target_fields_accessed",
    "before",
    "after",
    "source",
    "ip_hmac",
    "session_id",
    "request_id",
    "trace_id",
    "justification",
    "tenant",
)
FIELDS = frozenset(REQUIRED + OPTIONAL)

MAX_ID = 256  # actor_id, target_id, session_id, request_id, trace_id, tenant
MAX_NAME = 128  # action, actor_type, target_type, result, source, a field name
MAX_TEXT = 1024  # justification
MAX_FIELDS_ACCESSED = 256
MAX_VALUE_BYTES = 64 * 1024  # before / after, each, as canonical JSON
MAX_DEPTH = 16
MAX_SAFE_INT = 2**53 - 1  # I-JSON (RFC 7493), which RFC 8785 requires

_NAME = re.compile(r"[a-z][a-z0-9_]*(?:[.\-][a-z0-9_]+)*\Z")  # dotted or OWASP authn_login_fail
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-\[\]]*\Z")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/\-]*\Z")
_HMAC = re.compile(r"[a-z0-9\-]{1,32}:[0-9a-f]{16,128}\Z")
_RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_EMAILISH = re.compile(r"[^\s@]+(?:@|\s*\[at\]\s*|%40)[^\s@]+\.[A-Za-z]{2,}", re.IGNORECASE)


def _fail(field: str, problem: str) -> InputError:
    return InputError(f"{field}: {problem}", details={"field": field})


def _text(field: str, value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise _fail(field, f"must be a string (got {_kind(value)})")
    if not value:
        raise _fail(field, "must not be empty")
    if len(value) > limit:
        raise _fail(field, f"longer than {limit} characters ({len(value)})")
    if _CONTROL.search(value):
        raise _fail(field, "holds a control character or a lone surrogate")
    return value


def _matching(field: str, value: object, limit: int, pattern: re.Pattern[str], rule: str) -> str:
    text = _text(field, value, limit)
    if not pattern.match(text):
        raise _fail(field, f"{text[:40]!r} is not {rule}")
    return text


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), "an array" if isinstance(value, list) else "an object"
    )


def _actor_id(value: object) -> str:
    text = _text("actor_id", value, MAX_ID)
    if "@" in text or _EMAILISH.search(text):
        raise _fail(
            "actor_id",
            "looks like an e-mail address, not pseudonymous: give the id the identity vault "
            "maps to the person (e.g. usr_a8f3c2b1)",
        )
    if not _ID.match(text):
        raise _fail(
            "actor_id",
            f"{text[:40]!r} is not a pseudonymous id (letters, digits and _ . : / -, "
            "no spaces: names are not pseudonymous)",
        )
    return text


def _occurred_at(value: object) -> str:
    text = _text("occurred_at", value, 40)
    if not _RFC3339_UTC.match(text):
        raise _fail(
            "occurred_at",
            f"{text!r} is not an RFC 3339 UTC time like 2026-04-10T14:23:01.123Z",
        )
    try:
        datetime.fromisoformat(text[:19])
    except ValueError as exc:
        raise _fail("occurred_at", f"{text!r} is not a real date and time") from exc
    return text


def _fields_accessed(value: object) -> list[str]:
    field = "target_fields_accessed"
    if not isinstance(value, list):
        raise _fail(field, f"must be an array of field names (got {_kind(value)})")
    if len(value) > MAX_FIELDS_ACCESSED:
        raise _fail(field, f"more than {MAX_FIELDS_ACCESSED} names ({len(value)})")
    names = [
        _matching(f"{field}[{i}]", name, MAX_NAME, _FIELD_NAME, "a field name (not a value)")
        for i, name in enumerate(value)
    ]
    if len(set(names)) != len(names):
        raise _fail(field, "names a field twice")
    return names


def _json_value(field: str, value: object, depth: int = 0) -> None:  # noqa: PLR0912
    if depth > MAX_DEPTH:
        raise _fail(field, f"nested deeper than {MAX_DEPTH}")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INT:
            raise _fail(field, "holds an integer beyond ±(2^53-1), which JSON cannot keep exact")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(field, "holds NaN or Infinity, which JSON has not")
        if value.is_integer() and MAX_SAFE_INT < abs(value) < 1e21:  # it would print as one
            raise _fail(field, "holds an integer beyond ±(2^53-1), which JSON cannot keep exact")
        return
    if isinstance(value, str):
        if re.search(r"[\ud800-\udfff]", value):
            raise _fail(field, "holds a lone surrogate, which is not Unicode text")
        return
    if isinstance(value, list):
        for item in value:
            _json_value(field, item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _json_value(field, key, depth + 1)
            _json_value(field, item, depth + 1)
        return
    raise _fail(field, f"holds a {type(value).__name__}, which is not JSON")


def _change(field: str, value: object) -> object:
    if value is not None and not isinstance(value, dict):
        raise _fail(field, f"must be an object of field values or null (got {_kind(value)})")
    _json_value(field, value)
    size = len(canonical(value))
    if size > MAX_VALUE_BYTES:
        raise _fail(field, f"larger than {MAX_VALUE_BYTES} bytes as JSON ({size})")
    return value


_IDS = ("target_id", "session_id", "request_id", "trace_id", "tenant")
_NAMES = ("action", "actor_type", "target_type", "result", "source")
_NAME_RULE = "a lowercase dotted name like patient_record.view or authn_login_fail"


def validate_event(event: object) -> dict[str, Any]:  # noqa: PLR0912 - one branch per kind
    """``event`` as a checked dict, or an InputError naming the first field that is wrong."""
    if not isinstance(event, Mapping):
        raise _fail("event", f"must be a JSON object (got {_kind(event)})")
    unknown = sorted(str(k) for k in event if k not in FIELDS)
    if unknown:
        name = unknown[0][:60]
        shown = name if _FIELD_NAME.match(name) else repr(name)
        raise InputError(
            f"{shown}: unknown field; an event has {', '.join(sorted(FIELDS))}",
            details={"field": name},
        )
    out: dict[str, Any] = {}
    for field, value in event.items():
        if value is None:  # a required one is reported missing below
            continue
        if field == "actor_id":
            out[field] = _actor_id(value)
        elif field == "occurred_at":
            out[field] = _occurred_at(value)
        elif field in _NAMES:
            out[field] = _matching(field, value, MAX_NAME, _NAME, _NAME_RULE)
        elif field in _IDS:
            out[field] = _matching(field, value, MAX_ID, _ID, "an id (letters, digits, _ . : / -)")
        elif field == "ip_hmac":
            out[field] = _matching(
                field, value, 200, _HMAC, "a keyed hash like hmac-sha256:<hex> (never a raw IP)"
            )
        elif field == "justification":
            out[field] = _text(field, value, MAX_TEXT)
        elif field == "target_fields_accessed":
            out[field] = _fields_accessed(value)
        else:  # before, after
            out[field] = _change(field, value)
    missing = [f for f in REQUIRED if f not in out]
    if missing:
        raise _fail(missing[0], "is required")
    return out


def entry_bytes(event: Mapping[str, Any]) -> bytes:
    """The ledger entry of a validated event: its RFC 8785 canonical JSON, UTF-8."""
    return canonical(event)


# --- RFC 8785 (JSON Canonicalization Scheme) ---------------------------------------------------


def canonical(value: object) -> bytes:
    """RFC 8785 canonical JSON of plain JSON data (keys sorted by UTF-16 code units, numbers
    as ECMAScript prints them, strings with the minimal escapes)."""
    return _jcs(value).encode("utf-8")


def _jcs(value: object) -> str:  # noqa: PLR0911 - one return per JSON kind
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return es_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda k: str(k).encode("utf-16-be"))
        return "{" + ",".join(f"{_jcs(str(k))}:{_jcs(value[k])}" for k in keys) + "}"
    raise TypeError(f"not JSON data: {type(value).__name__}")


def es_number(x: float) -> str:
    """``x`` as ECMAScript's Number.prototype.toString prints it (RFC 8785 §3.2.2.3)."""
    if not math.isfinite(x):
        raise ValueError("NaN and Infinity have no JSON form")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    mantissa, _, exp_text = repr(abs(x)).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    exponent = int(exp_text or "0") - len(frac)  # value = int(digits) * 10**exponent
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped
    k = len(digits)
    n = exponent + k  # value = 0.digits * 10**n
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        head = digits if k == 1 else digits[0] + "." + digits[1:]
        out = f"{head}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + out


# --- JSON lines ------------------------------------------------------------------------------

MAX_LINE_BYTES = 1 << 20
MAX_EVENTS = 100_000


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key[:40]!r} appears twice")
        out[key] = value
    return out


def parse_line(line: bytes) -> dict[str, Any]:
    """One JSON line as a validated event (InputError naming the field otherwise)."""
    if len(line) > MAX_LINE_BYTES:
        raise _fail("line", f"longer than {MAX_LINE_BYTES} bytes ({len(line)})")
    if b"\x00" in line:
        raise _fail("line", "holds a NUL byte")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail("line", f"is not UTF-8 (byte {exc.start})") from exc
    try:
        value = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except RecursionError as exc:
        raise _fail("line", "is nested too deeply") from exc
    except ValueError as exc:  # JSONDecodeError, and the integer digit limit
        raise _fail("line", f"is not JSON ({' '.join(str(exc).split())[:120]})") from exc
    return validate_event(value)


def parse_lines(data: bytes) -> list[dict[str, Any]]:
    """Every non-blank line of ``data`` as a validated event; the first bad one refuses all,
    with ``line N: <field>: <problem>``."""
    events: list[dict[str, Any]] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        line = raw.removesuffix(b"\r")
        if not line.strip():
            continue
        if len(events) == MAX_EVENTS:
            raise InputError(f"line {number}: more than {MAX_EVENTS} events in one append")
        try:
            events.append(parse_line(line))
        except InputError as exc:
            raise InputError(
                f"line {number}: {exc.message}", details={**exc.details, "line": number}
            ) from exc
    if not events:
        raise InputError("no events: give one JSON object per line")
    return events


PLATFORM_SOURCE = "readiness"  # the platform's own events (and readiness.cli, .api, ...)


def refuse_platform_source(events: Sequence[Mapping[str, Any]]) -> None:
    """Application events may not claim the platform's ``source`` (``readiness`` or
    ``readiness.<surface>``): the trail tells the platform's events from yours by it. The
    first such event refuses the whole batch (:class:`ReservedSourceError`)."""
    for number, event in enumerate(events, start=1):
        source = event.get("source")
        if source == PLATFORM_SOURCE or str(source).startswith(PLATFORM_SOURCE + "."):
            raise ReservedSourceError(
                f"event {number}: source: {source!r} is reserved for Readiness's own events; "
                'name your application instead (e.g. "clinical_dashboard"); nothing was appended',
                details={"field": "source", "event": number},
            )
