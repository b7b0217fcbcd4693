"""Data types of the log-call linter: options, rules, findings, reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from readiness._common.severity import Severity as Severity  # noqa: PLC0414 (re-exported)
from readiness.logs.fields import BASELINE_ORDER, DEFAULT_STACK_FRAMES

#: Files where ``print()`` is expected: tests, scripts, tools (path globs, ``**`` for any depth).
DEFAULT_PRINT_ALLOWED = (
    "tests/**",
    "test/**",
    "test_*.py",
    "*_test.py",
    "conftest.py",
    "scripts/**",
    "tools/**",
    "benchmarks/**",
    "examples/**",
    "docs/**",
    "__main__.py",
)


@dataclass(frozen=True)
class Rule:
    """One rule of the catalogue, with a failing and a passing example."""

    id: str
    severity: Severity
    title: str
    bad: str
    good: str


@dataclass(frozen=True)
class Finding:
    """A rule broken at ``file:line:column`` (1-based) by ``name``."""

    rule: str
    severity: Severity
    file: str
    line: int
    column: int
    message: str
    name: str
    fix: str
    end_column: int = 0  # where the offending text ends on the line (0: unknown)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.label,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "name": self.name,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class SourceError:
    """A file that could not be read (``unreadable``) or parsed."""

    file: str
    line: int
    column: int
    reason: str
    unreadable: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class LintOptions:
    """What the rules read; the defaults are the handbook's."""

    pii_names: tuple[str, ...] = ()  # added to the built-in PII and secret names
    safe_names: frozenset[str] = frozenset()  # names never reported as PII (exact)
    field_aliases: Mapping[str, str] = field(default_factory=dict)  # added to the built-in ones
    disable: frozenset[str] = frozenset()
    print_allowed: tuple[str, ...] = DEFAULT_PRINT_ALLOWED
    stack_frames: int = DEFAULT_STACK_FRAMES
    baseline_fields: tuple[str, ...] = BASELINE_ORDER


@dataclass
class LintReport:
    """Findings of one run, in file then position order."""

    files: int = 0
    findings: list[Finding] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    suppressed: int = 0
    #: The linted texts by path, for code frames (never serialised).
    sources: dict[str, str] = field(default_factory=dict, repr=False)

    def failing(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity >= threshold]

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "findings": [f.as_dict() for f in self.findings],
            "errors": [e.as_dict() for e in self.errors],
            "suppressed": self.suppressed,
        }
