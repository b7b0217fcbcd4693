"""The text report: each finding with a code frame, its lock, rewrite and rollback facts."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from readiness.migrations.model import Finding, LintReport

CONTEXT_LINES = 1


@cache
def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def frame(path: str, line: int, column: int, lines: list[str] | None = None) -> str:
    """The lines around ``line`` with a caret under ``column``."""
    lines = _lines(path) if lines is None else lines
    if not 1 <= line <= len(lines):
        return ""
    first, last = max(1, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES)
    width = len(str(last))
    out = []
    for n in range(first, last + 1):
        mark = ">" if n == line else " "
        out.append(f" {mark} {n:>{width}} | {lines[n - 1]}")
        if n == line:
            out.append(f"   {' ' * width} | {' ' * (column - 1)}^")
    return "\n".join(out)


def finding_text(f: Finding) -> str:
    facts = [
        f"lock: {f.lock or 'none'}",
        f"rewrites: {'yes' if f.rewrites else 'no'}",
        f"rollback-safe: {'yes' if f.rollback_safe else 'no'}",
    ]
    parts = [f"{f.file}:{f.line}:{f.column}: {f.severity.label} [{f.rule}] {f.message}"]
    code = frame(f.file, f.line, f.column)
    if code:
        parts.append(code)
    parts.append("   " + "; ".join(facts))
    if f.safe_alternative:
        parts.append("   safe alternative:")
        parts.extend("     " + line for line in f.safe_alternative.splitlines())
    return "\n".join(parts)


def text(report: LintReport) -> str:
    blocks = [finding_text(f) for f in report.findings]
    blocks.extend(
        f"{e.file}:{e.line}:{e.column}: error [{'unreadable' if e.unreadable else 'parse'}] "
        f"{e.reason}"
        for e in report.errors
    )
    counts: dict[str, int] = {}
    for f in report.findings:
        counts[f.severity.label] = counts.get(f.severity.label, 0) + 1
    summary = ", ".join(
        f"{n} {label}{'s' if n != 1 else ''}" for label, n in sorted(counts.items())
    )
    tail = (
        f"{report.files} file{'s' if report.files != 1 else ''}, {report.statements} "
        f"statement{'s' if report.statements != 1 else ''}: "
        + (summary or "no findings")
        + (f", {len(report.errors)} unparseable" if report.errors else "")
        + (f", {report.suppressed} suppressed" if report.suppressed else "")
    )
    return "\n\n".join([*blocks, tail]) + "\n"
