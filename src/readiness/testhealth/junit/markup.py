"""What expat reports for the markup the fast reader reads itself, or a hand-over.

The fast reader (:mod:`.fast`) turns attribute values and character data into strings without
expat. These functions reproduce expat exactly for what they accept (the five predefined
entities, character references, whitespace and line-end normalisation) and raise
:class:`HandOver` for anything else, so that the exact reader reads that region instead.
"""

from __future__ import annotations

import re

NAME = r"[A-Za-z_:][\w.:-]*"
_ATTR = rf"\s+{NAME}\s*=\s*(?:\"[^\"<]*\"|'[^'<]*')"
_ATTRS = re.compile(rf"((?:{_ATTR})*)\s*(/?)")
_ATTR_PAIR = re.compile(rf"({NAME})\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
_REF = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z]+);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_NAMED_REFS = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&"}  # amp last


class HandOver(Exception):
    """The region holds something only the exact reader reproduces exactly."""


def _ref(match: re.Match[str]) -> str:
    ref = match.group(1)
    if ref[0] != "#":
        if ref not in _NAMED:
            raise HandOver("entity")
        return _NAMED[ref]
    code = int(ref[2:], 16) if ref[1] == "x" else int(ref[1:])
    if not _xml_char(code):
        raise HandOver("char ref")  # expat refuses it: the exact reader reports where
    return chr(code)


def _xml_char(code: int) -> bool:
    """Whether XML 1.0 allows the character (no NUL, controls, surrogates or U+FFFE/U+FFFF)."""
    if code < 0x20:
        return code in (0x9, 0xA, 0xD)
    return code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def attr_value(raw: str) -> str:
    """What expat reports for an attribute value: whitespace normalised, references replaced."""
    if "\r" in raw:
        raw = raw.replace("\r\n", " ").replace("\r", " ")
    if "\n" in raw or "\t" in raw:
        raw = raw.replace("\n", " ").replace("\t", " ")
    return _refs(raw) if "&" in raw else raw


def _refs(raw: str) -> str:
    if "&#" not in raw:
        # Only the five predefined entities (the usual case): C-level replaces, &amp; last so
        # that "&amp;lt;" stays "&lt;".
        n = raw.count("&")
        if n == sum(map(raw.count, _NAMED_REFS)):
            for ref, char in _NAMED_REFS.items():
                raw = raw.replace(ref, char)
            return raw
    if raw.count("&") != len(_REF.findall(raw)):
        raise HandOver("ampersand")
    return _REF.sub(_ref, raw)


def char_data(raw: str) -> str:
    """What expat reports for character data: line ends normalised, references replaced."""
    if "\r" in raw:
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return _refs(raw) if "&" in raw else raw


def parse_attrs(raw: str) -> tuple[dict[str, str], bool]:
    """The attributes of a start tag's inside and whether it closes itself; strict."""
    m = _ATTRS.fullmatch(raw)
    if m is None:
        raise HandOver("tag")
    # One of the two quoted groups is empty: the value is the other one.
    attrs = {name: attr_value(dq or sq) for name, dq, sq in _ATTR_PAIR.findall(m.group(1))}
    return attrs, bool(m.group(2))
