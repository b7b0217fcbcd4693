"""A linter's gate verdict: unlinted files fail first, then findings at the threshold; findings
below it warn; the evidence keeps the counts and the first ten of each."""

from __future__ import annotations

from readiness.gate.model import CheckStatus
from readiness.lint_reports.verdict import lint_verdict
from readiness.logcheck.lint import Finding, LintReport, Severity, SourceError


def finding(line: int, severity: Severity = Severity.ERROR) -> Finding:
    return Finding("pii-name", severity, "app/a.py", line, 5, "m", "email", "f")


def verdict(report: LintReport, threshold: Severity = Severity.ERROR) -> tuple[str, str]:
    result = lint_verdict(
        report,
        threshold,
        counts={"modules": 7},
        unlinted="file(s)",
        first=lambda f: f"{f.file}:{f.line} {f.rule}",
        scope=f"{report.files} file(s)",
        remediation="fix it",
    )
    return result.status.value, result.summary


def test_twelve_failing_findings_fail_with_the_first_ten_as_evidence() -> None:
    report = LintReport(files=3, findings=[finding(n) for n in range(1, 13)], suppressed=2)
    result = lint_verdict(
        report,
        Severity.ERROR,
        counts={"modules": 7},
        unlinted="file(s)",
        first=lambda f: f"{f.file}:{f.line} {f.rule}",
        scope="3 file(s)",
        remediation="fix it",
    )
    assert (result.status, result.summary, result.remediation) == (
        CheckStatus.FAIL,
        "12 finding(s) at or above error in 3 file(s) (first: app/a.py:1 pii-name)",
        "fix it",
    )
    assert (list(result.evidence), len(result.evidence["findings"])) == (
        ["files", "modules", "findings", "errors", "suppressed"],
        10,
    )


def test_an_unlinted_file_fails_before_any_finding_is_looked_at() -> None:
    report = LintReport(files=2, findings=[finding(1)])
    report.errors.append(SourceError("app/b.py", 1, 7, "not valid Python: invalid syntax"))
    assert verdict(report) == (
        "fail",
        "1 file(s) cannot be read or parsed "
        "(first: app/b.py:1:7: not valid Python: invalid syntax)",
    )


def test_findings_below_the_threshold_warn_and_none_pass() -> None:
    below = LintReport(files=1, findings=[finding(1, Severity.WARNING)])
    assert verdict(below) == ("warn", "1 file(s): 1 finding(s) below error")
    assert verdict(LintReport(files=1)) == ("pass", "1 file(s): no findings")
