"""Scanning existing logs for PII (the incident response of handbook Q21).

A :class:`LogScanner` reads JSON lines (key rules and detectors on the parsed object, each
finding naming its key path) or text lines (detectors), one line at a time, records each finding
with its line number, type and a masked sample, and yields the redacted copy of every line (the
line itself, untouched, when nothing was found in it). The detectors are the redaction
processor's. Pure: the caller opens files and writes the copy (``readiness logs scan``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import orjson

from readiness.errors import InputError
from readiness.logs.redaction import (
    DEFAULT_SENSITIVE_KEYS,
    REDACTED,
    Redactor,
    default_detectors,
)
from readiness.logs.redaction.scanning import prescan

#: Lines read ahead by ``LogScanner.lines``: their text lines' gates are found in one Hyperscan
#: scan (``scanning.prescan``).
BATCH_LINES = 256

#: The types ``--types`` accepts: the detector kinds (``api_key`` stands for every provider),
#: and ``key`` for fields named like secrets (``password``, ``token``...).
TYPES = ("api_key", "bearer", "card", "email", "iban", "ip", "jwt", "key", "phone", "secret", "ssn")


@dataclass(frozen=True)
class Finding:
    """One sensitive value found in a log: where (``key``: the JSON field path), what type, and
    a masked sample."""

    file: str
    line: int
    type: str
    sample: str
    key: str | None = None

    def as_json(self) -> dict[str, object]:
        """The finding as ``--format json`` prints it (``key`` only for JSON lines)."""
        out: dict[str, object] = {
            "file": self.file,
            "line": self.line,
            "type": self.type,
            "sample": self.sample,
        }
        if self.key is not None:
            out["key"] = self.key
        return out


@dataclass
class ScanReport:
    """Counts by type (every finding), the findings kept (up to ``max_findings``), and the
    redacted lines when collected (``scan_lines``)."""

    counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    redacted: list[str] = field(default_factory=list)
    lines: int = 0
    truncated: bool = False

    @property
    def total(self) -> int:
        """How many findings, kept or not."""
        return sum(self.counts.values())

    def as_json(self) -> dict[str, object]:
        """The ``--format json`` shape: ``counts`` and ``findings`` (and ``truncated``)."""
        return {
            "counts": dict(sorted(self.counts.items())),
            "findings": [f.as_json() for f in self.findings],
            "lines": self.lines,
            "truncated": self.truncated,
        }


_MARKER = re.compile(r"\[[A-Z_]+(?::[a-z]+)?\]")


def mask(original: str) -> str:
    """Enough to recognise a finding, not enough to reuse it: the first and last two characters
    of values longer than 8, the rest as ``*`` (shorter values are masked whole)."""
    if len(original) <= 8:
        return "*" * len(original)
    return original[:2] + "*" * (len(original) - 4) + original[-2:]


def parse_types(spec: str | Collection[str] | None) -> frozenset[str] | None:
    """``"email,ip"`` -> ``{"email", "ip"}``; None or empty means every type."""
    if spec is None:
        return None
    names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec)
    chosen = frozenset(n for n in names if n)
    unknown = sorted(chosen - set(TYPES))
    if unknown:
        raise InputError(
            f"unknown type {unknown[0]!r}: expected a comma-separated list of {', '.join(TYPES)}",
            details={"types": unknown},
        )
    return chosen or None


def parse_json_object(line: str) -> dict[str, Any] | None:
    """The JSON object on ``line``, or None for anything else (text, arrays, broken JSON, too
    deep to parse): such lines are scanned as text."""
    if not line.startswith("{"):
        return None
    # The standard library rather than orjson: it keeps integers beyond 64 bits exact (orjson
    # reads them as floats, which the redacted copy would then change) and reads NaN.
    try:
        parsed = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _dumps(obj: Mapping[str, Any]) -> str:
    try:
        return orjson.dumps(obj).decode()
    except TypeError:  # orjson.JSONEncodeError: big integers, lone surrogates
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class _KeyedRedactor(Redactor):
    """A redactor that knows the key path of the value it is looking at (``user.email``)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.path: list[str] = []
        self.cards = any(d.kind == "card" for d in self.detectors)

    def integer(self, value: int) -> int | str:
        return super().integer(value) if self.cards else value

    def mapping(self, mapping: Mapping[Any, Any], depth: int = 0) -> dict[Any, Any]:
        # ``Redactor.mapping``, one key at a time with its path pushed (inlined: it runs for
        # every field of every line scanned).
        out: dict[Any, Any] = {}
        rules, path = self.rules, self.path
        for key, item in mapping.items():
            name = key if isinstance(key, str) else str(key)
            path.append(name)
            try:
                if rules.is_identifier(name):
                    out[key] = item
                elif rules.is_sensitive(name):
                    self.counts["key"] = self.counts.get("key", 0) + 1
                    if self.on_finding is not None:
                        self.on_finding("key", f"{name}={item}")
                    out[key] = REDACTED
                else:
                    out[self.text(key) if isinstance(key, str) else key] = self.value(item, depth)
            finally:
                path.pop()
        return out


class LogScanner:
    """Scans lines, file after file, into one :class:`ScanReport`.

    ``types`` limits the detectors (see :data:`TYPES`); ``max_findings`` caps the findings kept
    (the counts still count all of them).
    """

    def __init__(
        self, *, types: Collection[str] | None = None, max_findings: int | None = None
    ) -> None:
        chosen = parse_types(types)
        detectors = default_detectors()
        if chosen is not None:
            detectors = [d for d in detectors if d.kind.split(":")[0] in chosen]
        sensitive = DEFAULT_SENSITIVE_KEYS if chosen is None or "key" in chosen else ()
        self.redactor = _KeyedRedactor(detectors=detectors, sensitive_keys=sensitive)
        self.max_findings = max_findings
        self.report = ScanReport()
        self._file = "-"
        self._line = 0
        self._found_here = 0
        self.redactor.on_finding = self._record

    def _record(self, kind: str, original: str) -> None:
        path = self.redactor.path
        if kind == "key" and path:
            # The redactor reports "name=value"; the sample is the value's alone.
            original = original[len(path[-1]) + 1 :]
            if _MARKER.fullmatch(original):
                return  # already redacted ("password": "[REDACTED]"): a copy scans clean
        self._found_here += 1
        self.report.counts[kind] = self.report.counts.get(kind, 0) + 1
        if self.max_findings is not None and len(self.report.findings) >= self.max_findings:
            self.report.truncated = True
            return
        key = ".".join(path) if path else None
        self.report.findings.append(Finding(self._file, self._line, kind, mask(original), key))

    def line(self, raw: str) -> str:
        """The redacted copy of one line (the line itself when nothing was found)."""
        text = raw.rstrip("\r\n")
        return self._scanned(text, parse_json_object(text), None)

    def _scanned(self, text: str, parsed: dict[str, Any] | None, found: list[int] | None) -> str:
        """``line``, of the line ``text`` parsed as ``parsed`` (None: a text line, whose gates
        ``prescan`` found as ``found``)."""
        self._line += 1
        self.report.lines += 1
        self._found_here = 0
        if parsed is None:
            redacted = self.redactor.prescanned_text(text, found)
            return redacted if self._found_here else text
        redacted_object = self.redactor.mapping(parsed)
        return _dumps(redacted_object) if self._found_here else text

    def lines(self, lines: Iterable[str], *, file: str = "-") -> Iterator[str]:
        """The redacted copy of each of ``lines`` (without newlines), line numbers from 1.
        Read ``BATCH_LINES`` at a time: the gates of their text lines are found in one scan."""
        self._file = file
        self._line = 0
        stream = iter(lines)
        detectors = self.redactor.detectors
        while chunk := list(islice(stream, BATCH_LINES)):
            texts = [raw.rstrip("\r\n") for raw in chunk]
            parsed = [parse_json_object(text) for text in texts]
            plain = [text for text, obj in zip(texts, parsed, strict=True) if obj is None]
            found = iter(prescan(plain, detectors) or [None] * len(plain))
            for text, obj in zip(texts, parsed, strict=True):
                yield self._scanned(text, obj, next(found) if obj is None else None)


def scan_lines(
    lines: Iterable[str],
    *,
    file: str = "-",
    types: Collection[str] | None = None,
    max_findings: int | None = None,
) -> ScanReport:
    """Scans ``lines`` (with or without their newlines); the report keeps the redacted lines."""
    scanner = LogScanner(types=types, max_findings=max_findings)
    scanner.report.redacted.extend(scanner.lines(lines, file=file))
    return scanner.report
