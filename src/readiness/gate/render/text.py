"""Plain-text output: one line per check, remediation indented, a verdict line (no ANSI)."""

from __future__ import annotations

from collections import Counter

from readiness.gate.model import CheckStatus, GateReport
from readiness.gate.runner import verdict, verdict_reason

_NEEDS_REMEDIATION = (CheckStatus.WARN, CheckStatus.FAIL, CheckStatus.ERROR)
_INDENT = " " * 6  # under the summary's start for the widest status label


def counts_line(report: GateReport) -> str:
    """``2 passed, 1 warned, 1 failed, 0 skipped, 0 errors`` for ``report``."""
    counts = Counter(o.result.status for o in report.outcomes)
    errors = counts[CheckStatus.ERROR]
    return (
        f"{counts[CheckStatus.PASS]} passed, {counts[CheckStatus.WARN]} warned, "
        f"{counts[CheckStatus.FAIL]} failed, {counts[CheckStatus.SKIP]} skipped, "
        f"{errors} {'error' if errors == 1 else 'errors'}"
    )


def render_text(report: GateReport) -> str:
    """``PASS  tests.passed  All 412 tests passed`` lines and ``merge gate: PASS (...)``."""
    width = max((len(o.id) for o in report.outcomes), default=0)
    lines: list[str] = []
    for outcome in report.outcomes:
        result = outcome.result
        label = result.status.value.upper()
        lines.append(f"{label:<5} {outcome.id:<{width}}  {result.summary}".rstrip())
        if result.status in _NEEDS_REMEDIATION and result.remediation:
            lines.extend(f"{_INDENT}{line}" for line in result.remediation.splitlines())
    reason = verdict_reason(report)
    if reason is not None:
        lines.append(reason)
    lines.append(f"{report.gate.value} gate: {verdict(report).upper()} ({counts_line(report)})")
    return "\n".join(lines) + "\n"
