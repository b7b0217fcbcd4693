"""The text report: one block per finding, at most 80 columns, with the offending line."""

from __future__ import annotations

import textwrap

from readiness.logcheck.lint import Finding, LintReport, Severity

WIDTH = 80
_GUTTER = 6  # "  12 | "


def _frame(finding: Finding, source: str | None) -> list[str]:
    """The source line with a caret under the column, cut to fit WIDTH around the column."""
    if source is None:
        return []
    lines = source.splitlines()
    if not 1 <= finding.line <= len(lines):
        return []
    raw = lines[finding.line - 1].expandtabs(4)
    number = str(finding.line)
    room = WIDTH - len(number) - 5
    column = max(finding.column - 1, 0)
    start = 0
    if len(raw) > room:
        start = max(0, min(column - room // 3, len(raw) - room))
    shown = raw[start : start + room]
    if start:
        shown = "…" + shown[1:]
    if start + room < len(raw):
        shown = shown[:-1] + "…"
    span = finding.end_column - finding.column if finding.end_column else len(finding.name)
    width = max(1, min(span, room - (column - start)))
    pad = " " * len(number)
    return [
        f"  {number} | {shown}".rstrip(),
        f"  {pad} | {' ' * (column - start)}{'^' * width}",
    ]


def _wrapped(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False
    )


def text(report: LintReport) -> str:
    """Human-readable findings, then a one-line summary."""
    out: list[str] = []
    for e in report.errors:
        out += _wrapped(f"{e.file}:{max(e.line, 1)}:{max(e.column, 1)}: error {e.reason}", "")
        out.append("")
    for f in report.findings:
        out += _wrapped(f"{f.file}:{f.line}:{f.column}: {f.severity.label} [{f.rule}]", "")
        out += _wrapped(f.message, "  ")
        out += _frame(f, report.sources.get(f.file))
        out += _wrapped(f"fix: {f.fix}", "  ")
        out.append("")
    out.append(summary(report))
    return "\n".join(out) + "\n"


def summary(report: LintReport) -> str:
    """``3 findings (1 error, 2 warnings) in 4 files, 1 suppressed``."""
    counts = {s: sum(1 for f in report.findings if f.severity is s) for s in Severity}
    parts = [
        f"{n} {s.label}{'' if n == 1 else 's'}"
        for s in sorted(Severity, reverse=True)
        if (n := counts[s])
    ]
    total = len(report.findings)
    head = f"{total} finding{'' if total == 1 else 's'}" + (
        f" ({', '.join(parts)})" if parts else ""
    )
    if not total:
        head = "no findings"
    tail = f" in {report.files} file{'' if report.files == 1 else 's'}"
    if report.errors:
        tail += f", {len(report.errors)} not linted"
    if report.suppressed:
        tail += f", {report.suppressed} suppressed"
    return head + tail
