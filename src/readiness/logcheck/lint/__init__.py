"""The pure lint core: source text in, findings out (no files, no settings, no clock)."""

from readiness.logcheck.lint.engine import FileResult, lint_source, lint_texts
from readiness.logcheck.lint.model import (
    Finding,
    LintOptions,
    LintReport,
    Rule,
    Severity,
    SourceError,
)
from readiness.logcheck.lint.rules import RULES

__all__ = [
    "RULES",
    "FileResult",
    "Finding",
    "LintOptions",
    "LintReport",
    "Rule",
    "Severity",
    "SourceError",
    "lint_source",
    "lint_texts",
]
