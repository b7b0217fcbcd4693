"""Scanning existing logs for PII (the incident response of handbook Q21).

``scan_lines`` reads JSON lines (key rules and detectors on the parsed object) or text lines
(detectors), reports each finding with its line number, its type and a masked sample, and yields
the redacted copy of every line. Pure: the caller opens files and writes the copy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson

from readiness.logs.redaction import Redactor


@dataclass(frozen=True)
class Finding:
    """One sensitive value found in a log: where, what type, and a masked sample."""

    file: str
    line: int
    type: str
    sample: str


@dataclass
class ScanReport:
    """Counts by type, every finding, and the redacted lines (without their newlines)."""

    counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    redacted: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The ``--format json`` shape: ``counts`` and ``findings``."""
        return {
            "counts": dict(sorted(self.counts.items())),
            "findings": [vars(f) for f in self.findings],
        }


def mask(original: str) -> str:
    """Enough to recognise a finding, not enough to reuse it: the first and last two characters
    of values longer than 8, the rest as ``*`` (shorter values are masked whole)."""
    if len(original) <= 8:
        return "*" * len(original)
    return original[:2] + "*" * (len(original) - 4) + original[-2:]


def scan_lines(
    lines: Iterable[str], *, file: str = "-", redactor: Redactor | None = None
) -> ScanReport:
    """Scans ``lines`` (with or without their newlines) and returns the report."""
    scanner = redactor if redactor is not None else Redactor()
    report = ScanReport()
    number = 0

    def record(kind: str, original: str) -> None:
        report.counts[kind] = report.counts.get(kind, 0) + 1
        report.findings.append(Finding(file, number, kind, mask(original)))

    scanner.on_finding = record
    try:
        for number, raw in enumerate(lines, start=1):  # noqa: B007 - ``record`` reads ``number``
            line = raw.rstrip("\r\n")
            parsed: object = None
            if line.startswith("{"):
                try:
                    parsed = json.loads(line)
                except ValueError:
                    parsed = None
            if isinstance(parsed, dict):
                report.redacted.append(orjson.dumps(scanner.mapping(parsed)).decode())
            else:
                report.redacted.append(scanner.text(line))
    finally:
        scanner.on_finding = None
    return report
