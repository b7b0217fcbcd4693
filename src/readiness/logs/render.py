"""Renderers: one JSON object per line (orjson) and a console line for development.

Both neutralise log injection: no character of a key or a value can end the line or forge
another one. JSON escapes C0 controls itself; the characters that JSON allows raw but that other
readers take for a line break or a terminal command (DEL, C1 such as NEL, U+2028/U+2029) or that
reorder text on screen (bidirectional overrides) are escaped too, as ``\\u`` and four hex
digits, which leaves the decoded value unchanged. The console renderer escapes every control
character.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, MutableMapping
from typing import Any

import orjson

_BIDI = [0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_RAW_IN_JSON = [0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, *_BIDI]

#: What JSON output still needs escaped after orjson (value-preserving ``\\u`` escapes).
JSON_ESCAPES = {cp: f"\\u{cp:04x}" for cp in _RAW_IN_JSON}

_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
#: What the console renderer escapes: every C0/C1 control, DEL, line separators, bidi overrides.
CONSOLE_ESCAPES: dict[int, str] = {
    **{cp: _NAMED.get(cp, f"\\x{cp:02x}") for cp in range(0x20)},
    **{cp: f"\\x{cp:02x}" for cp in range(0x7F, 0xA0)},
    **{cp: f"\\u{cp:04x}" for cp in (0x2028, 0x2029, *_BIDI)},
}


def neutralise(text: str) -> str:
    """``text`` with every character that could break or forge a console line escaped."""
    return text.translate(CONSOLE_ESCAPES)


def _default(value: object) -> str:
    return str(value)


def render_json(_logger: object, _method_name: str, event_dict: MutableMapping[str, Any]) -> str:
    """One JSON object, one line."""
    try:
        raw = orjson.dumps(event_dict, default=_default, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        # Lone surrogates (not UTF-8) or integers beyond 64 bits: the stdlib escapes both.
        text = json.dumps(event_dict, default=_default, ensure_ascii=True, separators=(",", ":"))
        return text.translate(JSON_ESCAPES)
    if raw.isascii() and b"\x7f" not in raw:
        # Every character JSON_ESCAPES names is DEL or beyond ASCII: nothing to translate.
        return raw.decode()
    return raw.decode().translate(JSON_ESCAPES)


def _console_value(value: object) -> str:
    if isinstance(value, str):
        text = neutralise(value)
        return f'"{text}"' if (not text or " " in text or '"' in text or "=" in text) else text
    if isinstance(value, Mapping):
        inner = " ".join(f"{neutralise(str(k))}={_console_value(v)}" for k, v in value.items())
        return "{" + inner + "}"
    return neutralise(repr(value))


def render_console(_logger: object, _method_name: str, event_dict: MutableMapping[str, Any]) -> str:
    """``timestamp level   message key=value ...`` on one line, for a developer's terminal."""
    fields = dict(event_dict)
    timestamp = fields.pop("timestamp", "")
    level = fields.pop("level", "")
    message = fields.pop("message", fields.pop("event", ""))
    head = f"{neutralise(str(timestamp))} {neutralise(str(level)):<5} {neutralise(str(message))}"
    rest = " ".join(f"{neutralise(str(k))}={_console_value(v)}" for k, v in fields.items())
    return f"{head} {rest}".rstrip() if rest else head
